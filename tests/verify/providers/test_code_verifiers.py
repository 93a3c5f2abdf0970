"""The code verifiers (Twilio basic-auth pairs, Azure storage Shared Key) against the contract
server: pairing of parts found in the same file, the documented calls, signatures checked by
the server, and the host pins."""

from __future__ import annotations

import base64

import pytest

from scanner.models import Finding, Verification, VerifyStatus
from scanner.verify.http import HostPin, HttpClient, HttpRequest, PinError
from scanner.verify.plan import Plan
from scanner.verify.providers.azure_storage import AZURE_STORAGE
from scanner.verify.providers.datadog import DATADOG, SITES
from scanner.verify.providers.twilio import TWILIO
from scanner.verify.registry import CODE_VERIFIERS
from testing.contract.verify_contracts import AZURE_ACCOUNT, DATADOG_HOSTS
from testing.contract.verify_server import VerifyServer
from testing.findings import make_finding

KEY_SID = "SK0fa1e2d3c4b5a69788796a5b4c3d2e1f"
KEY_SECRET = "kgFAKEtwilioKEYsecretTEST0123456"
ACCOUNT_SID = "AC0fa1e2d3c4b5a69788796a5b4c3d2e1f"
AUTH_TOKEN = "0fake1e2d3c4b5a69788796a5b4c3d2e"
STORAGE_KEY = base64.b64encode(b"keyguard-FAKE-storage-key-for-tests-" + bytes(range(28))).decode()


def verify(
    finding: Finding, peers: list[Finding], client: HttpClient, code: object
) -> Verification:
    plan = code.plan(finding, peers)  # type: ignore[attr-defined]
    if isinstance(plan, Verification):
        return plan
    assert isinstance(plan, Plan)
    assert KEY_SECRET not in plan.key and AUTH_TOKEN not in plan.key
    result = plan.run(client)
    assert isinstance(result, Verification)
    return result


def test_registered() -> None:
    for rid in (
        "twilio.api-key-sid",
        "twilio.api-key-secret",
        "twilio.auth-token",
        "twilio.credential-pair",
    ):
        assert CODE_VERIFIERS[rid] is TWILIO
    for rid in (
        "azure.storage-account-key",
        "azure.storage-key-assignment",
        "azure.storage-identifiable-key",
    ):
        assert CODE_VERIFIERS[rid] is AZURE_STORAGE
    assert CODE_VERIFIERS["datadog.api-key"] is DATADOG


# -- Twilio ------------------------------------------------------------------------------------


def key_pair(secret: str = KEY_SECRET) -> list[Finding]:
    return [
        make_finding("twilio.api-key-sid", KEY_SID, line=3),
        make_finding("twilio.api-key-secret", secret, line=4),
    ]


@pytest.mark.parametrize("which", [0, 1])
def test_twilio_api_key_pair_live(which: int, server: VerifyServer, client: HttpClient) -> None:
    server.register(KEY_SECRET, "live", ident=KEY_SID)
    peers = key_pair()
    result = verify(peers[which], peers, client, TWILIO)
    assert result.status is VerifyStatus.LIVE, result
    assert server.violations == []
    assert [r.host for r in server.requests] == ["messaging.twilio.com"]
    assert server.requests[0].query == {"PageSize": "1"}


def test_twilio_api_key_invalid_and_wrong_sid(server: VerifyServer, client: HttpClient) -> None:
    server.register(KEY_SECRET, "invalid", ident=KEY_SID)
    peers = key_pair()
    assert verify(peers[1], peers, client, TWILIO).status is VerifyStatus.INVALID
    server.register(KEY_SECRET, "live", ident="SK" + "1" * 32)  # the secret of another key
    assert verify(peers[1], peers, client, TWILIO).status is VerifyStatus.INVALID
    assert server.violations == []


