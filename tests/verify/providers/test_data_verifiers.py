"""Every ``[rules.verify]`` table of the built-in pack against the provider's documented
contract (testing/contract/verify_contracts.py, written from the providers' API references):
the right host, method, path and credential placement, live and invalid answers, and the
ambiguous, throttled, failing and malformed ones."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest

from scanner.models import Verification, VerifyStatus
from scanner.rulebook.schema import RuleSpec
from scanner.verify.datahttp import build_request, data_check
from scanner.verify.http import HttpClient
from testing.contract.verify_contracts import CONTRACTS
from testing.contract.verify_server import VerifyServer
from testing.findings import make_finding
from tests.verify.providers.conftest import pack_specs

SPECS: dict[str, RuleSpec] = {s.id: s for s in pack_specs() if s.verify is not None}
VERIFIED = sorted(SPECS)


def sample_secret(spec: RuleSpec) -> str:
    """The rule's own synthetic example secret (so the request carries a realistic value)."""
    for example in spec.examples:
        if example.secret:
            return example.secret
    return "kgFAKE0TEST0SECRET0VALUE0123456789"


def run(rule_id: str, client: HttpClient, secret: str | None = None) -> Verification:
    spec = SPECS[rule_id]
    assert spec.verify is not None
    finding = make_finding(rule_id, secret or sample_secret(spec))
    checked = data_check(rule_id, spec.verify, finding)
    assert not isinstance(checked, Verification), checked
    _name, check = checked
    return check(client)


def answered(
    rule_id: str, behaviour: str, server: VerifyServer, client: HttpClient
) -> tuple[str, Verification]:
    """The rule's sample secret and its verification while the contract server gives that
    secret the answer ``behaviour`` (live, invalid, forbidden, malformed, throttle, ...)."""
    secret = sample_secret(SPECS[rule_id])
    server.register(secret, behaviour)
    return secret, run(rule_id, client, secret)


def assert_clean(server: VerifyServer, rule_id: str, secret: str, result: Verification) -> None:
    spec = SPECS[rule_id].verify
    assert spec is not None
    assert server.violations == [], server.violations
    assert server.requests, "no request reached the contract server"
    assert {r.host for r in server.requests} == {spec.host}
    assert secret not in result.detail and secret not in result.verifier


def test_the_pack_has_many_verifiers() -> None:
    assert len(VERIFIED) >= 40
    for rid in (
        "github.pat-classic",
        "gitlab.pat",
        "slack.bot-token",
        "openai.project-key",
        "anthropic.api-key",
        "huggingface.access-token",
        "stripe.restricted-key-live",
        "sendgrid.api-key",
        "npm.access-token",
        "gcp.api-key",
    ):
        assert rid in SPECS, rid


@pytest.mark.parametrize("rule_id", VERIFIED)
def test_every_verifier_has_a_documented_contract(rule_id: str) -> None:
    spec = SPECS[rule_id].verify
    assert spec is not None
    request = build_request(spec, make_finding(rule_id, sample_secret(SPECS[rule_id])))
    assert request is not None
    path = urlsplit(request.url).path
    matches = [
        c
        for c in CONTRACTS
        if c.host == spec.host and c.method == spec.method and re.fullmatch(c.path, path)
    ]
    assert matches, f"{rule_id}: no contract for {spec.method} {spec.host}{path}"


@pytest.mark.parametrize("rule_id", VERIFIED)
def test_live(rule_id: str, server: VerifyServer, client: HttpClient) -> None:
    secret, result = answered(rule_id, "live", server, client)
    assert result.status is VerifyStatus.LIVE, result
    assert_clean(server, rule_id, secret, result)
    assert server.hits(secret) == 1


@pytest.mark.parametrize("rule_id", VERIFIED)
def test_invalid_and_unknown_credentials(
    rule_id: str, server: VerifyServer, client: HttpClient
) -> None:
    """A revoked key and a key the provider never issued get the documented refusal; it is
    ``invalid`` only where the verifier can tell (otherwise ``unknown``: a key of another
    region or site is refused the same way)."""
    spec = SPECS[rule_id].verify
    assert spec is not None
    expected = VerifyStatus.INVALID if spec.invalid is not None else VerifyStatus.UNKNOWN
    secret, revoked = answered(rule_id, "invalid", server, client)
    assert revoked.status is expected, revoked
    never_issued = run(rule_id, client, secret[:-4] + "FAKE")
    assert never_issued.status is expected, never_issued
    assert_clean(server, rule_id, secret, revoked)


