"""``vault``: write a new KV v2 version (with custom metadata recording the leak) through hvac, or
revoke the lease of a dynamic secret when the finding carries a lease id.

Address and token come from ``VAULT_ADDR`` and ``VAULT_TOKEN`` (``addr``/``token_env`` override).
"""

from __future__ import annotations

from typing import Any

from scanner.rotation.base import Outcome, RotationError, RotationRequest, Target, only_key
from scanner.rotation.config import RotationEntry, VaultSettings
from scanner.rotation.context import ProviderContext
from scanner.rotation.indexed import IndexedProvider, index_data, sdk

MAX_DISCOVERED_PATHS = 5000
_RETRYABLE = frozenset({"RateLimitExceeded", "InternalServerError", "VaultDown", "BadGateway"})


class VaultProvider(IndexedProvider[VaultSettings]):
    settings_type = VaultSettings

    def __init__(self, entry: RotationEntry, ctx: ProviderContext) -> None:
        super().__init__(entry, ctx)
        self.path = kv_path(self.settings.path or "", self.settings.mount)

    def make_client(self) -> Any:
        with sdk("hvac", "vault"):
            import hvac
        env = self.ctx.env
        addr = self.settings.addr or env.get("VAULT_ADDR") or env.get("BAO_ADDR")
        if not addr:
            raise RotationError("no Vault address: set VAULT_ADDR or `addr`")
        token = env.get(self.settings.token_env)
        if not token and self.settings.token_env == "VAULT_TOKEN":
            token = env.get("BAO_TOKEN")
        if not token:
            raise RotationError(f"no Vault token: set {self.settings.token_env}")
        return hvac.Client(url=addr, token=token, timeout=self.entry.timeout)

    def call(self, what: str, func: Any, **kwargs: Any) -> Any:
        import hvac.exceptions
        import requests

        try:
            return func(**kwargs)
        except hvac.exceptions.VaultError as exc:
            name = type(exc).__name__
            raise RotationError(f"{what}: {name}", retryable=name in _RETRYABLE) from None
        except requests.RequestException as exc:
            raise RotationError(f"{what}: {type(exc).__name__}", retryable=True) from None

    @property
    def kv(self) -> Any:
        return self.client().secrets.kv.v2

    # -- read only -------------------------------------------------------------------------
    def resolve(self, request: RotationRequest) -> list[Target]:
        lease = request.lease_id()
        if lease:
            return [Target(lease, "revoke lease")]
        if self.entry.discover:
            found = self.holders(request)
        elif self.path:
            data = self.read(self.path)[0]  # the secret must exist; names the key to replace
            key = self.entry.generator.field or (next(iter(data)) if len(data) == 1 else None)
            found = [Target(self.path, "", key)]
        else:
            raise RotationError("no `path` configured and the finding carries no lease id")
        mount = self.settings.mount
        return [t.acting(f"write new KV v2 version at {mount}/{t.ref}") for t in found]

    def build_index(self) -> dict[str, list[Target]]:
        index: dict[str, list[Target]] = {}
        for path in self.list_paths(self.path):
            index_data(index, path, self.read(path)[0])
        return index

    def list_paths(self, root: str) -> list[str]:
        """Secret paths under ``root`` (a folder, or a single secret path), depth first."""
        out: list[str] = []
        folders = [root]
        while folders and len(out) < MAX_DISCOVERED_PATHS:
            folder = folders.pop()
            try:
                listed = self.call(
                    "list", self.kv.list_secrets, path=folder, mount_point=self.settings.mount
                )
            except RotationError:
                if folder == root and root:
                    out.append(root)  # not a folder: maybe the secret itself
                continue
            for key in listed.get("data", {}).get("keys", []):
                child = f"{folder}/{key}" if folder else str(key)
                if child.endswith("/"):
                    folders.append(child.rstrip("/"))
                else:
                    out.append(child)
        return sorted(out)

    def read(self, path: str) -> tuple[dict[str, Any], int]:
        response = self.call(
            f"read {path}",
            self.kv.read_secret_version,
            path=path,
            mount_point=self.settings.mount,
            raise_on_deleted_version=True,
        )
        data = response.get("data", {})
        return dict(data.get("data") or {}), int(data.get("metadata", {}).get("version", 0))

    # -- changes ----------------------------------------------------------------------------
    def rotate(self, request: RotationRequest, target: Target) -> Outcome:
        if target.action == "revoke lease":
            self.call("revoke lease", self.client().sys.revoke_lease, lease_id=target.ref)
            return Outcome({"lease_id": target.ref, "revoked": "true"})
        data, version = self.read(target.ref)
        key = target.field or only_key(data, target.ref)
        data[key] = self.new_value()
        written = self.call(
            f"write {target.ref}",
            self.kv.create_or_update_secret,
            path=target.ref,
            secret=data,
            cas=version,
            mount_point=self.settings.mount,
        )
        new_version = str(written.get("data", {}).get("version", ""))
        self.record_leak(target.ref, request, key)
        return Outcome({"path": f"{self.settings.mount}/{target.ref}", "version": new_version})

    def record_leak(self, path: str, request: RotationRequest, key: str) -> None:
        meta = self.call(
            f"metadata {path}",
            self.kv.read_secret_metadata,
            path=path,
            mount_point=self.settings.mount,
        )
        custom = dict(meta.get("data", {}).get("custom_metadata") or {})
        custom.update(
            {
                "keyguard_leaked_fingerprint": request.fingerprint,
                "keyguard_rotated_at": self.ctx.now(),
                "keyguard_rule": request.finding.rule_id,
                "keyguard_field": key,
                "keyguard_location": request.finding.origin.display[:512],
            }
        )
        self.call(
            f"metadata {path}",
            self.kv.update_metadata,
            path=path,
            mount_point=self.settings.mount,
            custom_metadata=custom,
        )


def kv_path(path: str, mount: str) -> str:
    """The path inside the mount: ``secret/app``, ``secret/data/app`` and ``app`` → ``app``."""
    path = path.strip("/")
    if path in (mount, f"{mount}/data"):
        return ""
    for prefix in (f"{mount}/data/", f"{mount}/"):
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path
