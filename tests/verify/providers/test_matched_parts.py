"""Code verifiers get the parts of a credential from the rule's own match (named groups that the
matcher keeps for code verifiers too) or from a finding of the companion rule in the same file:
Azure ``AccountName=...;AccountKey=...`` connection strings, Twilio ``AC...`` Account SIDs next
to an auth token and ``SID:token`` pairs. Then the JSON any-of conditions (Slack) and the
encoding of a secret placed in a URL path (Telegram)."""

from __future__ import annotations

import base64
import functools
import json

import pytest

from scanner.matcher import Matcher
from scanner.models import Finding, Verification, VerifyStatus
from scanner.rulebook.compile import Ruleset
from scanner.rulebook.loader import builtin_rules_dir, load_specs
from scanner.verify.datahttp import build_request, data_check
from scanner.verify.http import HttpClient, HttpResponse
from scanner.verify.outcome import judge
from scanner.verify.plan import CodeVerifier, Plan
from scanner.verify.providers.azure_storage import AZURE_STORAGE
from scanner.verify.providers.twilio import TWILIO
from testing.contract.verify_contracts import AZURE_ACCOUNT
from testing.contract.verify_server import VerifyServer
from testing.findings import make_finding
from testing.scan import ENGINES, build, scan_text
from tests.verify.providers.conftest import pack_specs

STORAGE_KEY = base64.b64encode(b"keyguard-FAKE-storage-key-for-tests-" + bytes(range(28))).decode()
ACCOUNT_SID = "AC7f3e9d1c5b2a4086e7d9c1b3a5f2e4d6"
AUTH_TOKEN = "5e1d9c7b3a2f4e6d8c0b9a7f5e3d1c2b"
KEY_SID = "SK2e4d6f8a0c1b3e5d7f9a2c4e6b8d0f1a"
KEY_SECRET_HEX = "9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f"


@functools.cache
def matcher(engine: str) -> Matcher:
    rules = [builtin_rules_dir() / f"{name}.toml" for name in ("azure", "twilio")]
    return build(Ruleset.from_specs(load_specs(rules)), engine)


def run(
    code: CodeVerifier, finding: Finding, peers: list[Finding], client: HttpClient
) -> Verification:
    plan = code.plan(finding, peers)
    if isinstance(plan, Verification):
        return plan
    assert isinstance(plan, Plan)
    return plan.run(client)


def only(findings: list[Finding], rule_id: str) -> Finding:
    found = [f for f in findings if f.rule_id == rule_id]
    assert len(found) == 1, [(f.rule_id, f.position) for f in findings]
    return found[0]


@pytest.mark.parametrize("engine", ENGINES)
def test_azure_connection_string_gives_the_verifier_its_account(
    engine: str, server: VerifyServer, client: HttpClient
) -> None:
    text = (
        "# settings\n"
        f'STORAGE = "DefaultEndpointsProtocol=https;AccountName={AZURE_ACCOUNT};'
        f'AccountKey={STORAGE_KEY};EndpointSuffix=core.windows.net"\n'
    )
    finding = only(scan_text(matcher(engine), text, "app.py"), "azure.storage-account-key")
    assert finding.secret.reveal() == STORAGE_KEY
    assert dict((k, v.reveal()) for k, v in finding.parts) == {
        "account": AZURE_ACCOUNT,
        "suffix": "core.windows.net",
    }
    assert AZURE_ACCOUNT not in repr(finding) and STORAGE_KEY not in repr(finding)
    server.register(AZURE_ACCOUNT, "live", signing_key=STORAGE_KEY)
    result = run(AZURE_STORAGE, finding, [finding], client)
    assert result.status is VerifyStatus.LIVE, (result, server.violations)
    assert [r.host for r in server.requests] == [f"{AZURE_ACCOUNT}.blob.core.windows.net"]


def test_azure_key_of_another_cloud_is_not_sent(server: VerifyServer, client: HttpClient) -> None:
    text = (
        f"AccountName={AZURE_ACCOUNT};AccountKey={STORAGE_KEY};"
        "EndpointSuffix=core.chinacloudapi.cn\n"
    )
    finding = only(scan_text(matcher("aho-corasick"), text), "azure.storage-account-key")
    result = run(AZURE_STORAGE, finding, [finding], client)
    assert result.status is VerifyStatus.UNKNOWN and "another Azure cloud" in result.detail
    assert server.requests == []


@pytest.mark.parametrize("engine", ENGINES)
def test_twilio_account_sid_rule_pairs_with_the_auth_token(
    engine: str, server: VerifyServer, client: HttpClient
) -> None:
    text = f"TWILIO_ACCOUNT_SID={ACCOUNT_SID}\nTWILIO_AUTH_TOKEN={AUTH_TOKEN}\n"
    findings = scan_text(matcher(engine), text, ".env")
    sid = only(findings, "twilio.account-sid")
    token = only(findings, "twilio.auth-token")
    assert sid.secret.reveal() == ACCOUNT_SID and token.secret.reveal() == AUTH_TOKEN
    server.register(AUTH_TOKEN, "live", ident=ACCOUNT_SID)
    assert run(TWILIO, token, findings, client).status is VerifyStatus.LIVE
    assert [r.path for r in server.requests] == [f"/2010-04-01/Accounts/{ACCOUNT_SID}.json"]
    from_token, from_sid = (TWILIO.plan(f, findings) for f in (token, sid))
    assert isinstance(from_token, Plan) and isinstance(from_sid, Plan)
    assert (from_sid.verifier, from_sid.key) == (from_token.verifier, from_token.key)  # asked once
    server.register(AUTH_TOKEN, "invalid", ident=ACCOUNT_SID)
    assert run(TWILIO, token, findings, client).status is VerifyStatus.INVALID
    assert server.violations == []


