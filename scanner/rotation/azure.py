"""``azure-keyvault``: store a new version of an Azure Key Vault secret with azure-keyvault-secrets.

Credentials come from ``DefaultAzureCredential`` (environment, workload identity, managed
identity, Azure CLI, ...). Transient errors (408, 429 with ``Retry-After``, 5xx, connection
errors) are retried by the SDK's own retry policy, configured from the entry's ``retries``,
``backoff`` and ``timeout``; a 409 conflict is retried by the rotation engine, which re-reads the
secret first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scanner.rotation.base import Outcome, RotationError, RotationRequest, Target, sha256_hex
from scanner.rotation.config import AzureSettings, RotationEntry
from scanner.rotation.context import ProviderContext
from scanner.rotation.indexed import IndexedProvider, sdk

TAG_FINGERPRINT = "keyguard-leaked-fingerprint"
TAG_ROTATED_AT = "keyguard-rotated-at"
TAG_RULE = "keyguard-rule"
TAG_LEAKED = "keyguard-leaked"
MAX_TAGS = 15  # Key Vault's limit per secret version


@dataclass(frozen=True, slots=True)
class _Written:
    version: str
    previous: str
    previous_tags: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Pending:
    """A write that was sent: the version it replaces and the digest of the value sent."""

    previous: str
    previous_tags: dict[str, str]
    digest: str


class AzureKeyVaultProvider(IndexedProvider[AzureSettings]):
    settings_type = AzureSettings

    def __init__(self, entry: RotationEntry, ctx: ProviderContext) -> None:
        super().__init__(entry, ctx)
        # secret name -> what was written: a retry resumes and never writes a second version
        self._written: dict[str, _Written] = {}
        self._pending: dict[str, _Pending] = {}

    # -- seams (tests replace the credential and the transport options) ---------------------
    def credential(self) -> Any:
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential(exclude_interactive_browser_credential=True)

    def client_options(self) -> dict[str, Any]:
        """The SDK's retry policy and timeouts, from the entry."""
        return {
            "retry_total": self.entry.retries,
            "retry_backoff_factor": self.entry.backoff,
            "retry_backoff_max": max(self.entry.backoff * 8, 1.0),
            "connection_timeout": self.entry.timeout,
            "read_timeout": self.entry.timeout,
        }

    def make_client(self) -> Any:
        with sdk("azure-keyvault-secrets", "azure"):
            from azure.keyvault.secrets import SecretClient
        with sdk("azure-identity", "azure"):
            credential = self.credential()
        return SecretClient(self.settings.vault_url, credential, **self.client_options())

    def call(self, what: str, operation: str, *args: Any, **kwargs: Any) -> Any:
        client = self.client()
        return self.guard(what, lambda: getattr(client, operation)(*args, **kwargs))

    def guard(self, what: str, func: Any) -> Any:
        """``func()``; errors become ``RotationError`` (409 conflicts are retryable: the SDK
        has already retried throttling, server errors and connection failures)."""
        from azure.core.exceptions import AzureError, HttpResponseError

        try:
            return func()
        except HttpResponseError as exc:
            status = int(exc.status_code or 0)
            code = exc.error.code if exc.error is not None and exc.error.code else exc.reason
            label = f"{status} {code}" if status else type(exc).__name__
            raise RotationError(f"{what}: {label}", retryable=status == 409) from None
        except AzureError as exc:
            raise RotationError(f"{what}: {type(exc).__name__}") from None

    # -- read only -------------------------------------------------------------------------
    def resolve(self, request: RotationRequest) -> list[Target]:
        if self.entry.discover:
            found = self.holders(request)
        else:
            name = self.settings.secret_name or ""
            self.call(f"get {name}", "get_secret", name)  # must exist and be readable
            found = [Target(name, "", self.entry.generator.field)]
        action = "set a new version with a generated value"
        if self.settings.disable_old:
            action += ", disable the previous version"
        return [t.acting(action) for t in found]

    def stored_values(self) -> Iterator[tuple[str, str]]:
        prefix = self.settings.discover_prefix or ""
        client = self.client()
        listed = self.guard("list", lambda: list(client.list_properties_of_secrets()))
        for props in listed:
            name = str(props.name)
            if not name.startswith(prefix) or props.enabled is False or props.managed:
                continue  # disabled, or backing a certificate (managed by Key Vault itself)
            value = self.guard(f"get {name}", lambda n=name: _readable(client, n))
            if isinstance(value, str):
                yield name, value

    # -- changes ----------------------------------------------------------------------------
    def rotate(self, request: RotationRequest, target: Target) -> Outcome:
        name = target.ref
        if name not in self._written:
            self._written[name] = self.write(name, target, request)
        done = self._written[name]
        details = {"secret": name, "version": done.version, "previous_version": done.previous}
        if self.settings.disable_old:
            # setting enabled=false (and the marker tag) again is harmless on a retry
            self.call(
                f"disable {name}/{done.previous}",
                "update_secret_properties",
                name,
                done.previous,
                enabled=False,
                tags=_capped({**done.previous_tags, TAG_LEAKED: request.fingerprint}),
            )
            details["previous_enabled"] = "false"
        return Outcome(details)

    def write(self, name: str, target: Target, request: RotationRequest) -> _Written:
        """Store the new version. When an earlier attempt's write landed although the call
        failed (a timeout after the service stored it), that version is adopted instead."""
        current = self.call(f"get {name}", "get_secret", name)
        props = current.properties
        version = str(props.version)
        pending = self._pending.get(name)
        if (
            pending is not None
            and version != pending.previous
            and isinstance(current.value, str)
            and sha256_hex(current.value) == pending.digest
        ):
            return _Written(version, pending.previous, pending.previous_tags)
        new_value = self.new_value(current.value, target.field)
        old_tags = dict(props.tags or {})
        self._pending[name] = _Pending(version, old_tags, sha256_hex(new_value))
        written = self.call(
            f"set {name}",
            "set_secret",
            name,
            new_value,
            tags=self.leak_tags(dict(old_tags), request),
            content_type=props.content_type,
        )
        return _Written(str(written.properties.version), version, old_tags)

    def leak_tags(self, tags: dict[str, str], request: RotationRequest) -> dict[str, str]:
        tags.pop(TAG_LEAKED, None)  # a marker of the old version, not of the new one
        tags.update(
            {
                TAG_FINGERPRINT: request.fingerprint,
                TAG_ROTATED_AT: self.ctx.now(),
                TAG_RULE: request.finding.rule_id[:256],
            }
        )
        return _capped(tags)


def _readable(client: Any, name: str) -> Any:
    """The latest value, or ``None`` when it may not be read (403: no permission, or the latest
    version is disabled; 404: gone meanwhile). Other errors are raised."""
    from azure.core.exceptions import HttpResponseError

    try:
        return client.get_secret(name).value
    except HttpResponseError as exc:
        if exc.status_code in (403, 404):
            return None
        raise


def _capped(tags: dict[str, str]) -> dict[str, str]:
    """At most ``MAX_TAGS`` tags, keyguard's own kept first."""
    ours = {k: v for k, v in tags.items() if k.startswith("keyguard-")}
    others = [(k, v) for k, v in tags.items() if k not in ours]
    return {**dict(others[: MAX_TAGS - len(ours)]), **ours}
