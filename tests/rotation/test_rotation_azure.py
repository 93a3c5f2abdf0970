"""azure-keyvault rotation: the real azure-keyvault-secrets ``SecretClient`` against the Key Vault
**contract server** (testing/contract/azure_keyvault.py, a local test double written from the
REST reference; there is no official Key Vault emulator), driven through ``keyguard scan``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("azure.keyvault.secrets", reason="needs keyguard[azure]")

from azure.core.credentials import AccessToken  # noqa: E402

from scanner.rotation import PROVIDERS  # noqa: E402
from scanner.rotation.azure import (  # noqa: E402
    TAG_FINGERPRINT,
    TAG_LEAKED,
    TAG_ROTATED_AT,
    TAG_RULE,
    AzureKeyVaultProvider,
)
from scanner.secret import Secret  # noqa: E402
from testing import rotationcli as rc
from testing.contract.azure_keyvault import TOKEN, KeyVaultContractServer, tls_pair  # noqa: E402
from testing.contract.server import Reply  # noqa: E402
from testing.servers import rotation_token  # noqa: E402

pytestmark = pytest.mark.slow


class StaticToken:
    """A credential handing out the contract server's token (azure-core's ``TokenCredential``)."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(TOKEN, int(time.time()) + 3600)


class ContractKeyVault(AzureKeyVaultProvider):
    """The production provider with the two seams pointed at the contract server: a static
    token instead of ``DefaultAzureCredential``, and trust in the test CA. The challenge names
    ``vault.azure.net``, which 127.0.0.1 cannot match, so resource verification is off."""

    ca_file = ""

    def credential(self) -> Any:
        return StaticToken()

    def client_options(self) -> dict[str, Any]:
        options = super().client_options()
        return {**options, "connection_verify": self.ca_file, "verify_challenge_resource": False}


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return tls_pair(tmp_path_factory.mktemp("kv-tls"))