def test_twilio_account_sid_alone_is_not_verified(server: VerifyServer, client: HttpClient) -> None:
    findings = scan_text(matcher("aho-corasick"), f"TWILIO_ACCOUNT_SID={ACCOUNT_SID}\n", ".env")
    sid = only(findings, "twilio.account-sid")
    assert sid.severity.name == "INFO"
    alone = run(TWILIO, sid, findings, client)
    assert alone.status is VerifyStatus.UNKNOWN and "auth token" in alone.detail
    token = only(
        scan_text(matcher("aho-corasick"), f"TWILIO_AUTH_TOKEN={AUTH_TOKEN}\n", ".env"),
        "twilio.auth-token",
    )
    result = run(TWILIO, token, [token], client)
    assert result.status is VerifyStatus.UNKNOWN and "Account SID" in result.detail
    assert server.requests == []


@pytest.mark.parametrize(
    ("pair", "ident", "secret", "path"),
    [
        (
            f"{ACCOUNT_SID}:{AUTH_TOKEN}",
            ACCOUNT_SID,
            AUTH_TOKEN,
            f"/2010-04-01/Accounts/{ACCOUNT_SID}.json",
        ),
        (f"{KEY_SID}:{KEY_SECRET_HEX}", KEY_SID, KEY_SECRET_HEX, "/v1/Services"),
    ],
)
def test_twilio_sid_token_pair_carries_its_sid(
    pair: str, ident: str, secret: str, path: str, server: VerifyServer, client: HttpClient
) -> None:
    text = f"curl https://api.twilio.com/2010-04-01/Accounts.json -u {pair}\n"
    findings = scan_text(matcher("aho-corasick"), text, "notes.sh")
    finding = only(findings, "twilio.credential-pair")
    assert finding.secret.reveal() == secret
    server.register(secret, "live", ident=ident)
    assert run(TWILIO, finding, [finding], client).status is VerifyStatus.LIVE
    assert [r.path for r in server.requests] == [path]
    assert server.violations == []


# -- Slack: any-of JSON conditions ----------------------------------------------------------------

SPECS = {s.id: s for s in pack_specs() if s.verify is not None}


@pytest.mark.parametrize("rule_id", ["slack.bot-token", "slack.user-token"])
@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"ok": True, "team": "KG Fake"}, VerifyStatus.LIVE),
        ({"ok": False, "error": "invalid_auth"}, VerifyStatus.INVALID),
        ({"ok": False, "error": "token_revoked"}, VerifyStatus.INVALID),
        ({"ok": False, "error": "token_expired"}, VerifyStatus.INVALID),
        ({"ok": False, "error": "account_inactive"}, VerifyStatus.INVALID),
        ({"ok": False, "error": "ratelimited"}, VerifyStatus.UNKNOWN),
        ({"ok": False, "error": "not_authed"}, VerifyStatus.UNKNOWN),
        ({"ok": False}, VerifyStatus.UNKNOWN),
        ({"ok": "false", "error": "invalid_auth"}, VerifyStatus.UNKNOWN),
    ],
)
def test_slack_answers(rule_id: str, body: object, status: VerifyStatus) -> None:
    spec = SPECS[rule_id].verify
    assert spec is not None
    response = HttpResponse(200, {}, json.dumps(body).encode())
    assert judge(spec, response, "slack").status is status


def test_slack_revoked_token_through_the_server(server: VerifyServer, client: HttpClient) -> None:
    """The contract server's invalid answer for Slack, and a revoked token's documented one."""
    spec = SPECS["slack.bot-token"]
    assert spec.verify is not None
    secret = next(e.secret for e in spec.examples if e.secret)
    server.register(secret, "invalid")
    checked = data_check(spec.id, spec.verify, make_finding(spec.id, secret))
    assert not isinstance(checked, Verification)
    assert checked[1](client).status is VerifyStatus.INVALID


# -- Telegram: the token's ':' stays as it is in the URL path (RFC 3986 pchar) ------------------


def test_telegram_token_in_the_path(server: VerifyServer, client: HttpClient) -> None:
    spec = SPECS["telegram.bot-token"]
    assert spec.verify is not None
    secret = next(e.secret for e in spec.examples if e.secret)
    assert ":" in secret
    finding = make_finding(spec.id, secret)
    request = build_request(spec.verify, finding)
    assert request is not None
    assert request.url == f"https://api.telegram.org/bot{secret}/getMe"
    server.register(secret, "live")
    checked = data_check(spec.id, spec.verify, finding)
    assert not isinstance(checked, Verification)
    assert checked[1](client).status is VerifyStatus.LIVE
    assert [r.path for r in server.requests] == [f"/bot{secret}/getMe"]


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("12:ab", "12:ab"),
        ("a/b", "a%2Fb"),
        ("a?b#c", "a%3Fb%23c"),
        ("a%b", "a%25b"),
        ("..", "%2E%2E"),
        ("a b", "a%20b"),
    ],
)
def test_path_placeholders_stay_one_segment(value: str, encoded: str) -> None:
    from scanner.verify.datahttp import fill

    assert fill("https://h.example/x/{secret}/y", {"secret": value}, in_url=True) == (
        f"https://h.example/x/{encoded}/y"
    )


def test_query_placeholders_in_the_url_are_encoded_whole() -> None:
    from scanner.verify.datahttp import fill

    url = fill("https://h.example/{secret}?k={secret}", {"secret": "a:b&c=d"}, in_url=True)
    assert url == "https://h.example/a:b%26c%3Dd?k=a%3Ab%26c%3Dd"