@pytest.mark.parametrize(
    ("rule_id", "expected"),
    [
        ("stripe.restricted-key-live", VerifyStatus.LIVE),
        ("stripe.restricted-key-test", VerifyStatus.LIVE),
        ("stripe.secret-key-live", VerifyStatus.UNKNOWN),
        ("gcp.api-key", VerifyStatus.LIVE),
        ("gemini.api-key", VerifyStatus.LIVE),
    ],
)
def test_permission_denied_answers(
    rule_id: str, expected: VerifyStatus, server: VerifyServer, client: HttpClient
) -> None:
    """A 403 "no permission for this call" proves a restricted Stripe key or a restricted
    Google key exists; for an unrestricted Stripe secret key it is unexpected."""
    _, result = answered(rule_id, "forbidden", server, client)
    assert result.status is expected


JSON_VERIFIERS = sorted(
    rid for rid, s in SPECS.items() if s.verify is not None and s.verify.live.json
)


@pytest.mark.parametrize("rule_id", JSON_VERIFIERS)
def test_malformed_body_is_unknown(rule_id: str, server: VerifyServer, client: HttpClient) -> None:
    """A proxy page instead of the provider's JSON proves nothing."""
    _, result = answered(rule_id, "malformed", server, client)
    assert result.status is VerifyStatus.UNKNOWN, result
    assert server.violations == []


def test_json_verifiers_exist() -> None:
    assert {"slack.bot-token", "cloudflare.api-token", "telegram.bot-token"} <= set(JSON_VERIFIERS)


@pytest.mark.parametrize("rule_id", ["github.pat-classic", "slack.bot-token", "anthropic.api-key"])
def test_throttled_then_error(rule_id: str, server: VerifyServer, client: HttpClient) -> None:
    secret, result = answered(rule_id, "throttle", server, client)
    assert result.status is VerifyStatus.ERROR, result
    assert "429" in result.detail
    assert server.hits(secret) == 3  # the first try and two retries (client_options)


@pytest.mark.parametrize("rule_id", ["openai.project-key", "telegram.bot-token"])
def test_throttled_once_is_retried(rule_id: str, server: VerifyServer, client: HttpClient) -> None:
    secret, result = answered(rule_id, "throttle-once", server, client)
    assert result.status is VerifyStatus.LIVE
    assert server.hits(secret) == 2


def test_server_error_is_error(server: VerifyServer, client: HttpClient) -> None:
    _, result = answered("huggingface.access-token", "server-error", server, client)
    assert result.status is VerifyStatus.ERROR
    assert "503" in result.detail


def test_timeout_is_error(server: VerifyServer, client: HttpClient) -> None:
    _, result = answered("sendgrid.api-key", "slow", server, client)
    assert result.status is VerifyStatus.ERROR
    assert "timeout" in result.detail, result


def test_webhooks_are_never_verified() -> None:
    """Posting to a webhook URL would send a message: webhook rules carry no verifier."""
    every = {s.id: s for s in pack_specs()}
    webhooks = [rid for rid in every if "webhook" in rid]
    assert webhooks
    assert all(every[rid].verify is None for rid in webhooks)


def test_verifiers_are_read_only() -> None:
    """Only GET, except Slack's documented read-only auth.test (POST without a body)."""
    for rid, spec in SPECS.items():
        assert spec.verify is not None
        if spec.verify.method != "GET":
            assert spec.verify.url == "https://slack.com/api/auth.test", rid
            assert not spec.verify.form


def test_retry_after_is_honoured(server: VerifyServer, client: HttpClient) -> None:
    """The provider's Retry-After (1 s, capped at 0.5 s by the test client) is waited for,
    not the 10 ms backoff."""
    secret = sample_secret(SPECS["github.pat-classic"])
    server.register(secret, "throttle-once")
    server.retry_after = "1"
    started = time.monotonic()
    assert run("github.pat-classic", client, secret).status is VerifyStatus.LIVE
    assert time.monotonic() - started >= 0.45
    assert server.hits(secret) == 2
