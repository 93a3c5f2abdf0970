"""Datadog API keys: ``GET https://api.<site>/api/v1/validate`` with the ``DD-API-KEY`` header.

A key belongs to one Datadog site and every other site refuses it (403), so one site's refusal
proves nothing. The sites are asked one after the other, each a separately pinned Datadog host:
the first that answers ``{"valid": true}`` makes the key live; a key every site refuses is
invalid; when a site could not be asked (throttled, down) and none accepted, the result is error.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from scanner.models import Finding, Verification, VerifyStatus
from scanner.verify.http import RETRY_STATUS, HostPin, HttpClient, HttpError, HttpRequest
from scanner.verify.plan import Plan
from scanner.verify.providers.common import CallDoc

RULES = ("datadog.api-key",)
# (site, API host), US1 first: https://docs.datadoghq.com/getting_started/site/
SITES = (
    ("US1", "api.datadoghq.com"),
    ("US3", "api.us3.datadoghq.com"),
    ("US5", "api.us5.datadoghq.com"),
    ("EU1", "api.datadoghq.eu"),
    ("AP1", "api.ap1.datadoghq.com"),
    ("AP2", "api.ap2.datadoghq.com"),
    ("US1-FED", "api.ddog-gov.com"),
)

DOCS = (
    CallDoc(
        rules=RULES,
        call="`GET https://api.datadoghq.com/api/v1/validate`, header `DD-API-KEY: {secret}`; "
        "then the same call on each other Datadog site until one accepts: "
        + ", ".join(host for _site, host in SITES[1:]),
        answers="live: HTTP 200 and `valid` = `true` on one site; invalid: HTTP 403 on every site",
        permission="none: any API key",
        docs="https://docs.datadoghq.com/api/latest/authentication/#validate-api-key",
    ),
)


class DatadogVerifier:
    name: str = "datadog.validate-all-sites"
    pins: tuple[HostPin, ...] = tuple(HostPin(host=host) for _site, host in SITES)
    docs: tuple[CallDoc, ...] = DOCS

    def plan(self, finding: Finding, peers: Sequence[Finding]) -> Plan | Verification:
        secret = finding.secret.reveal()

        def run(client: HttpClient) -> Verification:
            return self.check(client, secret)

        return Plan(self.name, finding.fingerprint, run)

    def check(self, client: HttpClient, secret: str) -> Verification:
        failed: list[str] = []
        odd: list[str] = []
        for site, host in SITES:
            request = HttpRequest(
                "GET", f"https://{host}/api/v1/validate", headers=(("DD-API-KEY", secret),)
            )
            try:
                response = client.send(request, self.pins)
            except HttpError as exc:
                failed.append(f"{site}: {exc}")
                continue
            if response.status == 200 and _valid(response.body):
                return Verification(VerifyStatus.LIVE, self.name, f"accepted on site {site}")
            if response.status in RETRY_STATUS:
                failed.append(f"{site}: HTTP {response.status}")
            elif response.status != 403:
                odd.append(f"{site}: HTTP {response.status}")
        if failed:
            return Verification(VerifyStatus.ERROR, self.name, "; ".join(failed))
        if odd:
            return Verification(VerifyStatus.UNKNOWN, self.name, "; ".join(odd))
        return Verification(VerifyStatus.INVALID, self.name, "refused (HTTP 403) on every site")


def _valid(body: bytes) -> bool:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(doc, dict) and doc.get("valid") is True


DATADOG = DatadogVerifier()
