"""The verification HTTP client and data verifiers against a local HTTPS contract server:
live, invalid, ambiguous, malformed, throttled, timeout, redirects, host pinning, routing."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.errors import UserError
from scanner.models import Finding, VerifyStatus
from scanner.secret import Secret
from scanner.verify.datahttp import data_check
from scanner.verify.http import ClientOptions, HostPin, HttpClient, HttpRequest, PinError
from scanner.verify.ratelimit import HostLimiter
from scanner.verify.routing import Routes
from scanner.verify.spec import Condition, VerifierSpec
from testing.findings import make_finding
from tests.verify.conftest import Contract, Seen, Tls, reply_json

HOST = "api.kgtest.invalid"
TOKEN = "kgtest_" + "Q7vX2mR9tL4pW8nK3sJ6hD1f"
SPEC = VerifierSpec(
    url=f"https://{HOST}/v1/whoami",
    method="GET",
    live=Condition((200,), (("ok", True),)),
    headers=(("Authorization", "Bearer {secret}"),),
    invalid=Condition((401, 403), ()),
    permission="none",
    docs="https://docs.kgtest.invalid/whoami",
)


def finding(secret: str = TOKEN) -> Finding:
    return make_finding("kgtest.verify-token", secret)


def client(contract: Contract, tls: Tls, **options: float) -> HttpClient:
    routes = Routes(((HOST, _route(contract)),), tls.ca)
    opts = ClientOptions(routes=routes, backoff=0.0, rate=0, **options)  # type: ignore[arg-type]
    return HttpClient(opts)


def _route(contract: Contract):  # type: ignore[no-untyped-def]
    from scanner.verify.routing import Route

    return Route("127.0.0.1", contract.port)


def verify(contract: Contract, tls: Tls, spec: VerifierSpec = SPEC, **options: float):  # type: ignore[no-untyped-def]
    checked = data_check("kgtest.verify-token", spec, finding())
    assert not hasattr(checked, "status")
    _, run = checked  # type: ignore[misc]
    with client(contract, tls, **options) as c:
        return run(c)


def answer(status: int, doc: object, **headers: str):  # type: ignore[no-untyped-def]
    return lambda _seen: reply_json(status, doc, **headers)


def test_live_sends_the_secret_where_the_rule_says(contract: Contract, tls: Tls) -> None:
    contract.handlers["/v1/whoami"] = answer(200, {"ok": True, "user": "kgtest"})
    result = verify(contract, tls)
    assert result.status is VerifyStatus.LIVE
    (seen,) = contract.seen
    assert seen.method == "GET"
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["Host"] == HOST  # routed, but addressed to the pinned host
    assert TOKEN not in result.detail


@pytest.mark.parametrize("status", [401, 403])
def test_invalid(contract: Contract, tls: Tls, status: int) -> None:
    contract.handlers["/v1/whoami"] = answer(status, {"message": "Bad credentials"})
    assert verify(contract, tls).status is VerifyStatus.INVALID


def test_live_status_without_the_json_condition_is_unknown(contract: Contract, tls: Tls) -> None:
    contract.handlers["/v1/whoami"] = answer(200, {"ok": False})
    assert verify(contract, tls).status is VerifyStatus.UNKNOWN


def test_malformed_body_is_unknown(contract: Contract, tls: Tls) -> None:
    contract.handlers["/v1/whoami"] = lambda _s: (200, {"Content-Type": "application/json"}, b"{ok")
    result = verify(contract, tls)
    assert result.status is VerifyStatus.UNKNOWN


def test_throttled_is_retried_with_backoff_then_error(contract: Contract, tls: Tls) -> None:
    contract.handlers["/v1/whoami"] = answer(429, {"message": "slow down"}, **{"Retry-After": "0"})
    result = verify(contract, tls, retries=2)
    assert result.status is VerifyStatus.ERROR
    assert result.detail == "throttled (HTTP 429) after 2 retries"
    assert len(contract.seen) == 3  # the first try and two retries


def test_retry_after_is_honoured_and_bounded(contract: Contract, tls: Tls) -> None:
    import time

    contract.handlers["/v1/whoami"] = answer(429, {}, **{"Retry-After": "3600"})
    start = time.monotonic()
    result = verify(contract, tls, retries=1, max_retry_after=0.3)
    elapsed = time.monotonic() - start
    assert result.status is VerifyStatus.ERROR
    assert len(contract.seen) == 2
    assert 0.25 <= elapsed < 5  # waited, but not an hour


def test_server_error_then_success(contract: Contract, tls: Tls) -> None:
    calls: list[int] = []

    def flaky(_seen: Seen):  # type: ignore[no-untyped-def]
        calls.append(1)
        return reply_json(503, {}) if len(calls) == 1 else reply_json(200, {"ok": True})

    contract.handlers["/v1/whoami"] = flaky
    assert verify(contract, tls, retries=2).status is VerifyStatus.LIVE
    assert len(contract.seen) == 2


def test_timeout_is_an_error(contract: Contract, tls: Tls) -> None:
    contract.handlers["/v1/whoami"] = answer(200, {"ok": True})
    contract.delay = 1.0
    result = verify(contract, tls, timeout=0.2)
    assert result.status is VerifyStatus.ERROR
    assert result.detail == "timeout"


def test_redirect_to_another_host_is_not_followed(contract: Contract, tls: Tls) -> None:
    contract.handlers["/v1/whoami"] = lambda _s: (
        302,
        {"Location": f"https://127.0.0.1:{contract.port}/elsewhere"},
        b"",
    )
    contract.handlers["/elsewhere"] = answer(200, {"ok": True})
    result = verify(contract, tls)
    assert result.status is VerifyStatus.UNKNOWN
    assert "redirect" in result.detail
    assert [s.path for s in contract.seen] == ["/v1/whoami"]


def test_a_host_that_is_not_pinned_is_refused_before_connecting(
    contract: Contract, tls: Tls
) -> None:
    routes = Routes((("evil.kgtest.invalid", _route(contract)),), tls.ca)
    with HttpClient(ClientOptions(routes=routes, rate=0)) as c:
        for url in (
            "https://evil.kgtest.invalid/x",
            f"http://{HOST}/x",
            f"https://{HOST}:8443/x",
            f"https://user@{HOST}/x",
        ):
            with pytest.raises(PinError):
                c.send(HttpRequest("GET", url), (HostPin(host=HOST),))
    assert contract.seen == []


def test_account_scoped_pins() -> None:
    pin = HostPin(suffix=".blob.core.windows.net")
    assert pin.allows("kgtestacct.blob.core.windows.net")
    assert not pin.allows("evil.example.com")
    assert not pin.allows("a.b.blob.core.windows.net")
    assert not pin.allows("blob.core.windows.net")


@pytest.mark.parametrize(
    "value",
    [
        "api.github.com=10.0.0.5:443",
        "api.github.com=example.com:443",
        "api.github.com",
        "x=127.0.0.1:0",
    ],
)
def test_routes_accept_only_loopback(value: str) -> None:
    with pytest.raises(UserError):
        Routes.from_env({"KEYGUARD_TEST_VERIFY_ROUTES": value})


def test_routes_from_env(tmp_path: Path) -> None:
    routes = Routes.from_env(
        {
            "KEYGUARD_TEST_VERIFY_ROUTES": "api.github.com=127.0.0.1:8443, "
            "sts.amazonaws.com=[::1]:9",
            "KEYGUARD_TEST_VERIFY_CA": str(tmp_path / "ca.pem"),
        }
    )
    assert routes.get("api.github.com") is not None
    assert routes.get("sts.amazonaws.com").netloc == "[::1]:9"  # type: ignore[union-attr]
    assert routes.get("example.com") is None
    assert routes.ca_file == tmp_path / "ca.pem"


def test_query_form_basic_and_parts_fill_the_request(contract: Contract, tls: Tls) -> None:
    spec = replace(
        SPEC,
        url=f"https://{HOST}/v1/keys/{{part:kid}}",
        method="POST",
        headers=(),
        query=(("key", "{secret}"),),
        form=(("token", "{secret}"), ("id", "{part:kid}")),
        basic=("{part:kid}", "{secret}"),
    )
    contract.handlers["/v1/keys/KGID0001"] = answer(200, {"ok": True})
    f = replace(finding(), parts=(("kid", Secret("KGID0001")),))
    checked = data_check("kgtest.verify-token", spec, f)
    _, run = checked  # type: ignore[misc]
    with client(contract, tls) as c:
        assert run(c).status is VerifyStatus.LIVE
    (seen,) = contract.seen
    assert seen.path == f"/v1/keys/KGID0001?key={TOKEN}"
    assert seen.body == f"token={TOKEN}&id=KGID0001".encode()
    import base64

    expected = base64.b64encode(f"KGID0001:{TOKEN}".encode()).decode()
    assert seen.headers["Authorization"] == f"Basic {expected}"


def test_a_missing_part_is_unknown_without_a_request() -> None:
    spec = replace(SPEC, url=f"https://{HOST}/v1/keys/{{part:kid}}")
    result = data_check("kgtest.verify-token", spec, finding())
    assert getattr(result, "status", None) is VerifyStatus.UNKNOWN


def test_rate_limiter_spaces_requests_per_host() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = HostLimiter(rate=2.0, burst=1.0, clock=lambda: now[0], sleep=sleep)
    waits = [limiter.acquire("a.example") for _ in range(3)]
    assert waits[0] == 0.0
    assert waits[1] == pytest.approx(0.5) and waits[2] == pytest.approx(0.5)
    assert limiter.acquire("b.example") == 0.0  # another host has its own bucket


def test_request_repr_hides_the_secret() -> None:
    request = HttpRequest("GET", f"https://{HOST}/x?key={TOKEN}", headers=(("A", TOKEN),))
    assert TOKEN not in repr(request)
    assert json.dumps(str(request)).find(TOKEN) == -1
