"""A contract server for the Azure Key Vault secrets data plane (not Azure: a test double).

Written from the Key Vault REST reference for the calls keyguard makes: ``GET /secrets`` (paged
with ``maxresults`` and a ``nextLink`` carrying ``$skiptoken``), ``GET /secrets/{name}/{version}``
(no version: the latest), ``PUT /secrets/{name}`` (a new version), ``PATCH
/secrets/{name}/{version}`` (attributes and tags; tags are replaced as a whole) and ``GET
/secrets/{name}/versions``. Every call needs ``api-version``. A request without a bearer token
gets the 401 challenge (``WWW-Authenticate: Bearer authorization=..., resource=...``) that the
SDK answers; errors use the ``{"error": {"code", "message", "innererror"}}`` shape; reading a
disabled version is 403. It serves TLS only (the SDK refuses to send a token over plain HTTP),
with a certificate from a throw-away ``trustme`` CA.
"""

from __future__ import annotations

import itertools
import ssl
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from testing.contract.server import ContractServer, Reply

TOKEN = "kg-contract-azure-token-FAKE"
TENANT = "00000000-0000-0000-0000-00000000fake"
CHALLENGE = (
    f'Bearer authorization="https://login.example.test/{TENANT}", '
    'resource="https://vault.azure.net"'
)


@dataclass
class Version:
    id: str
    value: str
    enabled: bool = True
    tags: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    created: int = field(default_factory=lambda: int(time.time()))
    updated: int = field(default_factory=lambda: int(time.time()))


@dataclass
class Secret:
    versions: list[Version] = field(default_factory=list)
    managed: bool = False