def test_twilio_auth_token_with_account_sid(server: VerifyServer, client: HttpClient) -> None:
    server.register(AUTH_TOKEN, "live", ident=ACCOUNT_SID)
    token = make_finding("twilio.auth-token", AUTH_TOKEN, line=2)
    sid = make_finding("twilio.account-sid", ACCOUNT_SID, line=1)
    assert verify(token, [sid, token], client, TWILIO).status is VerifyStatus.LIVE
    captured = make_finding("twilio.credential-pair", AUTH_TOKEN, parts=(("account", ACCOUNT_SID),))
    assert verify(captured, [captured], client, TWILIO).status is VerifyStatus.LIVE
    assert [r.path for r in server.requests] == [f"/2010-04-01/Accounts/{ACCOUNT_SID}.json"] * 2
    server.register(AUTH_TOKEN, "invalid", ident=ACCOUNT_SID)
    assert verify(token, [sid, token], client, TWILIO).status is VerifyStatus.INVALID
    assert server.violations == []


def test_twilio_credential_pair_uses_the_sid_on_its_line(
    server: VerifyServer, client: HttpClient
) -> None:
    server.register(KEY_SECRET, "live", ident=KEY_SID)
    pair = make_finding("twilio.credential-pair", KEY_SECRET, line=7, column=40)
    sid = make_finding("twilio.api-key-sid", KEY_SID, line=7, column=8)
    assert verify(pair, [sid, pair], client, TWILIO).status is VerifyStatus.LIVE


def test_twilio_unpaired_is_unknown_without_a_request(
    server: VerifyServer, client: HttpClient
) -> None:
    token = make_finding("twilio.auth-token", AUTH_TOKEN)
    secret = make_finding("twilio.api-key-secret", KEY_SECRET)
    sid = make_finding("twilio.api-key-sid", KEY_SID)
    for finding in (token, secret, sid):
        result = verify(finding, [finding], client, TWILIO)
        assert result.status is VerifyStatus.UNKNOWN
        assert "pair" in result.detail
    assert server.requests == []


def test_twilio_throttled(server: VerifyServer, client: HttpClient) -> None:
    server.register(KEY_SECRET, "throttle", ident=KEY_SID)
    peers = key_pair()
    result = verify(peers[1], peers, client, TWILIO)
    assert result.status is VerifyStatus.ERROR
    assert server.hits(KEY_SECRET) == 3


# -- Azure storage -----------------------------------------------------------------------------


def storage_key(key: str = STORAGE_KEY, account: str = AZURE_ACCOUNT) -> Finding:
    return make_finding("azure.storage-account-key", key, parts=(("account", account),))


def test_azure_shared_key_live(server: VerifyServer, client: HttpClient) -> None:
    server.register(AZURE_ACCOUNT, "live", signing_key=STORAGE_KEY)
    finding = storage_key()
    result = verify(finding, [finding], client, AZURE_STORAGE)
    assert result.status is VerifyStatus.LIVE, (result, server.violations)
    assert server.violations == []
    request = server.requests[0]
    assert request.host == f"{AZURE_ACCOUNT}.blob.core.windows.net"
    assert request.query == {"restype": "service", "comp": "properties"}
    assert STORAGE_KEY not in repr(request.headers)  # only a signature travels


def test_azure_account_name_from_a_peer(server: VerifyServer, client: HttpClient) -> None:
    server.register(AZURE_ACCOUNT, "live", signing_key=STORAGE_KEY)
    key = make_finding("azure.storage-identifiable-key", STORAGE_KEY, line=2)
    name = make_finding("azure.storage-account-name", AZURE_ACCOUNT, line=1)
    assert verify(key, [name, key], client, AZURE_STORAGE).status is VerifyStatus.LIVE


def test_azure_wrong_key_is_invalid(server: VerifyServer, client: HttpClient) -> None:
    """The server recomputes the signature with the account's real key: another key's
    signature is refused with AuthenticationFailed."""
    server.register(AZURE_ACCOUNT, "live", signing_key=STORAGE_KEY)
    other = base64.b64encode(b"another-FAKE-key-for-keyguard-tests-" + bytes(28)).decode()
    finding = storage_key(other)
    result = verify(finding, [finding], client, AZURE_STORAGE)
    assert result.status is VerifyStatus.INVALID, result
    assert server.violations == []


