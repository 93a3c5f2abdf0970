"""Shared by the code verifiers: the documentation row each one declares, and the judging of a
provider's answer by status (the same rules as data verifiers: ``scanner.verify.outcome``)."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.models import Finding, Verification, VerifyStatus
from scanner.verify.http import HostPin, HttpClient, HttpError, HttpRequest
from scanner.verify.outcome import judge
from scanner.verify.spec import Condition, VerifierSpec


@dataclass(frozen=True, slots=True)
class CallDoc:
    """One row of docs/verification.md: the call a code verifier makes for ``rules``."""

    rules: tuple[str, ...]
    call: str  # method, URL and where each part of the credential goes
    answers: str  # which answers are live and invalid
    permission: str
    docs: str


def outcome_spec(url: str, live: tuple[int, ...], invalid: tuple[int, ...]) -> VerifierSpec:
    """A status-only judging rule for ``judge`` (the request itself is built by the caller)."""
    return VerifierSpec(
        url=url, method="GET", live=Condition(live), invalid=Condition(invalid) if invalid else None
    )


def send_and_judge(
    client: HttpClient,
    request: HttpRequest,
    pins: tuple[HostPin, ...],
    spec: VerifierSpec,
    name: str,
) -> Verification:
    try:
        response = client.send(request, pins)
    except HttpError as exc:
        return Verification(VerifyStatus.ERROR, name, str(exc))
    return judge(spec, response, name)


def part(finding: Finding, name: str) -> str | None:
    """A named group of the finding's match, when the rule captured it."""
    for key, value in finding.parts:
        if key == name:
            return value.reveal()
    return None


def unknown(name: str, detail: str) -> Verification:
    return Verification(VerifyStatus.UNKNOWN, name, detail)
