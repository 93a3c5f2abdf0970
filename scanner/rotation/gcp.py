"""``gcp-secretmanager``: add a version to a Google Secret Manager secret and disable or destroy
the previous one, with google-cloud-secret-manager over its REST transport.

Credentials come from Application Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS``,
``gcloud auth application-default login``, the metadata server). The SDK's own retries are off:
throttling (429), server errors, timeouts and etag conflicts (409) are retried by the rotation
engine with the entry's ``retries``/``backoff``; a retry re-reads before it writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scanner.rotation.base import Outcome, RotationError, RotationRequest, Target, sha256_hex
from scanner.rotation.config import GcpSettings, RotationEntry
from scanner.rotation.context import ProviderContext
from scanner.rotation.indexed import IndexedProvider, sdk

ANNOTATION_FINGERPRINT = "keyguard-leaked-fingerprint"
ANNOTATION_ROTATED_AT = "keyguard-rotated-at"
ANNOTATION_RULE = "keyguard-rule"
ANNOTATION_VERSION = "keyguard-rotated-version"
_RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
_NO_ADC = (
    "no usable Google credentials (set GOOGLE_APPLICATION_CREDENTIALS or run "
    "`gcloud auth application-default login`)"
)


@dataclass(frozen=True, slots=True)
class _Added:
    version: str  # full resource name of the version keyguard added
    previous: str  # full resource name of the version that held the leaked value


@dataclass(frozen=True, slots=True)
class _Pending:
    """An add that was sent: the version it replaces and the digest of the data sent."""

    previous: str
    digest: str


class GcpSecretManagerProvider(IndexedProvider[GcpSettings]):
    settings_type = GcpSettings

    def __init__(self, entry: RotationEntry, ctx: ProviderContext) -> None:
        super().__init__(entry, ctx)
        self._added: dict[str, _Added] = {}  # secret -> version added in this run
        self._pending: dict[str, _Pending] = {}

    def make_client(self) -> Any:
        with sdk("google-cloud-secret-manager", "gcp"):
            from google.cloud import secretmanager_v1
        options = {"api_endpoint": self.settings.endpoint} if self.settings.endpoint else None
        return self.call(
            "client",
            lambda: secretmanager_v1.SecretManagerServiceClient(
                transport="rest", client_options=options
            ),
        )

    def call(self, what: str, func: Any) -> Any:
        """``func()``; errors become ``RotationError`` (retryable when transient)."""
        from google.api_core import exceptions as gexc
        from google.auth import exceptions as auth_exc

        try:
            return func()
        except gexc.GoogleAPICallError as exc:
            status = int(exc.code or 0)
            reason = exc.reason or type(exc).__name__
            raise RotationError(
                f"{what}: {status} {reason}", retryable=status in _RETRYABLE_STATUS
            ) from None
        except gexc.RetryError as exc:
            raise RotationError(f"{what}: {type(exc).__name__}", retryable=True) from None
        except auth_exc.TransportError as exc:
            raise RotationError(f"{what}: {type(exc).__name__}", retryable=True) from None
        except auth_exc.DefaultCredentialsError:
            raise RotationError(f"{what}: {_NO_ADC}") from None
        except auth_exc.GoogleAuthError as exc:
            raise RotationError(f"{what}: credentials: {type(exc).__name__}") from None
        except OSError as exc:  # requests' ConnectionError/Timeout are OSErrors
            raise RotationError(f"{what}: {type(exc).__name__}", retryable=True) from None

    def rpc(self, method: str, what: str, **request: Any) -> Any:
        """One API method with the entry's timeout and without the SDK's own retries."""
        client = self.client()
        return self.call(
            what,
            lambda: getattr(client, method)(
                request=request, retry=None, timeout=self.entry.timeout
            ),
        )

    def secret_name(self, name: str) -> str:
        return name if name.startswith("projects/") else f"{self.parent}/secrets/{name}"

    @property
    def parent(self) -> str:
        return f"projects/{self.settings.project}"

    # -- read only -------------------------------------------------------------------------
    def resolve(self, request: RotationRequest) -> list[Target]:
        if self.entry.discover:
            found = self.holders(request)
        else:
            name = self.secret_name(self.settings.secret or "")
            self.rpc("get_secret", f"get {name}", name=name)  # must exist and be readable
            found = [Target(name, "", self.entry.generator.field)]
        action = "add a new version with a generated value"
        if self.settings.old_version != "keep":
            action += f", {self.settings.old_version} the previous version"
        return [t.acting(action) for t in found]

    def stored_values(self) -> Iterator[tuple[str, str]]:
        query: dict[str, Any] = {"parent": self.parent, "page_size": 100}
        if self.settings.discover_filter:
            query["filter"] = self.settings.discover_filter
        pager = self.rpc("list_secrets", f"list {self.parent}", **query)
        for secret in self.call(f"list {self.parent}", lambda: list(pager)):
            try:
                value = self.access(f"{secret.name}/versions/latest")[1]
            except RotationError as exc:
                if exc.retryable:
                    raise
                continue  # no enabled version, not readable, or not text: not a candidate
            yield str(secret.name), value

    def access(self, version: str) -> tuple[str, str]:
        """(resolved version name, text value) of a version."""
        response = self.rpc("access_secret_version", f"access {version}", name=version)
        payload = response.payload
        data = bytes(payload.data)
        if "data_crc32c" in payload and int(payload.data_crc32c) != _crc32c(data):
            raise RotationError(f"access {version}: payload checksum mismatch", retryable=True)
        try:
            return str(response.name), data.decode("utf-8")
        except UnicodeDecodeError:
            raise RotationError(f"{version}: binary payload; cannot replace it") from None

    # -- changes ----------------------------------------------------------------------------
    def rotate(self, request: RotationRequest, target: Target) -> Outcome:
        name = target.ref
        if name not in self._added:
            self._added[name] = self.add_version(name, target)
        done = self._added[name]
        self.annotate(name, done, request)
        details = {
            "secret": name,
            "version": _short(done.version),
            "previous_version": _short(done.previous),
        }
        if self.settings.old_version != "keep":
            details["previous_state"] = self.retire(done.previous)
        return Outcome(details)

    def add_version(self, name: str, target: Target) -> _Added:
        """Add the new version. When an earlier attempt's add landed although the call failed
        (a timeout after the service stored it), that version is adopted instead."""
        previous, value = self.access(f"{name}/versions/latest")
        pending = self._pending.get(name)
        if (
            pending is not None
            and previous != pending.previous
            and sha256_hex(value) == pending.digest
        ):
            return _Added(previous, pending.previous)
        data = self.new_value(value, target.field)
        self._pending[name] = _Pending(previous, sha256_hex(data))
        payload = data.encode("utf-8")
        added = self.rpc(
            "add_secret_version",
            f"add version to {name}",
            parent=name,
            payload={"data": payload, "data_crc32c": _crc32c(payload)},
        )
        return _Added(str(added.name), previous)

    def annotate(self, name: str, done: _Added, request: RotationRequest) -> None:
        """Record the leak in the secret's annotations (kept: everyone else's), guarded by the
        secret's etag: a concurrent change makes this fail with 409 and the retry re-reads."""
        secret = self.rpc("get_secret", f"get {name}", name=name)
        annotations = dict(secret.annotations)
        annotations.update(
            {
                ANNOTATION_FINGERPRINT: request.fingerprint,
                ANNOTATION_ROTATED_AT: self.ctx.now(),
                ANNOTATION_RULE: request.finding.rule_id[:256],
                ANNOTATION_VERSION: _short(done.version),
            }
        )
        self.rpc(
            "update_secret",
            f"annotate {name}",
            secret={"name": name, "annotations": annotations, "etag": secret.etag},
            update_mask={"paths": ["annotations"]},
        )

    def retire(self, version: str) -> str:
        """Disable or destroy ``version`` (guarded by its etag); nothing when already done."""
        from google.cloud.secretmanager_v1 import SecretVersion

        current = self.rpc("get_secret_version", f"get {version}", name=version)
        state = SecretVersion.State(current.state)
        wanted = self.settings.old_version
        if state == SecretVersion.State.DESTROYED or (
            wanted == "disable" and state == SecretVersion.State.DISABLED
        ):
            return str(state.name).lower()
        method = "destroy_secret_version" if wanted == "destroy" else "disable_secret_version"
        result = self.rpc(method, f"{wanted} {version}", name=version, etag=current.etag)
        return str(SecretVersion.State(result.state).name).lower()


def _crc32c(data: bytes) -> int:
    """CRC32C of a payload, as Secret Manager checks it (``google-crc32c``, the gcp extra)."""
    from google_crc32c import value

    return int(value(data))


def _short(version: str) -> str:
    return version.rsplit("/", 1)[-1]
