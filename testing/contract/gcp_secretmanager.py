"""A contract server for Google Secret Manager v1 over REST (not Google: a test double).

Written from the Secret Manager REST reference for the calls keyguard makes:
``GET /v1/projects/*/secrets`` (``pageSize``/``pageToken``/``nextPageToken``, a ``filter`` on
``name:`` and ``labels.KEY=VALUE``), ``GET`` and ``PATCH`` (``updateMask``, ``etag``: a stale etag
is 409 ABORTED) of a secret, ``:addVersion`` (``payload.data`` base64, ``dataCrc32c`` checked),
``versions/*:access`` (``latest`` is the most recently created version; a disabled or destroyed
version is 400 FAILED_PRECONDITION), ``GET`` of a version and ``:disable``/``:enable``/
``:destroy`` (guarded by the version's ``etag``). Errors use the ``{"error": {"code", "message",
"status"}}`` shape. ``POST /token`` stands in for the OAuth token endpoint that an
``authorized_user`` ADC file names in ``token_uri``; every API call needs its bearer token.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from google_crc32c import value as crc32c

from testing.contract.server import ContractServer, Reply

TOKEN = "kg-contract-gcp-token-FAKE"
SERVICE_ACCOUNT = "kg-FAKE-rotator@kg-contract.iam.example.test"
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}

_STATES = {"ENABLED": 1, "DISABLED": 2, "DESTROYED": 3}


@dataclass
class Version:
    number: int
    data: bytes
    state: str = "ENABLED"
    etag: int = 1
    created: str = field(default_factory=lambda: _now())


@dataclass
class Secret:
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    versions: list[Version] = field(default_factory=list)
    etag: int = 1
    created: str = field(default_factory=lambda: _now())


class SecretManagerContractServer(ContractServer):
    def __init__(self, project: str, page_size: int = 25) -> None:
        super().__init__(None)
        self.project = project
        self.page_size = page_size
        self.secrets: dict[str, Secret] = {}  # secret id -> secret
        self.denied: set[tuple[str, str]] = set()  # (secret id, "access" | "add" | ...)
        self._etags = itertools.count(2)
        self.public_key: Any = None
        self.int_enums = False  # the REST client asks for `$alt=json;enum-encoding=int`

    # -- for tests ---------------------------------------------------------------------------
    def create(self, secret_id: str, value: str | bytes, **labels: str) -> None:
        with self.lock:
            secret = self.secrets.setdefault(secret_id, Secret(labels=dict(labels)))
            data = value.encode("utf-8") if isinstance(value, str) else value
            secret.versions.append(Version(len(secret.versions) + 1, data))

    def secret(self, secret_id: str) -> Secret:
        with self.lock:
            return self.secrets[secret_id]

    def value(self, secret_id: str, number: int | None = None) -> str:
        versions = self.secret(secret_id).versions
        version = versions[-1] if number is None else versions[number - 1]
        return version.data.decode("utf-8")

    def deny(self, secret_id: str, operation: str) -> None:
        with self.lock:
            self.denied.add((secret_id, operation))

    def adc_file(self, directory: Path) -> Path:
        """A service-account ADC file (a fresh RSA key, ``token_uri`` on this server). The client
        library signs its own JWTs with it (self-signed JWT access); the server checks them."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key = key.public_key()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        info = {
            "type": "service_account",
            "project_id": self.project,
            "private_key_id": "kg-FAKE-key-id",
            "private_key": pem,
            "client_email": SERVICE_ACCOUNT,
            "client_id": "000000000000000000000",
            "token_uri": f"{self.url}/token",
        }
        path = directory / "adc-FAKE.json"
        path.write_text(json.dumps(info), encoding="utf-8")
        return path

    def authorized(self, header: str) -> bool:
        """A bearer token from ``/token``, or a JWT signed by the ADC file's key."""
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
        if token == TOKEN:
            return True
        if self.public_key is None or token.count(".") != 2:
            return False
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        head, claims, signature = token.split(".")
        try:
            self.public_key.verify(
                _b64url(signature), f"{head}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, ValueError):
            return False
        payload = json.loads(_b64url(claims))
        return bool(payload.get("iss") == SERVICE_ACCOUNT and payload.get("exp", 0) > time.time())

    # -- the API -----------------------------------------------------------------------------
    def serve(
        self, method: str, path: str, query: Mapping[str, str], headers: Any, body: Any
    ) -> Reply:
        self.int_enums = "enum-encoding=int" in query.get("$alt", "")
        if path == "/token" and method == "POST":
            return Reply(200, {"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"})
        if not self.authorized(headers.get("Authorization") or ""):
            return failure(401, "Request had invalid authentication credentials.")
        resource, _, verb = path.removeprefix("/v1/").partition(":")
        parts = resource.split("/")
        if parts[:1] != ["projects"] or len(parts) < 3 or parts[1] != self.project:
            return failure(404, f"Resource {resource} not found.")
        if parts[2:] == ["secrets"] and method == "GET":
            return self.list_secrets(query)
        secret_id = parts[3] if len(parts) > 3 else ""
        if secret_id not in self.secrets:
            return failure(404, f"Secret [{resource}] not found or has no versions.")
        body = body or {}
        if len(parts) == 4:
            if method == "GET" and not verb:
                return self.get_secret(secret_id)
            if method == "PATCH" and not verb:
                return self.update_secret(secret_id, query, body)
            if method == "POST" and verb == "addVersion":
                return self.add_version(secret_id, body)
        elif len(parts) == 6 and parts[4] == "versions":
            return self.version_call(method, secret_id, parts[5], verb, body)
        return failure(404, f"No method {method} {path}.")

    def forbidden(self, secret_id: str, operation: str, permission: str) -> Reply | None:
        if (secret_id, operation) in self.denied:
            resource = f"projects/{self.project}/secrets/{secret_id}"
            message = f"Permission '{permission}' denied for resource '{resource}'"
            return failure(403, message + " (or it may not exist).")
        return None

    def list_secrets(self, query: Mapping[str, str]) -> Reply:
        size = min(int(query.get("pageSize") or self.page_size), self.page_size)
        start = int(query.get("pageToken") or 0)
        try:
            ids = [i for i in sorted(self.secrets) if self.matches(i, query.get("filter", ""))]
        except ValueError as exc:
            return failure(400, str(exc))
        page = ids[start : start + size]
        body: dict[str, Any] = {"secrets": [self.secret_json(i) for i in page]}
        if start + size < len(ids):
            body["nextPageToken"] = str(start + size)
        body["totalSize"] = len(ids)
        return Reply(200, body)

    def matches(self, secret_id: str, query: str) -> bool:
        for term in query.split():
            if term.startswith("name:"):
                if term[5:] not in secret_id:
                    return False
            elif term.startswith("labels.") and "=" in term:
                key, value = term[7:].split("=", 1)
                if self.secrets[secret_id].labels.get(key) != value:
                    return False
            else:
                raise ValueError(f"unsupported filter term {term!r} (contract server)")
        return True

    def get_secret(self, secret_id: str) -> Reply:
        return self.forbidden(secret_id, "get", "secretmanager.secrets.get") or Reply(
            200, self.secret_json(secret_id)
        )

    def update_secret(self, secret_id: str, query: Mapping[str, str], body: Any) -> Reply:
        denied = self.forbidden(secret_id, "update", "secretmanager.secrets.update")
        if denied:
            return denied
        secret = self.secrets[secret_id]
        if body.get("etag") and body["etag"] != f'"{secret.etag}"':
            return failure(409, "The etag provided does not match the current etag.")
        mask = [p for p in query.get("updateMask", "").split(",") if p]
        if not mask or not set(mask) <= {"labels", "annotations"}:
            return failure(400, f"updateMask {mask} not supported (contract server)")
        for name in mask:
            setattr(secret, name, dict(body.get(name) or {}))
        secret.etag = next(self._etags)
        return Reply(200, self.secret_json(secret_id))

    def add_version(self, secret_id: str, body: Any) -> Reply:
        denied = self.forbidden(secret_id, "add", "secretmanager.versions.add")
        if denied:
            return denied
        payload = body.get("payload") or {}
        data = base64.b64decode(payload.get("data") or "")
        if "dataCrc32c" in payload and int(payload["dataCrc32c"]) != crc32c(data):
            return failure(400, "Checksum mismatch: dataCrc32c does not match the data.")
        secret = self.secrets[secret_id]
        version = Version(len(secret.versions) + 1, data, etag=next(self._etags))
        secret.versions.append(version)
        return Reply(200, self.version_json(secret_id, version))

    def version_call(self, method: str, secret_id: str, ref: str, verb: str, body: Any) -> Reply:
        versions = self.secrets[secret_id].versions
        if ref == "latest" and versions:
            version = versions[-1]
        elif ref.isdigit() and 0 < int(ref) <= len(versions):
            version = versions[int(ref) - 1]
        else:
            return failure(404, f"Secret Version [{secret_id}/{ref}] not found.")
        if method == "GET" and verb == "access":
            denied = self.forbidden(secret_id, "access", "secretmanager.versions.access")
            if denied:
                return denied
            if version.state != "ENABLED":
                return failure(400, f"Secret Version is in {version.state} state.", 400)
            payload = {
                "data": base64.b64encode(version.data).decode("ascii"),
                "dataCrc32c": str(crc32c(version.data)),
            }
            return Reply(200, {"name": self.version_name(secret_id, version), "payload": payload})
        if method == "GET" and not verb:
            return Reply(200, self.version_json(secret_id, version))
        if method == "POST" and verb in ("disable", "enable", "destroy"):
            denied = self.forbidden(secret_id, verb, f"secretmanager.versions.{verb}")
            if denied:
                return denied
            if body.get("etag") and body["etag"] != f'"{version.etag}"':
                return failure(409, "The etag provided does not match the current etag.")
            if version.state == "DESTROYED":
                return failure(400, "Secret Version is in DESTROYED state.", 400)
            version.state = {"disable": "DISABLED", "enable": "ENABLED"}.get(verb, "DESTROYED")
            if version.state == "DESTROYED":
                version.data = b""
            version.etag = next(self._etags)
            return Reply(200, self.version_json(secret_id, version))
        return failure(404, f"No method {method} on a version.")

    # -- shapes ------------------------------------------------------------------------------
    def secret_json(self, secret_id: str) -> dict[str, Any]:
        secret = self.secrets[secret_id]
        return {
            "name": f"projects/{self.project}/secrets/{secret_id}",
            "replication": {"automatic": {}},
            "createTime": secret.created,
            "labels": dict(secret.labels),
            "annotations": dict(secret.annotations),
            "etag": f'"{secret.etag}"',
        }

    def version_name(self, secret_id: str, version: Version) -> str:
        return f"projects/{self.project}/secrets/{secret_id}/versions/{version.number}"

    def version_json(self, secret_id: str, version: Version) -> dict[str, Any]:
        body = {
            "name": self.version_name(secret_id, version),
            "createTime": version.created,
            "state": _STATES[version.state] if self.int_enums else version.state,
            "etag": f'"{version.etag}"',
        }
        if version.state == "DESTROYED":
            body["destroyTime"] = _now()
        return body


def failure(code: int, message: str, _precondition: int | None = None) -> Reply:
    status = "FAILED_PRECONDITION" if _precondition else _STATUS.get(code, "UNKNOWN")
    return Reply(code, {"error": {"code": code, "message": message, "status": status}})


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
