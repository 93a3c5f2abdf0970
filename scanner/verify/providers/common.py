"""Shared by the code verifiers: the documentation row each one declares, sending a request (a
failure to get an answer is an ``error`` result), and the judging of a provider's answer by
status (the same rules as data verifiers: ``scanner.verify.outcome``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from scanner.models import Finding, Verification, VerifyStatus
from scanner.verify.http import HostPin, HttpClient, HttpError, HttpRequest, HttpResponse
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


def send(
    client: HttpClient, request: HttpRequest, pins: tuple[HostPin, ...], name: str
) -> HttpResponse | Verification:
    """The provider's answer, or an ``error`` result saying why there was none."""
    try:
        return client.send(request, pins)
    except HttpError as exc:
        return Verification(VerifyStatus.ERROR, name, str(exc))


def send_and_judge(
    client: HttpClient,
    request: HttpRequest,
    pins: tuple[HostPin, ...],
    spec: VerifierSpec,
    name: str,
) -> Verification:
    response = send(client, request, pins, name)
    return response if isinstance(response, Verification) else judge(spec, response, name)


def unjudged(name: str, status: int, *, transient: bool) -> Verification:
    """An answer that is neither live nor invalid: an ``error`` when ``transient`` (throttled
    or a server error, after the client's retries), else ``unknown``."""
    if transient:
        return Verification(VerifyStatus.ERROR, name, f"HTTP {status} after retries")
    return unknown(name, f"unexpected answer (HTTP {status})")


def part(finding: Finding, name: str) -> str | None:
    """A named group of the finding's match, when the rule captured it."""
    for key, value in finding.parts:
        if key == name:
            return value.reveal()
    return None


def key_part(text: str) -> str:
    """The part of a result's cache key that stands for ``text``, a credential part or target
    that is no finding of its own (a finding's part is its fingerprint): a short digest."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def unknown(name: str, detail: str) -> Verification:
    return Verification(VerifyStatus.UNKNOWN, name, detail)