@pytest.fixture
def kv(tls: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[KeyVaultContractServer]:
    context, ca_file = tls
    monkeypatch.setattr(ContractKeyVault, "ca_file", str(ca_file))
    monkeypatch.setitem(PROVIDERS, "azure-keyvault", ContractKeyVault)
    server = KeyVaultContractServer(context, page_size=2)
    with server.running():
        yield server


def project(tmp_path: Path, leaks: list[str], url: str, **keys: Any) -> list[str]:
    files = {"app.env": "".join(f"TOKEN_{i}={leak}\n" for i, leak in enumerate(leaks))}
    settings = {"vault_url": url, "retries": 2, "backoff": 0, "timeout": 5}
    return rc.rotation_project(tmp_path, files, provider="azure-keyvault", **settings, **keys)


def test_azure_plan_rotate_rerun(tmp_path: Path, kv: KeyVaultContractServer) -> None:
    leak = rotation_token("azure-plain")
    first = kv.put("api-token", leak, tags={"owner": "team-a"}, content_type="text/plain")
    args = project(tmp_path, [leak], kv.url, secret_name="api-token", disable_old=True)

    action = "set a new version with a generated value, disable the previous version"
    rc.plan_changes_nothing(args, tmp_path, f"azure-keyvault api-token: {action}")
    assert kv.writes() == [] and len(kv.versions("api-token")) == 1

    done = rc.rotated(args)
    old, new = kv.versions("api-token")
    assert old.id == first.id and not old.enabled and old.tags[TAG_LEAKED]
    assert new.enabled and new.value != leak and len(new.value) == 40
    assert new.content_type == "text/plain" and new.tags["owner"] == "team-a"
    assert new.tags[TAG_FINGERPRINT] == Secret(leak).fingerprint() == old.tags[TAG_LEAKED]
    assert new.tags[TAG_RULE] == "kgtest.rotation-token" and new.tags[TAG_ROTATED_AT].endswith("Z")
    _, records = rc.read_audit(tmp_path)
    assert [(r["event"], r.get("status")) for r in records] == [("attempt", None), ("result", "ok")]
    assert records[1]["details"] == {
        "secret": "api-token",
        "version": new.id,
        "previous_version": old.id,
        "previous_enabled": "false",
    }
    rc.assert_not_revealed(tmp_path, done, leak, new.value)

    writes = len(kv.writes())
    rc.rerun_skipped(args)
    assert len(kv.writes()) == writes and len(kv.versions("api-token")) == 2


def test_azure_discovery_finds_exactly_the_holders(
    tmp_path: Path, kv: KeyVaultContractServer
) -> None:
    leak = rc.plant_holders(kv.put, "azure")
    kv.put("f-disabled", leak, enabled=False)
    kv.put("g-unreadable", leak)
    kv.deny("g-unreadable", "get")  # 403 while reading: skipped, not a failure
    args = project(tmp_path, [leak], kv.url, discover=True)

    plan = rc.keyguard(args)
    assert plan.exit_code == 1, plan.output
    planned = [line for line in plan.stderr.splitlines() if "→ azure-keyvault" in line]
    assert len(planned) == 2, plan.stderr
    assert "a-plain: set a new version with a generated value" in planned[0]
    assert "c-json: set a new version with a generated value (field api_key)" in planned[1]
    assert len(kv.seen("GET", "^/secrets$")) >= 4  # 7 secrets, 2 a page: nextLink followed
    assert kv.writes() == []

    rc.rotated(args, 2)
    assert kv.latest("a-plain").value != leak
    rc.assert_field_rotated(kv.latest("c-json").value, leak)
    for untouched in ("b-decoy", "d-decoy", "f-disabled", "g-unreadable"):
        assert len(kv.versions(untouched)) == 1
    assert len(kv.versions("e-old")) == 2
    assert all(v.enabled for v in kv.versions("a-plain"))  # disable_old is off by default


def test_azure_throttling_and_conflict_are_retried(
    tmp_path: Path, kv: KeyVaultContractServer
) -> None:
    leak = rotation_token("azure-retry")
    kv.put("api-token", leak)
    throttled = {"error": {"code": "Throttled", "message": "Rate limit exceeded."}}
    conflict = {"error": {"code": "Conflict", "message": "Conflicting operation in progress."}}
    kv.fail("PUT", "^/secrets/api-token$", Reply(429, throttled, {"Retry-After": "0"}))
    kv.fail("PUT", "^/secrets/api-token$", Reply(409, conflict))
    kv.fail("PATCH", "^/secrets/api-token/", Reply(409, conflict))  # after the new version
    args = project(tmp_path, [leak], kv.url, secret_name="api-token", disable_old=True)

    rc.rotated(args)
    # 429: the SDK's retry policy (honouring Retry-After); 409: the engine, which re-reads first
    assert [r.status for r in kv.seen("PUT") if r.status != 401] == [429, 409, 200]
    assert [r.status for r in kv.seen("PATCH") if r.status != 401] == [409, 200]
    old, new = kv.versions("api-token")  # the retry after the PATCH conflict resumed: one new
    assert not old.enabled and new.enabled and new.value != leak
    assert rc.retry_errors(tmp_path) == [
        "set api-token: 409 Conflict",
        f"disable api-token/{old.id}: 409 Conflict",
    ]


def test_azure_permission_error_fails_that_target_only(
    tmp_path: Path, kv: KeyVaultContractServer
) -> None:
    leak = rc.plant_locked_and_open(kv.put, "azure-403")
    kv.deny("locked", "set")
    args = project(tmp_path, [leak], kv.url, discover=True)

    rc.one_target_failed(
        args,
        tmp_path,
        "rotation failed:",
        "locked: set locked: 403 Forbidden",
        "azure-keyvault open: done",
    )
    assert kv.latest("open").value != leak and len(kv.versions("locked")) == 1

    kv.denied.clear()  # permission granted: the next run rotates what is left, once
    rc.rotated(args)
    assert len(kv.versions("open")) == 2 and len(kv.versions("locked")) == 2
