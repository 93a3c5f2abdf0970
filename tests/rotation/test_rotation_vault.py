"""vault rotation against a real OpenBao dev server (KV v2 at ``secret/``) through hvac."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from scanner.config import parse_config
from scanner.rotation import RotationOptions, run
from scanner.secret import Secret
from testing.findings import make_finding
from testing.rotationcli import keyguard, rotation_failed, rotation_project
from testing.servers import BaoServer, rotation_token

pytestmark = pytest.mark.slow
hvac = pytest.importorskip("hvac", reason="vault rotation needs keyguard[vault]")


@pytest.fixture
def client(bao: BaoServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("VAULT_ADDR", bao.addr)
    monkeypatch.setenv("VAULT_TOKEN", bao.token)
    return hvac.Client(url=bao.addr, token=bao.token)


def project(tmp_path: Path, leak: str, **keys: Any) -> list[str]:
    files = {"app.env": f"SERVICE_TOKEN={leak}\n"}
    return rotation_project(tmp_path, files, provider="vault", retries=0, timeout=5, **keys)


def read(client: Any, path: str) -> tuple[dict[str, Any], int]:
    data = client.secrets.kv.v2.read_secret_version(path=path, raise_on_deleted_version=True)
    return data["data"]["data"], data["data"]["metadata"]["version"]


def custom_metadata(client: Any, path: str) -> dict[str, str]:
    meta = client.secrets.kv.v2.read_secret_metadata(path=path)["data"]
    return dict(meta.get("custom_metadata") or {})


def test_vault_plan_rotate_rerun(tmp_path: Path, client: Any) -> None:
    leak = rotation_token("vault-plain")
    path = f"kg/{uuid.uuid4().hex[:8]}/app"
    client.secrets.kv.v2.create_or_update_secret(path=path, secret={"token": leak})
    args = project(tmp_path, leak, path=path)

    plan = keyguard(args)
    assert plan.exit_code == 1, plan.output
    assert f"vault {path}: write new KV v2 version at secret/{path} (field token)" in plan.stderr
    assert read(client, path) == ({"token": leak}, 1) and custom_metadata(client, path) == {}
    assert not (tmp_path / "state.json").exists() and not (tmp_path / "audit.jsonl").exists()

    done = keyguard(args, "--rotate")
    assert "rotation: 1 rotated" in done.stderr, done.stderr
    data, version = read(client, path)
    assert version == 2 and data["token"] != leak and len(data["token"]) == 40
    meta = custom_metadata(client, path)
    assert meta["keyguard_leaked_fingerprint"] == Secret(leak).fingerprint()
    assert meta["keyguard_rule"] == "kgtest.rotation-token" and meta["keyguard_field"] == "token"
    assert meta["keyguard_rotated_at"].endswith("Z")
    assert meta["keyguard_location"].endswith("app.env")
    audit = (tmp_path / "audit.jsonl").read_text()
    assert leak not in audit and data["token"] not in audit and '"status": "ok"' in audit

    again = keyguard(args, "--rotate")
    assert "skipped: already rotated" in again.stderr
    assert read(client, path)[1] == 2


def test_vault_discovery_finds_field_in_tree(tmp_path: Path, client: Any) -> None:
    leak = rotation_token("vault-disc")
    root = f"kg/{uuid.uuid4().hex[:8]}"
    kv = client.secrets.kv.v2
    kv.create_or_update_secret(path=f"{root}/svc/db", secret={"user": "svc", "password": leak})
    kv.create_or_update_secret(path=f"{root}/other", secret={"token": rotation_token("decoy")})
    args = project(
        tmp_path, leak, path=f"secret/{root}", discover=True, generator={"alphabet": "abcdef0123"}
    )

    plan = keyguard(args)
    assert f"write new KV v2 version at secret/{root}/svc/db (field password)" in plan.stderr
    assert f"{root}/other" not in plan.stderr

    done = keyguard(args, "--rotate")
    assert "rotation: 1 rotated" in done.stderr, done.stderr
    data, version = read(client, f"{root}/svc/db")
    assert version == 2 and data["user"] == "svc" and data["password"] != leak
    assert set(data["password"]) <= set("abcdef0123") and len(data["password"]) == 40
    assert read(client, f"{root}/other")[1] == 1


@pytest.mark.parametrize(
    ("given", "inside"),
    [("app/x", "app/x"), ("secret/app/x", "app/x"), ("/secret/data/app/x/", "app/x"),
     ("secret", ""), ("secret/", ""), ("other/app", "other/app")],
)  # fmt: skip
def test_vault_path_accepts_mount_prefixes(given: str, inside: str) -> None:
    from scanner.rotation.vault import kv_path

    assert kv_path(given, "secret") == inside


def test_vault_ambiguous_secret_fails_without_field(
    tmp_path: Path, client: Any, bao: BaoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VAULT_ADDR")  # OpenBao's own variable names work too
    monkeypatch.delenv("VAULT_TOKEN")
    monkeypatch.setenv("BAO_ADDR", bao.addr)
    monkeypatch.setenv("BAO_TOKEN", bao.token)
    leak = rotation_token("vault-multi")
    path = f"kg/{uuid.uuid4().hex[:8]}/multi"
    client.secrets.kv.v2.create_or_update_secret(path=path, secret={"a": leak, "b": "other"})
    args = project(tmp_path, leak, path=path)
    result = rotation_failed(args)
    assert "secret has 2 keys; set `generator.field`" in result.stderr
    assert read(client, path)[1] == 1
    ok = keyguard(project(tmp_path / "b", leak, path=path, generator={"field": "a"}), "--rotate")
    assert "1 rotated" in ok.stderr and read(client, path)[0]["b"] == "other"


def test_vault_missing_token_is_a_reported_failure(
    tmp_path: Path, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VAULT_TOKEN")
    result = keyguard(project(tmp_path, rotation_token("vault-notoken"), path="kg/x"), "--rotate")
    assert result.exit_code == 1 and "no Vault token: set VAULT_TOKEN" in result.stderr


def test_vault_lease_in_finding_is_revoked(tmp_path: Path, client: Any, bao: BaoServer) -> None:
    mount = f"pki{uuid.uuid4().hex[:6]}"
    client.sys.enable_secrets_engine("pki", path=mount)
    client.secrets.pki.generate_root(type="internal", common_name="kg.test", mount_point=mount)
    client.secrets.pki.create_or_update_role(
        "kg", {"allow_any_name": True, "generate_lease": True, "ttl": "1h"}, mount_point=mount
    )
    lease = client.secrets.pki.generate_certificate("kg", "a.kg.test", mount_point=mount)
    lease_id = lease["lease_id"]
    assert client.sys.read_lease(lease_id)["data"]["id"] == lease_id
    leaked = make_finding(
        "kgtest.rotation-token",
        rotation_token("vault-lease"),
        path="logs/app.log",
        detail=(("lease_id", lease_id),),
    )
    config = parse_config(
        {"rotation": [{"rules": ["kgtest.*"], "provider": "vault", "retries": 0}]}, "kg", tmp_path
    )
    lines: list[str] = []
    options = RotationOptions(state_file=tmp_path / "s.json", audit_file=tmp_path / "a.jsonl")
    run([leaked], config, options, lines.append)
    assert f"vault {lease_id}: revoke lease" in lines[0]
    assert client.sys.read_lease(lease_id)["data"]["id"] == lease_id  # plan: still alive

    summary = run(
        [leaked],
        config,
        RotationOptions(rotate=True, state_file=options.state_file, audit_file=options.audit_file),
        lines.append,
    )
    assert summary.count("rotated") == 1, lines
    with pytest.raises(hvac.exceptions.InvalidRequest):
        client.sys.read_lease(lease_id)


def test_vault_missing_path_fails_in_plan(tmp_path: Path, client: Any) -> None:
    args = project(tmp_path, rotation_token("vault-nopath"), path="kg/never-written")
    result = keyguard(args, "--fail-on-rotation-error")
    assert result.exit_code == 4
    assert (
        "rotation failed" in result.stderr and "read kg/never-written: InvalidPath" in result.stderr
    )
