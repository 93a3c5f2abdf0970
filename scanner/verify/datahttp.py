"""Verifiers as data: one ``[rules.verify]`` request, its placeholders filled for a finding."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from urllib.parse import quote

from scanner.models import Finding, Verification, VerifyStatus
from scanner.verify.http import HostPin, HttpClient, HttpError, HttpRequest
from scanner.verify.outcome import judge
from scanner.verify.spec import PLACEHOLDER, VerifierSpec


def verifier_id(rule_id: str, spec: VerifierSpec) -> str:
    """A name for reports and the cache: the rule id and a digest of the request it makes, so
    that a changed verifier does not reuse old cached answers."""
    digest = hashlib.sha256(json.dumps(spec.record(), sort_keys=True).encode()).hexdigest()
    return f"{rule_id}@{digest[:8]}"


def fill(template: str, values: dict[str, str], *, in_url: bool = False) -> str:
    def one(m: object) -> str:
        name = m.group(1)  # type: ignore[attr-defined]
        value = values[name]
        return quote(value, safe="") if in_url else value

    return re.sub(PLACEHOLDER, one, template)


def build_request(spec: VerifierSpec, finding: Finding) -> HttpRequest | None:
    """The request for ``finding``, or None when a ``{part:NAME}`` it needs was not captured."""
    values = {"secret": finding.secret.reveal()}
    values.update({f"part:{k}": v.reveal() for k, v in finding.parts})
    if any(f"part:{name}" not in values for name in spec.parts()):
        return None
    return HttpRequest(
        method=spec.method,
        url=fill(spec.url, values, in_url=True),
        headers=tuple((k, fill(v, values)) for k, v in spec.headers),
        params=tuple((k, fill(v, values)) for k, v in spec.query),
        data=tuple((k, fill(v, values)) for k, v in spec.form) or None,
        auth=(fill(spec.basic[0], values), fill(spec.basic[1], values)) if spec.basic else None,
    )


def data_check(
    rule_id: str, spec: VerifierSpec, finding: Finding
) -> tuple[str, Callable[[HttpClient], Verification]] | Verification:
    """(verifier id, the check to run) or, when the request cannot be built, the outcome."""
    name = verifier_id(rule_id, spec)
    request = build_request(spec, finding)
    if request is None:
        return Verification(VerifyStatus.UNKNOWN, name, "a part the verifier needs was not found")
    pins = (HostPin(host=spec.host),)

    def run(client: HttpClient) -> Verification:
        try:
            response = client.send(request, pins)
        except HttpError as exc:
            return Verification(VerifyStatus.ERROR, name, str(exc))
        return judge(spec, response, name)

    return name, run