def test_azure_throttled_and_unpaired(server: VerifyServer, client: HttpClient) -> None:
    server.register(AZURE_ACCOUNT, "throttle", signing_key=STORAGE_KEY)
    finding = storage_key()
    assert verify(finding, [finding], client, AZURE_STORAGE).status is VerifyStatus.ERROR
    lone = make_finding("azure.storage-account-key", STORAGE_KEY)
    result = verify(lone, [lone], client, AZURE_STORAGE)
    assert result.status is VerifyStatus.UNKNOWN and "account name" in result.detail


@pytest.mark.parametrize("account", ["Bad_Name", "ab", "evil.example.com#", "a" * 25])
def test_azure_account_label_is_validated(
    account: str, server: VerifyServer, client: HttpClient
) -> None:
    finding = storage_key(account=account)
    result = verify(finding, [finding], client, AZURE_STORAGE)
    assert result.status is VerifyStatus.UNKNOWN
    assert server.requests == []


def test_code_verifier_pins(client: HttpClient) -> None:
    """The pins refuse every other host before any connection is made."""
    for pins, url in (
        (TWILIO.pins, "https://api.twilio.com.evil.example/2010-04-01/Accounts.json"),
        (TWILIO.pins, "https://example.com/"),
        (AZURE_STORAGE.pins, "https://kgfake.blob.core.windows.net.evil.example/"),
        (AZURE_STORAGE.pins, "https://a.b.blob.core.windows.net/"),
        (AZURE_STORAGE.pins, "http://kgfakestorage01.blob.core.windows.net/"),
    ):
        with pytest.raises(PinError):
            client.send(HttpRequest("GET", url), pins)
    assert HostPin(suffix=".blob.core.windows.net").allows("kgfakestorage01.blob.core.windows.net")


# -- Datadog -----------------------------------------------------------------------------------

DD_KEY = "0fake1keyguard2datadog3api4key5a"


def test_datadog_sites_are_the_documented_ones() -> None:
    assert [host for _site, host in SITES] == list(DATADOG_HOSTS)


def test_datadog_key_of_another_site_is_live(server: VerifyServer, client: HttpClient) -> None:
    server.register(DD_KEY, "live", host="api.datadoghq.eu")
    finding = make_finding("datadog.api-key", DD_KEY)
    result = verify(finding, [finding], client, DATADOG)
    assert result.status is VerifyStatus.LIVE and "EU1" in result.detail, result
    hosts = [r.host for r in server.requests]
    assert hosts == [host for _site, host in SITES][: hosts.index("api.datadoghq.eu") + 1]
    assert all(r.headers.get("dd-api-key") == DD_KEY for r in server.requests)
    assert server.violations == []


def test_datadog_refused_everywhere_is_invalid(server: VerifyServer, client: HttpClient) -> None:
    finding = make_finding("datadog.api-key", DD_KEY)
    result = verify(finding, [finding], client, DATADOG)
    assert result.status is VerifyStatus.INVALID, result
    assert sorted(r.host for r in server.requests) == sorted(DATADOG_HOSTS)


def test_datadog_unreachable_site_is_error(server: VerifyServer, client: HttpClient) -> None:
    """A site that could not be asked might be the key's own: not invalid."""
    server.register(DD_KEY, "throttle", host="api.us5.datadoghq.com")
    finding = make_finding("datadog.api-key", DD_KEY)
    result = verify(finding, [finding], client, DATADOG)
    assert result.status is VerifyStatus.ERROR and "US5" in result.detail, result
    server.register(DD_KEY, "malformed", host="api.datadoghq.com")
    assert verify(finding, [finding], client, DATADOG).status is VerifyStatus.UNKNOWN
