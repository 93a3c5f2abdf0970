"""conjur rotation: ``requests`` against a local **contract server** for the Conjur REST API
(``testing.contract.conjur_api``, not a real Conjur: none installs here), through
``keyguard scan``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testing.contract.conjur_api import ACCOUNT, API_KEY, LOGIN, ConjurApi
from testing.contract.server import Reply
from testing.rotationcli import config_error, keyguard, one_target_failed, rotation_project
from testing.servers import rotation_token

pytest.importorskip("requests", reason="the conjur extra is needed: keyguard[conjur]")


AUTHN = r"^/authn/"


def secrets_path(variable: str) -> str:
    return f"^/secrets/{ACCOUNT}/variable/{variable.replace('/', '%2F')}$"


@pytest.fixture
def conjur(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConjurApi]:
    monkeypatch.setenv("CONJUR_AUTHN_API_KEY", API_KEY)
    monkeypatch.setattr("scanner.rotation.conjur.PAGE_SIZE", 2)  # exercise limit/offset
    api = ConjurApi()
    with api.running():
        yield api


def project(tmp_path: Path, api: ConjurApi, leak: str, **keys: Any) -> list[str]:
    files = {"settings.py": f'DB_TOKEN = "{leak}"\n'}
    settings = {"url": api.url, "account": ACCOUNT, "login": LOGIN, "timeout": 5, "backoff": 0}
    return rotation_project(tmp_path, files, provider="conjur", **{**settings, **keys})


def test_conjur_discover_plan_rotate_rerun(tmp_path: Path, conjur: ConjurApi) -> None:
    leak = rotation_token("conjur-discover")
    conjur.add("prod/db/password", leak)
    conjur.add("prod/api/config", json.dumps({"token": leak, "region": "eu-west-1"}))
    conjur.add("prod/decoy", rotation_token("conjur-decoy"))
    conjur.add("prod/empty")  # declared, no value yet
    conjur.add("prod/locked", leak, privileges=frozenset({"read"}))  # cannot fetch: not seen
    conjur.add("production/other", leak)  # a different policy that only shares the prefix
    conjur.add("dev/db/password", "old", leak)
    args = project(tmp_path, conjur, leak, discover=True, policy="prod")

    plan = keyguard(args)
    assert plan.exit_code == 1, plan.output
    assert "conjur prod/db/password: set a new value" in plan.stderr
    assert "conjur prod/api/config: set a new value (field token)" in plan.stderr
    for absent in ("decoy", "empty", "locked", "production/other", "dev/db"):
        assert absent not in plan.stderr
    assert [w.path for w in conjur.writes()] == [f"/authn/{ACCOUNT}/host%2Fkg-rotator/authenticate"]
    assert len(conjur.seen("GET", f"^/resources/{ACCOUNT}$")) >= 4  # paged, 2 at a time
    assert not (tmp_path / "state.json").exists() and not (tmp_path / "audit.jsonl").exists()

    done = keyguard(args, "--rotate")
    assert "rotation: 2 rotated" in done.stderr, done.stderr
    new_value = conjur.value("prod/db/password")
    assert new_value != leak and len(new_value) == 40
    assert conjur.versions("prod/db/password") == 2
    config = json.loads(conjur.value("prod/api/config"))
    assert config["region"] == "eu-west-1" and config["token"] not in (leak, new_value)
    assert conjur.value("production/other") == leak and conjur.value("dev/db/password") == leak
    audit = (tmp_path / "audit.jsonl").read_text()
    assert leak not in audit and new_value not in audit and config["token"] not in audit
    assert '"version": "2"' in audit and '"variable": "prod/db/password"' in audit

    posts = len(conjur.seen("POST", "^/secrets/"))
    again = keyguard(args, "--rotate")
    assert "rotation: 1 skipped" in again.stderr, again.stderr
    assert len(conjur.seen("POST", "^/secrets/")) == posts  # a second --rotate changes nothing


def test_conjur_expired_token_reauthenticates(tmp_path: Path, conjur: ConjurApi) -> None:
    leak = rotation_token("conjur-expired")
    conjur.add("app/key", leak)
    args = project(tmp_path, conjur, leak, variable="app/key")
    # the token expires between the lookup and the write
    conjur.fail("POST", secrets_path("app/key"), Reply(401, {"error": "token expired"}))
    result = keyguard(args, "--rotate")
    assert "1 rotated" in result.stderr, result.stderr
    assert len(conjur.seen("POST", AUTHN)) == 2
    assert conjur.value("app/key") != leak


def test_conjur_bad_api_key_fails_cleanly(
    tmp_path: Path, conjur: ConjurApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONJUR_AUTHN_API_KEY", "kg-wrong-key-FAKE")
    leak = rotation_token("conjur-badkey")
    conjur.add("app/key", leak)
    result = keyguard(project(tmp_path, conjur, leak, variable="app/key"), "--rotate")
    assert result.exit_code == 1
    assert "authenticate host/kg-rotator: HTTP 401 unauthorized" in result.stderr
    assert "kg-wrong-key-FAKE" not in result.output
    assert conjur.versions("app/key") == 1


def test_conjur_throttling_is_retried(tmp_path: Path, conjur: ConjurApi) -> None:
    leak = rotation_token("conjur-429")
    conjur.add("app/key", leak)
    throttled = Reply(429, {"error": "slow down"}, {"Retry-After": "0"})
    conjur.fail("POST", secrets_path("app/key"), throttled, times=2)
    conjur.fail("GET", f"^/resources/{ACCOUNT}/variable/", Reply(503, {"error": "busy"}))
    result = keyguard(project(tmp_path, conjur, leak, variable="app/key", retries=2), "--rotate")
    assert "1 rotated" in result.stderr, result.stderr
    assert [r.status for r in conjur.seen("POST", "^/secrets/")] == [429, 429, 201]
    assert conjur.versions("app/key") == 2


def test_conjur_permission_error_fails_that_target_only(tmp_path: Path, conjur: ConjurApi) -> None:
    leak = rotation_token("conjur-403")
    conjur.add("team-a/token", leak)
    conjur.add("team-b/token", leak, privileges=frozenset({"read", "execute"}))
    args = project(tmp_path, conjur, leak, discover=True)
    one_target_failed(args, tmp_path, "conjur team-b/token: set team-b/token: HTTP 403 forbidden")
    assert conjur.value("team-a/token") != leak
    assert conjur.value("team-b/token") == leak


def test_conjur_connection_settings_from_environment(
    tmp_path: Path, conjur: ConjurApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    leak = rotation_token("conjur-env")
    conjur.add("app/key", leak)
    args = project(tmp_path, conjur, leak, variable="app/key")
    text = (tmp_path / "kg.toml").read_text()
    kept = [line for line in text.splitlines() if not line.startswith(("url", "account", "login"))]
    (tmp_path / "kg.toml").write_text("\n".join(kept) + "\n")
    missing = keyguard(args, "--rotate")
    assert "Conjur connection incomplete: set `url` or CONJUR_APPLIANCE_URL" in missing.stderr
    monkeypatch.setenv("CONJUR_APPLIANCE_URL", conjur.url)
    monkeypatch.setenv("CONJUR_ACCOUNT", ACCOUNT)
    monkeypatch.setenv("CONJUR_AUTHN_LOGIN", LOGIN)
    assert "1 rotated" in keyguard(args, "--rotate").stderr
    assert conjur.value("app/key") != leak


def test_retry_after_is_capped_at_the_timeout() -> None:
    from urllib3 import HTTPResponse

    from scanner.config import parse_config
    from scanner.rotation.config import parse_rotation
    from scanner.rotation.httpretry import retry_policy

    table = {"rules": ["x"], "provider": "conjur", "variable": "v", "timeout": 2, "retries": 3}
    config = parse_config({"rotation": [table]}, "kg", Path("."))
    policy = retry_policy(parse_rotation(config.rotation, "kg")[0])
    slow = HTTPResponse(status=429, headers={"Retry-After": "3600"})
    assert policy.get_retry_after(slow) == 2.0
    later = policy.increment("POST", "/x", response=slow)  # the copy keeps the cap
    assert later.get_retry_after(slow) == 2.0 and later.total == 2
    assert policy.is_retry("POST", 429, has_retry_after=True)
    assert not policy.is_retry("POST", 500)


def test_conjur_config_error_contacts_nothing(tmp_path: Path, conjur: ConjurApi) -> None:
    """A bad setting stops the run before the provider is reached (the messages of every
    provider's config errors are in test_rotation.py's table)."""
    stderr = config_error(
        project(tmp_path, conjur, rotation_token("conjur-config"), variable="a", url="ftp://x")
    )
    assert "kg.toml: rotation[0].url: must be an http:// or https:// URL" in stderr
    assert conjur.seen() == []
