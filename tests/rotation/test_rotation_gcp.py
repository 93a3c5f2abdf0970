"""gcp-secretmanager rotation: the real ``SecretManagerServiceClient`` (REST transport, credentials
from Application Default Credentials: a service-account file with a throw-away key) against the
Secret Manager **contract server** (testing/contract/gcp_secretmanager.py, a local test double
written from the REST reference; there is no official emulator), driven through ``keyguard scan``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("google.cloud.secretmanager_v1", reason="needs keyguard[gcp]")

from google_crc32c import value as crc32c  # noqa: E402

from scanner.rotation.gcp import (  # noqa: E402
    ANNOTATION_FINGERPRINT,
    ANNOTATION_ROTATED_AT,
    ANNOTATION_RULE,
    ANNOTATION_VERSION,
)
from scanner.secret import Secret  # noqa: E402
from testing import rotationcli as rc
from testing.contract.gcp_secretmanager import SecretManagerContractServer  # noqa: E402
from testing.contract.server import Reply  # noqa: E402
from testing.servers import rotation_token  # noqa: E402

pytestmark = pytest.mark.slow
PROJECT = "kg-fake-project"


@pytest.fixture
def sm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretManagerContractServer]:
    server = SecretManagerContractServer(PROJECT, page_size=2)
    with server.running():
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(server.adc_file(tmp_path)))
        monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
        yield server


def project(tmp_path: Path, leak: str, url: str, **keys: Any) -> list[str]:
    files = {"app.env": f"SERVICE_TOKEN={leak}\n"}
    settings = {"project": PROJECT, "endpoint": url, "retries": 2, "backoff": 0, "timeout": 5}
    return rc.rotation_project(
        tmp_path, files, provider="gcp-secretmanager", **{**settings, **keys}
    )


def states(sm: SecretManagerContractServer, secret_id: str) -> list[str]:
    return [v.state for v in sm.secret(secret_id).versions]


def test_gcp_plan_rotate_rerun(tmp_path: Path, sm: SecretManagerContractServer) -> None:
    leak = rotation_token("gcp-plain")
    sm.create("api-token", leak)
    sm.secret("api-token").annotations["owner"] = "team-a"
    args = project(tmp_path, leak, sm.url, secret="api-token")
    name = f"projects/{PROJECT}/secrets/api-token"

    action = "add a new version with a generated value, disable the previous version"
    rc.plan_changes_nothing(args, tmp_path, f"gcp-secretmanager {name}: {action}")
    assert sm.writes() == [] and states(sm, "api-token") == ["ENABLED"]

    done = rc.rotated(args)
    assert states(sm, "api-token") == ["DISABLED", "ENABLED"]
    new = sm.value("api-token")
    assert new != leak and len(new) == 40 and sm.value("api-token", 1) == leak
    added = sm.seen("POST", ":addVersion")[0].body["payload"]
    assert int(added["dataCrc32c"]) == crc32c(new.encode())  # integrity checked by the server
    annotations = sm.secret("api-token").annotations
    assert annotations["owner"] == "team-a"
    assert annotations[ANNOTATION_FINGERPRINT] == Secret(leak).fingerprint()
    assert annotations[ANNOTATION_RULE] == "kgtest.rotation-token"
    assert annotations[ANNOTATION_VERSION] == "2" and annotations[ANNOTATION_ROTATED_AT]
    _, records = rc.read_audit(tmp_path)
    assert records[-1]["details"] == {
        "secret": name,
        "version": "2",
        "previous_version": "1",
        "previous_state": "disabled",
    }
    rc.assert_not_revealed(tmp_path, done, leak, new)

    writes = len(sm.writes())
    rc.rerun_skipped(args)
    assert len(sm.writes()) == writes and len(states(sm, "api-token")) == 2


def test_gcp_discovery_finds_exactly_the_holders(
    tmp_path: Path, sm: SecretManagerContractServer
) -> None:
    leak = rc.plant_holders(sm.create, "gcp")
    sm.create("f-binary", b"\xff\xfe" + leak.encode())
    sm.create("g-unreadable", leak)
    sm.deny("g-unreadable", "access")  # 403 while reading: skipped, not a failure
    args = project(tmp_path, leak, sm.url, discover=True, old_version="destroy")

    plan = rc.keyguard(args)
    planned = [line for line in plan.stderr.splitlines() if "→ gcp-secretmanager" in line]
    assert len(planned) == 2, plan.stderr
    assert "secrets/a-plain: add a new version with a generated value, destroy" in planned[0]
    assert "secrets/c-json: add a new version" in planned[1] and "(field api_key)" in planned[1]
    tokens = [r.query.get("pageToken") for r in sm.seen("GET", f"^/v1/projects/{PROJECT}/secrets$")]
    assert tokens == [None, "2", "4", "6"]  # 7 secrets, 2 a page: nextPageToken followed
    assert sm.writes() == []

    rc.rotated(args, 2)
    assert states(sm, "a-plain") == ["DESTROYED", "ENABLED"] and sm.value("a-plain") != leak
    assert states(sm, "c-json") == ["DESTROYED", "ENABLED"]
    rc.assert_field_rotated(sm.value("c-json"), leak)
    for untouched in ("b-decoy", "d-decoy", "f-binary", "g-unreadable"):
        assert states(sm, untouched) == ["ENABLED"]
    assert states(sm, "e-old") == ["ENABLED", "ENABLED"]


def test_gcp_throttling_and_etag_conflict_are_retried(
    tmp_path: Path, sm: SecretManagerContractServer
) -> None:
    leak = rotation_token("gcp-retry")
    sm.create("api-token", leak)
    quota = {"error": {"code": 429, "message": "Quota exceeded.", "status": "RESOURCE_EXHAUSTED"}}
    sm.fail("POST", ":addVersion$", Reply(429, quota))

    def concurrent_writer() -> None:  # another writer changes the secret between read and write
        secret = sm.secret("api-token")
        secret.annotations["owner"] = "team-b"
        secret.etag += 100

    sm.before("PATCH", "/secrets/api-token$", concurrent_writer)
    args = project(tmp_path, leak, sm.url, secret="api-token")

    rc.rotated(args)
    assert [r.status for r in sm.seen("POST", ":addVersion")] == [429, 200]
    assert [r.status for r in sm.seen("PATCH")] == [409, 200]  # stale etag, then re-read
    assert states(sm, "api-token") == ["DISABLED", "ENABLED"]  # one version added, not two
    annotations = sm.secret("api-token").annotations
    assert annotations["owner"] == "team-b" and ANNOTATION_FINGERPRINT in annotations
    errors = rc.retry_errors(tmp_path)
    assert len(errors) == 2
    assert errors[0].endswith(": 429 TooManyRequests") and errors[1].endswith(": 409 Conflict")


def test_gcp_timed_out_add_that_landed_is_adopted_not_repeated(
    tmp_path: Path, sm: SecretManagerContractServer
) -> None:
    leak = rotation_token("gcp-timeout")
    sm.create("api-token", leak)
    sm.slow("POST", ":addVersion$", delay=1.0)  # stored at once, answered after the timeout
    args = project(tmp_path, leak, sm.url, secret="api-token", timeout=0.4)

    rc.rotated(args)
    assert len(sm.seen("POST", ":addVersion")) == 1  # the retry found it and did not add again
    assert states(sm, "api-token") == ["DISABLED", "ENABLED"] and sm.value("api-token") != leak
    assert rc.retry_errors(tmp_path) == [
        f"add version to projects/{PROJECT}/secrets/api-token: ReadTimeout"
    ]
    _, records = rc.read_audit(tmp_path)
    assert records[-1]["details"]["version"] == "2"


def test_gcp_permission_error_fails_that_target_only(
    tmp_path: Path, sm: SecretManagerContractServer
) -> None:
    leak = rc.plant_locked_and_open(sm.create, "gcp-403")
    sm.deny("locked", "add")
    args = project(tmp_path, leak, sm.url, discover=True, old_version="keep")

    rc.one_target_failed(
        args,
        tmp_path,
        "secrets/locked: add version to",
        "403 Forbidden",
        f"gcp-secretmanager projects/{PROJECT}/secrets/open: done",
    )
    assert states(sm, "open") == ["ENABLED", "ENABLED"] and states(sm, "locked") == ["ENABLED"]


def test_gcp_without_credentials_fails_the_rotation_not_the_scan(
    tmp_path: Path, sm: SecretManagerContractServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    leak = rotation_token("gcp-nocred")
    sm.create("api-token", leak)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    args = project(tmp_path, leak, sm.url, secret="api-token")
    done = rc.keyguard(args, "--rotate", "--format", "json")
    assert done.exit_code == 1, done.output
    assert "rotation failed:" in done.stderr and "no usable Google credentials" in done.stderr
    assert json.loads(done.stdout)["findings"][0]["rule_id"] == "kgtest.rotation-token"
    assert sm.requests == []
