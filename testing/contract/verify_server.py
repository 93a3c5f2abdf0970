"""A local HTTPS server that speaks the providers' documented "who am I" contracts, for the
``--verify`` tests (docs/verification.md).

One server answers for every provider: the request's ``Host`` header (the pinned host the
verifier meant to reach; ``KEYGUARD_TEST_VERIFY_ROUTES`` sends it here) selects the provider
contracts (``testing.contract.verify_contracts``), the method and path select one contract, and
the credential found *where the provider's documentation puts it* selects the answer:

- a credential the test registered as ``live`` / ``invalid`` / ``forbidden`` gets the provider's
  documented answer for that case; an unregistered one gets the provider's invalid answer;
- ``throttle`` answers 429 with ``Retry-After`` every time, ``throttle-once`` only the first time,
  ``server-error`` answers 503, ``malformed`` answers the live status with a body that is not
  JSON, ``slow`` answers after ``slow_seconds``;
- a request that breaks the contract (unknown host or path, wrong method, the credential missing
  from its documented place, a required header or query parameter missing) is answered 400 with
  ``{"contract_violation": ...}`` and recorded in ``violations``, so a verifier that puts the
  secret in the wrong place can never pass for "invalid".

TLS: a ``trustme`` CA issues a certificate for 127.0.0.1; ``ca_file`` is what
``KEYGUARD_TEST_VERIFY_CA`` points to.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

OUTCOMES = (
    "live",
    "invalid",
    "forbidden",
    "throttle",
    "throttle-once",
    "server-error",
    "malformed",
    "slow",
)


@dataclass(frozen=True, slots=True)
class Answer:
    """A documented response: status, body (JSON-able, or raw bytes) and extra headers."""

    status: int
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()

    def payload(self) -> tuple[bytes, str]:
        if self.body is None:
            return b"", ""
        if isinstance(self.body, bytes):
            return self.body, "text/plain; charset=utf-8"
        return json.dumps(self.body).encode("utf-8"), "application/json; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Request:
    host: str
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-cased names
    body: bytes


# A credential locator returns the credential (and the basic-auth user or other id, if any) or
# None when the request does not carry it where the provider documents it.
Locator = Callable[[Request, "re.Match[str]"], "tuple[str, str] | None"]


def header(name: str, *prefixes: str) -> Locator:
    """The credential is the value of header ``name`` after one of ``prefixes`` (or all of it)."""

    def locate(req: Request, _m: re.Match[str]) -> tuple[str, str] | None:
        value = req.headers.get(name.lower())
        if value is None:
            return None
        for prefix in prefixes or ("",):
            if value.startswith(prefix) and len(value) > len(prefix):
                return value[len(prefix) :], ""
        return None

    return locate


def query(name: str) -> Locator:
    def locate(req: Request, _m: re.Match[str]) -> tuple[str, str] | None:
        value = req.query.get(name)
        return (value, "") if value else None

    return locate


def basic(user: str | None = None) -> Locator:
    """HTTP basic auth; the credential is the password (``user`` fixed, or returned as the id)."""

    def locate(req: Request, _m: re.Match[str]) -> tuple[str, str] | None:
        value = req.headers.get("authorization", "")
        if not value.startswith("Basic "):
            return None
        try:
            name, _, password = base64.b64decode(value[6:], validate=True).decode().partition(":")
        except ValueError:
            return None
        if not password or (user is not None and name != user):
            return None
        return password, name

    return locate


def path_group(group: str = "cred") -> Locator:
    """The credential is a named group of the path pattern (Telegram's ``/bot<token>/getMe``)."""

    def locate(_req: Request, m: re.Match[str]) -> tuple[str, str] | None:
        value = m.group(group)
        return (unquote(value), "") if value else None

    return locate


@dataclass(frozen=True, slots=True)
class Contract:
    """One documented call: ``path`` is a regex matched against the whole path."""

    provider: str
    host: str
    method: str
    path: str
    locate: Locator
    live: Answer
    invalid: Answer
    forbidden: Answer | None = None
    required_headers: tuple[tuple[str, str | None], ...] = ()  # (name, exact value or None)
    required_query: tuple[str, ...] = ()
    docs: str = ""
    # Extra check of the whole request for a live answer (signatures): returns an error or "".
    check: Callable[[Request, re.Match[str], str, str], str] | None = None


@dataclass
class Registration:
    outcome: str
    ident: str | None = None  # basic-auth user / account id the credential must come with
    signing_key: str | None = None  # for signed requests (Azure Shared Key): the real key
    host: str | None = None  # the credential belongs to this host only (Datadog sites)
    hits: int = 0


@dataclass
class VerifyServer:
    contracts: tuple[Contract, ...]
    slow_seconds: float = 3.0
    retry_after: str = "0"
    port: int = 0
    ca_file: Path | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[Request] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    registry: dict[str, Registration] = field(default_factory=dict)

    # -- for tests ---------------------------------------------------------------------------
    def register(
        self,
        credential: str,
        outcome: str,
        ident: str | None = None,
        signing_key: str | None = None,
        host: str | None = None,
    ) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        with self.lock:
            self.registry[credential] = Registration(outcome, ident, signing_key, host)

    def hits(self, credential: str) -> int:
        with self.lock:
            reg = self.registry.get(credential)
            return reg.hits if reg else 0

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.violations.clear()
            self.registry.clear()

    def hosts(self) -> list[str]:
        return sorted({c.host for c in self.contracts})

    def routes(self) -> str:
        """The value for ``KEYGUARD_TEST_VERIFY_ROUTES``: every contract host to this server."""
        return ",".join(f"{h}=127.0.0.1:{self.port}" for h in self.hosts())

    # -- serving -----------------------------------------------------------------------------
    def answer(self, req: Request) -> Answer:
        with self.lock:
            self.requests.append(req)
        candidates = [c for c in self.contracts if c.host == req.host]
        if not candidates:
            return self._violation(f"no contract for host {req.host!r}")
        matched = [(c, m) for c in candidates if (m := re.fullmatch(c.path, req.path))]
        if not matched:
            return self._violation(f"{req.host}: no documented path {req.path!r}")
        allowed = [(c, m) for c, m in matched if c.method == req.method]
        if not allowed:
            return self._violation(f"{req.host}{req.path}: method {req.method} not documented")
        contract, m = allowed[0]
        for name, value in contract.required_headers:
            got = req.headers.get(name.lower())
            if got is None or (value is not None and got != value):
                return self._violation(f"{contract.provider}: header {name} is {got!r}")
        for name in contract.required_query:
            if name not in req.query:
                return self._violation(f"{contract.provider}: query parameter {name} missing")
        found = contract.locate(req, m)
        if found is None:
            return self._violation(f"{contract.provider}: credential not where documented")
        return self._outcome(contract, req, m, *found)

    def _outcome(
        self, c: Contract, req: Request, m: re.Match[str], cred: str, ident: str
    ) -> Answer:
        with self.lock:
            reg = self.registry.get(cred)
            if reg is not None:
                reg.hits += 1
        if reg is None or (reg.ident is not None and reg.ident != ident):
            return c.invalid
        if reg.host is not None and reg.host != req.host:
            return c.invalid
        outcome = reg.outcome
        if outcome == "throttle-once":
            outcome = "throttle" if reg.hits == 1 else "live"
        if outcome in ("live", "malformed", "slow") and c.check is not None:
            problem = c.check(req, m, reg.signing_key or cred, ident)
            if problem:
                return (
                    self._violation(f"{c.provider}: {problem}")
                    if problem.startswith("contract:")
                    else c.invalid
                )
        if outcome == "live":
            return c.live
        if outcome == "invalid":
            return c.invalid
        if outcome == "forbidden":
            return c.forbidden or c.invalid
        if outcome == "throttle":
            return Answer(429, {"error": "rate limited"}, (("Retry-After", self.retry_after),))
        if outcome == "server-error":
            return Answer(503, {"error": "unavailable"})
        if outcome == "slow":
            time.sleep(self.slow_seconds)
            return c.live
        return Answer(c.live.status, b"<html><body>upstream proxy page</body></html>")

    def _violation(self, message: str) -> Answer:
        with self.lock:
            self.violations.append(message)
        return Answer(400, {"contract_violation": message})

    @contextlib.contextmanager
    def running(self, workdir: Path) -> Iterator[VerifyServer]:
        """Serve HTTPS on a free 127.0.0.1 port until the context exits."""
        import trustme  # test dependency only

        ca = trustme.CA()
        self.ca_file = workdir / "verify-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1", "localhost", *self.hosts()).configure_cert(tls)
        server = _QuietServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        self.port = int(server.server_address[1])
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout test) is not an error of the server."""


def _handler(owner: VerifyServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            host = (self.headers.get("Host") or "").lower()
            host = re.sub(r":\d+$", "", host)
            req = Request(
                host=host,
                method=self.command,
                path=parts.path,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=raw,
            )
            answer = owner.answer(req)
            payload, content_type = answer.payload()
            self.send_response(answer.status)
            for key, value in answer.headers:
                self.send_header(key, value)
            if payload and not any(k.lower() == "content-type" for k, _ in answer.headers):
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_HEAD = do_PUT = do_PATCH = do_DELETE = _any

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    return Handler


BEARER = header("Authorization", "Bearer ")


def contract(
    provider: str,
    host: str,
    path: str,
    locate: Locator,
    live: object,
    invalid: Answer,
    docs: str,
    *,
    method: str = "GET",
    status: int = 200,
    forbidden: Answer | None = None,
    headers: tuple[tuple[str, str | None], ...] = (),
    params: tuple[str, ...] = (),
) -> Contract:
    """A contract with a fixed live body (the common case)."""
    return Contract(
        provider=provider,
        host=host,
        method=method,
        path=path,
        locate=locate,
        live=Answer(status, live),
        invalid=invalid,
        forbidden=forbidden,
        required_headers=headers,
        required_query=params,
        docs=docs,
    )
