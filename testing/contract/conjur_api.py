"""A contract server for the part of the CyberArk Conjur REST API keyguard's ``conjur`` provider
uses.

NOT Conjur: the Conjur server (Rails + PostgreSQL) does not install from PyPI, npm or Debian.
It implements, from the Conjur API reference:

* ``POST /authn/{account}/{login}/authenticate`` (body: the API key) → an access token (JSON),
  used as ``Authorization: Token token="<base64 of the token>"``; unknown or expired tokens get
  401 (``expire_tokens()`` expires every token issued so far, as the 8-minute lifetime would);
* ``GET /resources/{account}?kind=variable&limit=&offset=`` → the variables the login has any
  privilege on (JSON list, sorted by id);
* ``GET /resources/{account}/variable/{id}`` → one resource, with its ``secrets`` versions;
* ``GET /secrets/{account}/variable/{id}[?version=N]`` → the raw value (needs ``execute``; 404
  when it has no value yet); ``POST`` the same path with the raw value as body → 201 (needs
  ``update``), a new version;
* 403 for a missing privilege, and injected faults (429 with ``Retry-After``, 5xx) through
  ``ContractServer.fail``.

Bodies are raw bytes here (secret values are not JSON), so this server brings its own handler.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from testing.contract.server import ContractServer, Recorded, Reply

ACCOUNT = "kgtest"
LOGIN = "host/kg-rotator"
API_KEY = "kg-test-conjur-api-key-FAKE"
ALL = frozenset({"read", "execute", "update"})


class ConjurApi(ContractServer):
    def __init__(self, account: str = ACCOUNT, login: str = LOGIN, api_key: str = API_KEY) -> None:
        super().__init__()
        self.account, self.login, self.api_key = account, login, api_key
        self.variables: dict[str, list[bytes]] = {}
        self.privileges: dict[str, frozenset[str]] = {}
        self.tokens: set[str] = set()  # base64 header values of valid tokens
        self._serial = itertools.count(1)

    # -- for tests ---------------------------------------------------------------------------
    def add(self, variable: str, *values: str, privileges: frozenset[str] = ALL) -> None:
        with self.lock:
            self.variables[variable] = [v.encode("utf-8") for v in values]
            self.privileges[variable] = privileges

    def value(self, variable: str) -> str:
        with self.lock:
            return self.variables[variable][-1].decode("utf-8")

    def versions(self, variable: str) -> int:
        with self.lock:
            return len(self.variables[variable])

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    # -- the API -----------------------------------------------------------------------------
    def serve(
        self, method: str, path: str, query: Mapping[str, str], headers: Any, body: Any
    ) -> Reply:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if (
            method == "POST"
            and len(parts) == 4
            and parts[0] == "authn"
            and parts[3] == "authenticate"
        ):
            return self.authenticate(parts[1], parts[2], body)
        auth = str(headers.get("Authorization") or "")
        prefix, suffix = 'Token token="', '"'
        token = (
            auth[len(prefix) : -len(suffix)]
            if auth.startswith(prefix) and auth.endswith(suffix)
            else ""
        )
        if token not in self.tokens:
            return Reply(401, b"Unauthorized")
        if parts[:1] == ["resources"] and len(parts) == 2 and method == "GET":
            return self.list(parts[1], query)
        if len(parts) == 4 and parts[0] in ("resources", "secrets") and parts[2] == "variable":
            if parts[1] != self.account or parts[3] not in self.variables:
                return _error(404, f"Variable '{parts[3]}' not found in account '{parts[1]}'")
            if parts[0] == "resources" and method == "GET":
                return self.show(parts[3])
            if parts[0] == "secrets" and method == "GET":
                return self.fetch(parts[3], query.get("version"))
            if parts[0] == "secrets" and method == "POST":
                return self.set(parts[3], body)
        return _error(404, f"no route {method} {path}")

    def authenticate(self, account: str, login: str, body: Any) -> Reply:
        if account != self.account or login != self.login or body != self.api_key.encode():
            return Reply(401, b"Unauthorized")
        payload = {"sub": login, "iat": next(self._serial)}
        token = json.dumps(
            {
                "protected": _b64(json.dumps({"alg": "conjur.org/slosilo/v2", "kid": "FAKE"})),
                "payload": _b64(json.dumps(payload)),
                "signature": _b64("FAKE-SIGNATURE"),
            }
        ).encode()
        self.tokens.add(base64.b64encode(token).decode("ascii"))
        return Reply(200, token, {"Content-Type": "application/json"})

    def resource(self, variable: str) -> dict[str, Any]:
        versions = [{"version": i + 1} for i in range(len(self.variables[variable]))]
        return {
            "created_at": "2026-01-01T00:00:00.000+00:00",
            "id": f"{self.account}:variable:{variable}",
            "owner": f"{self.account}:policy:root",
            "policy": f"{self.account}:policy:root",
            "permissions": [],
            "annotations": [],
            "secrets": versions,
        }

    def list(self, account: str, query: Mapping[str, str]) -> Reply:
        if account != self.account:
            return Reply(200, [])
        kind = query.get("kind")
        visible = sorted(v for v, p in self.privileges.items() if p and kind in (None, "variable"))
        offset = int(query.get("offset") or 0)
        limit = int(query.get("limit") or (10 if "offset" in query else 0))
        page = visible[offset : offset + limit] if limit else visible[offset:]
        return Reply(200, [self.resource(v) for v in page])

    def show(self, variable: str) -> Reply:
        if not self.privileges[variable]:
            return _error(404, f"Variable '{variable}' not found")
        return Reply(200, self.resource(variable))

    def fetch(self, variable: str, version: str | None) -> Reply:
        if "execute" not in self.privileges[variable]:
            return _error(403, "Forbidden")
        values = self.variables[variable]
        if not values:
            return _error(404, f"Variable '{variable}' is empty or not found.")
        index = int(version) - 1 if version else len(values) - 1
        if not 0 <= index < len(values):
            return _error(404, f"Requested version does not exist: {version}")
        return Reply(200, values[index], {"Content-Type": "application/octet-stream"})

    def set(self, variable: str, body: Any) -> Reply:
        if "update" not in self.privileges[variable]:
            return _error(403, "Forbidden")
        if not body:
            return _error(422, "Value can't be blank")
        self.variables[variable].append(bytes(body))
        return Reply(201, b"")

    # -- plumbing: raw bodies ------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Any, raw: bytes) -> Reply:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self.lock:
            fault: Any = self.fault_for(method, parts.path)  # a Fault (or, once, a Reply)
            reply: Reply | None = getattr(fault, "reply", fault)
            if reply is None:
                try:
                    reply = self.serve(method, parts.path, query, headers, raw)
                except Exception as exc:  # a bug in the contract server: make it visible
                    reply = _error(500, f"contract server: {exc!r}")
            self.requests.append(Recorded(method, parts.path, query, reply.status, None))
        if getattr(fault, "delay", 0):
            time.sleep(fault.delay)
        return reply

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _raw_handler(self))
        server.daemon_threads = True
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            yield self.url
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii")


def _error(status: int, message: str) -> Reply:
    return Reply(status, {"error": {"code": str(status), "message": message}})


def _raw_handler(contract: ConjurApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            reply = contract.handle(self.command, self.path, self.headers, raw)
            if isinstance(reply.body, bytes):
                payload, kind = reply.body, "text/plain"
            else:
                payload, kind = json.dumps(reply.body).encode("utf-8"), "application/json"
            self.send_response(reply.status)
            headers = {"Content-Type": kind, **reply.headers}
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _any

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    return Handler
