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


# RFC 3986: a path segment may carry ``:`` and ``@`` as they are (pchar); ``/``, ``?``, ``#``,
# ``%`` and everything else not unreserved is percent-encoded, so a value stays one segment.
# Telegram's ``/bot<id>:<token>/getMe`` is documented with the colon as it is.
PATH_SAFE = ":@"


def fill(template: str, values: dict[str, str], *, in_url: bool = False) -> str:
    """``template`` with its placeholders replaced; in a URL, a value in the path keeps the
    characters a path segment allows (``PATH_SAFE``) and a value in the query is encoded
    whole."""
    if in_url and "?" in template:
        path, _, query = template.partition("?")
        return f"{_fill(path, values, PATH_SAFE)}?{_fill(query, values, '')}"
    return _fill(template, values, PATH_SAFE if in_url else None)


def _fill(template: str, values: dict[str, str], safe: str | None) -> str:
    def one(m: re.Match[str]) -> str:
        value = values[m.group(1)]
        if safe is None:
            return value
        if value in (".", ".."):  # never a dot segment that would climb the path
            return value.replace(".", "%2E")
        return quote(value, safe=safe)

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
