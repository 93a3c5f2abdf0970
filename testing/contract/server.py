"""The shared plumbing of the contract servers: a threaded HTTP(S) server on 127.0.0.1 that
records every request and can be told to fail the next matching ones (faults)."""

from __future__ import annotations

import contextlib
import json
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True, slots=True)
class Recorded:
    """One request as the server saw it (bodies are kept: the tests check what was written)."""

    method: str
    path: str
    query: Mapping[str, str]
    status: int
    body: Any = None


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    """The next ``times`` requests matching ``method`` and ``path`` (a regex searched in the
    path) are answered with ``reply`` instead of being served; with ``reply=None``, ``before()``
    runs first (e.g. a concurrent writer), the request is served normally, and the response is
    sent ``delay`` seconds late (a client timing out after the server did the work)."""

    method: str
    path: str
    reply: Reply | None
    times: int = 1
    before: Callable[[], None] | None = None
    delay: float = 0.0


class ContractServer:
    """Subclasses implement ``serve(method, path, query, headers, body) -> Reply``."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.url = ""
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []

    # -- for tests ---------------------------------------------------------------------------
    def fail(self, method: str, path: str, reply: Reply, times: int = 1) -> None:
        with self.lock:
            self.faults.append(Fault(method, path, reply, times))

    def before(self, method: str, path: str, action: Callable[[], None], times: int = 1) -> None:
        """Run ``action`` just before serving the next ``times`` matching requests."""
        with self.lock:
            self.faults.append(Fault(method, path, None, times, action))

    def slow(self, method: str, path: str, delay: float, times: int = 1) -> None:
        """Serve the next ``times`` matching requests, but answer ``delay`` seconds late."""
        with self.lock:
            self.faults.append(Fault(method, path, None, times, delay=delay))

    def seen(self, method: str | None = None, path: str = "") -> list[Recorded]:
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and re.search(path, r.path)
            ]

    def writes(self) -> list[Recorded]:
        """Every request that could change something (not GET/HEAD), answered or not."""
        with self.lock:
            return [r for r in self.requests if r.method not in ("GET", "HEAD")]

    def serve(
        self, method: str, path: str, query: Mapping[str, str], headers: Any, body: Any
    ) -> Reply:
        raise NotImplementedError

    # -- plumbing ----------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Any, raw: bytes) -> Reply:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        body = _decode(raw, headers.get("Content-Type", ""))
        with self.lock:
            fault = self.fault_for(method, parts.path)
            reply = fault.reply if fault is not None else None
            if reply is None:
                try:
                    reply = self.serve(method, parts.path, query, headers, body)
                except Exception as exc:  # a bug in the contract server: make it visible
                    reply = Reply(500, {"error": {"message": f"contract server: {exc!r}"}})
            self.requests.append(Recorded(method, parts.path, query, reply.status, body))
        if fault is not None and fault.delay:
            time.sleep(fault.delay)  # outside the lock: other requests go on meanwhile
        return reply

    def fault_for(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and re.search(fault.path, path):
                fault.times -= 1
                if fault.before is not None:
                    fault.before()
                return fault
        return None

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        """Serve on a free 127.0.0.1 port until the context exits; yields the base URL."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        if self.tls is not None:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        scheme = "https" if self.tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            yield self.url
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()


def _decode(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    if "application/x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(raw.decode("utf-8")))
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _handler_for(contract: ContractServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: nothing lingers

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            reply = contract.handle(self.command, self.path, self.headers, raw)
            payload = b"" if reply.body is None else json.dumps(reply.body).encode("utf-8")
            try:
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if payload:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (timed out) before the answer came

        do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _any

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    return Handler