class KeyVaultContractServer(ContractServer):
    def __init__(self, tls: ssl.SSLContext, page_size: int = 25) -> None:
        super().__init__(tls)
        self.page_size = page_size
        self.secrets: dict[str, Secret] = {}
        self.denied: set[tuple[str, str]] = set()  # (secret name, "get" | "set" | "update")
        self._order = itertools.count()

    # -- for tests ---------------------------------------------------------------------------
    def put(self, name: str, value: str, **kwargs: Any) -> Version:
        with self.lock:
            version = Version(uuid.uuid4().hex, value, **kwargs)
            self.secrets.setdefault(name, Secret()).versions.append(version)
            return version

    def versions(self, name: str) -> list[Version]:
        with self.lock:
            return list(self.secrets[name].versions)

    def latest(self, name: str) -> Version:
        return self.versions(name)[-1]

    def deny(self, name: str, operation: str) -> None:
        with self.lock:
            self.denied.add((name, operation))

    # -- the API -----------------------------------------------------------------------------
    def serve(
        self, method: str, path: str, query: Mapping[str, str], headers: Any, body: Any
    ) -> Reply:
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return Reply(
                401,
                error("Unauthorized", "AKV10000: Request is missing a Bearer token."),
                {"WWW-Authenticate": CHALLENGE},
            )
        if not query.get("api-version"):
            return Reply(400, error("BadParameter", "The api-version parameter is missing."))
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[0] != "secrets":
            return Reply(404, error("NotFound", "Unknown path."))
        if len(parts) == 1 and method == "GET":
            return self.list_secrets(query)
        name = parts[1] if len(parts) > 1 else ""
        rest = parts[2:]
        if method == "PUT" and not rest:
            return self.set_secret(name, body or {})
        if name not in self.secrets:
            return Reply(404, error("SecretNotFound", f"A secret with (name) {name} was not found"))
        if method == "GET" and rest == ["versions"]:
            return self.list_versions(name, query)
        version = rest[0] if rest else ""
        if method == "GET":
            return self.get_secret(name, version)
        if method == "PATCH" and version:
            return self.update(name, version, body or {})
        return Reply(405, error("BadRequest", "Method not allowed."))

    def forbidden(self, name: str, operation: str) -> Reply | None:
        if (name, operation) in self.denied:
            message = f"The user does not have secrets {operation} permission on key vault."
            return Reply(403, error("Forbidden", message, "AccessDenied"))
        return None

    def list_secrets(self, query: Mapping[str, str]) -> Reply:
        size = min(int(query.get("maxresults") or self.page_size), self.page_size)
        start = int(query.get("$skiptoken") or 0)
        names = sorted(n for n, s in self.secrets.items() if s.versions)
        page = names[start : start + size]
        body: dict[str, Any] = {"value": [self.item(n) for n in page]}
        if start + size < len(names):
            body["nextLink"] = (
                f"{self.url}/secrets?api-version={query['api-version']}"
                f"&$skiptoken={start + size}&maxresults={size}"
            )
        else:
            body["nextLink"] = None
        return Reply(200, body)

    def list_versions(self, name: str, query: Mapping[str, str]) -> Reply:
        items = [self.item(name, v) for v in self.secrets[name].versions]
        return Reply(200, {"value": items, "nextLink": None})

    def get_secret(self, name: str, version_id: str) -> Reply:
        denied = self.forbidden(name, "get")
        if denied:
            return denied
        version = self.find(name, version_id)
        if version is None:
            return Reply(404, error("SecretNotFound", f"{name}/{version_id} was not found"))
        if not version.enabled:
            message = "Operation get is not allowed on a disabled secret."
            return Reply(403, error("Forbidden", message, "SecretDisabled"))
        return Reply(200, self.bundle(name, version, with_value=True))

    def set_secret(self, name: str, body: Mapping[str, Any]) -> Reply:
        denied = self.forbidden(name, "set")
        if denied:
            return denied
        if not isinstance(body.get("value"), str):
            return Reply(400, error("BadParameter", "Property value is required."))
        tags = dict(body.get("tags") or {})
        if len(tags) > 15:
            return Reply(400, error("BadParameter", "A secret can have at most 15 tags."))
        attributes = body.get("attributes") or {}
        version = self.put(
            name,
            body["value"],
            enabled=attributes.get("enabled", True) is not False,
            tags=tags,
            content_type=body.get("contentType"),
        )
        return Reply(200, self.bundle(name, version, with_value=True))

    def update(self, name: str, version_id: str, body: Mapping[str, Any]) -> Reply:
        denied = self.forbidden(name, "update")
        if denied:
            return denied
        version = self.find(name, version_id)
        if version is None:
            return Reply(404, error("SecretNotFound", f"{name}/{version_id} was not found"))
        attributes = body.get("attributes") or {}
        if "enabled" in attributes and attributes["enabled"] is not None:
            version.enabled = bool(attributes["enabled"])
        if body.get("tags") is not None:
            version.tags = dict(body["tags"])
        if body.get("contentType") is not None:
            version.content_type = body["contentType"]
        version.updated = int(time.time())
        return Reply(200, self.bundle(name, version, with_value=False))

    # -- shapes ------------------------------------------------------------------------------
    def find(self, name: str, version_id: str) -> Version | None:
        versions = self.secrets[name].versions
        if not version_id:
            return versions[-1] if versions else None
        return next((v for v in versions if v.id == version_id), None)

    def bundle(self, name: str, version: Version, *, with_value: bool) -> dict[str, Any]:
        body = self.item(name, version)
        body["id"] = f"{self.url}/secrets/{name}/{version.id}"
        if with_value:
            body["value"] = version.value
        return body

    def item(self, name: str, version: Version | None = None) -> dict[str, Any]:
        secret = self.secrets[name]
        v = version or secret.versions[-1]
        body: dict[str, Any] = {
            "id": f"{self.url}/secrets/{name}" + (f"/{v.id}" if version else ""),
            "attributes": {
                "enabled": v.enabled,
                "created": v.created,
                "updated": v.updated,
                "recoveryLevel": "Recoverable+Purgeable",
                "recoverableDays": 90,
            },
            "tags": dict(v.tags),
        }
        if v.content_type:
            body["contentType"] = v.content_type
        if secret.managed:
            body["managed"] = True
        return body


def error(code: str, message: str, inner: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if inner:
        body["innererror"] = {"code": inner}
    return {"error": body}


def tls_pair(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context for 127.0.0.1 from a fresh ``trustme`` CA, and the CA's PEM path."""
    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    ca_path = directory / "contract-ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    return context, ca_path
