"""Local HTTPS servers for the verification tests: a programmable contract server and a moto
server (STS with IAM authentication on), both with a ``trustme`` certificate for 127.0.0.1, and
the test-only routing override pointing pinned hosts at them."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from testing.servers import free_port

pytest.importorskip("requests", reason="live verification needs keyguard[verify]")
trustme = pytest.importorskip("trustme", reason="the test servers need trustme")


@dataclass(frozen=True)
class Tls:
    ca: Path
    cert: Path
    key: Path


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    directory = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    out = Tls(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    ca.cert_pem.write_to_path(str(out.ca))
    cert.cert_chain_pems[0].write_to_path(str(out.cert))
    cert.private_key_pem.write_to_path(str(out.key))
    return out


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Reply = tuple[int, dict[str, str], bytes]
Responder = Callable[[Seen], Reply]


def reply_json(status: int, doc: Any, **headers: str) -> Reply:
    return status, {"Content-Type": "application/json", **headers}, json.dumps(doc).encode()


@dataclass
class Contract:
    """``handlers[path]`` answers requests for ``path`` (default: 404); ``seen`` records them."""

    port: int
    handlers: dict[str, Responder] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    delay: float = 0.0
    fallback: Responder | None = None  # for paths without a handler (default: 404)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def _handler(contract: Contract) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen = Seen(self.command, self.path, dict(self.headers.items()), body)
            contract.seen.append(seen)
            if contract.delay:
                time.sleep(contract.delay)
            responder = contract.handlers.get(self.path.split("?", 1)[0], contract.fallback)
            status, headers, payload = (
                responder(seen) if responder else (404, {}, b'{"message":"Not Found"}')
            )
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_HEAD = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def contract(tls: Tls) -> Iterator[Contract]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    found = Contract(port=int(server.server_address[1]))
    server.RequestHandlerClass = _handler(found)
    server.daemon_threads = True
    server.handle_error = lambda *_: None  # type: ignore[method-assign]  # clients that gave up
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(tls.cert), str(tls.key))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass(frozen=True)
class Moto:
    url: str
    address: str
    key_id: str
    secret: str


@pytest.fixture(scope="session")
def moto_sts(tls: Tls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    """A moto server over TLS with IAM authentication (after the first two calls, which create
    a user and its access key): STS then accepts only that key."""
    boto3 = pytest.importorskip("boto3", reason="the moto test needs boto3")
    pytest.importorskip("moto", reason="the moto test needs moto[server]")
    workdir = tmp_path_factory.mktemp("moto")
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "2"}
    command = [sys.executable, "-c", "from moto.server import main; main()"]
    args = ["-H", "127.0.0.1", "-p", str(port), "-c", str(tls.cert), "-k", str(tls.key)]
    with open(workdir / "moto.log", "wb") as log:
        proc = subprocess.Popen([*command, *args], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"https://127.0.0.1:{port}"
    try:
        _wait(url, tls, proc)
        iam = boto3.client(
            "iam",
            endpoint_url=url,
            verify=str(tls.ca),
            region_name="us-east-1",
            aws_access_key_id="AKIAKGTESTFAKEFAKE00",
            aws_secret_access_key="kgtest/FAKE/" + "0" * 28,
        )
        iam.create_user(UserName="kgtest-verify")
        key = iam.create_access_key(UserName="kgtest-verify")["AccessKey"]
        yield Moto(url, f"127.0.0.1:{port}", key["AccessKeyId"], key["SecretAccessKey"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _wait(url: str, tls: Tls, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto exited with {proc.returncode}")
        try:
            requests.get(f"{url}/moto-api/", verify=str(tls.ca), timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("moto did not start")


@pytest.fixture
def route(monkeypatch: pytest.MonkeyPatch, tls: Tls) -> Callable[..., None]:
    """``route({host: address, ...})``: the test-only override, as the CLI reads it."""

    def set_routes(hosts: dict[str, str]) -> None:
        table = ",".join(f"{h}={a}" for h, a in hosts.items())
        monkeypatch.setenv("KEYGUARD_TEST_VERIFY_ROUTES", table)
        monkeypatch.setenv("KEYGUARD_TEST_VERIFY_CA", str(tls.ca))

    return set_routes
