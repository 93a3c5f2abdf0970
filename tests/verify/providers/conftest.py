"""The provider contract server (one per session) and a verify HTTP client routed to it."""

from __future__ import annotations

import functools
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.rulebook.loader import builtin_rules_dir, load_specs
from scanner.rulebook.schema import RuleSpec
from scanner.verify.http import ClientOptions, HttpClient
from scanner.verify.routing import CA_ENV, ROUTES_ENV, Routes
from testing.contract.verify_server import VerifyServer

pytest.importorskip("trustme", reason="the contract server needs trustme (extra test)")
pytest.importorskip("requests", reason="--verify needs requests (extra verify)")


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Belt and braces: a host without a test route must fail here, never reach the network."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise socket.gaierror(socket.EAI_NONAME, f"test: {host} is not routed")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(scope="session")
def verify_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VerifyServer]:
    from testing.contract.verify_contracts import CONTRACTS

    server = VerifyServer(CONTRACTS, slow_seconds=2.0)
    with server.running(tmp_path_factory.mktemp("verify-server")):
        yield server


@pytest.fixture
def server(verify_server: VerifyServer) -> Iterator[VerifyServer]:
    verify_server.reset()
    verify_server.retry_after = "0"
    yield verify_server
    verify_server.reset()


def client_options(server: VerifyServer, timeout: float = 1.0) -> ClientOptions:
    routes = Routes.from_env({ROUTES_ENV: server.routes(), CA_ENV: str(server.ca_file)})
    return ClientOptions(
        timeout=timeout,
        retries=2,
        backoff=0.01,
        max_retry_after=0.5,
        rate=1000.0,
        burst=1000.0,
        routes=routes,
    )


@pytest.fixture(scope="session")
def shared_client(verify_server: VerifyServer) -> Iterator[HttpClient]:
    """One client for the session: its connections to the server are reused (keep-alive)."""
    with HttpClient(client_options(verify_server)) as c:
        yield c


@pytest.fixture
def client(server: VerifyServer, shared_client: HttpClient) -> HttpClient:
    return shared_client


@functools.cache
def pack_specs() -> tuple[RuleSpec, ...]:
    """The built-in rule pack, loaded once."""
    return tuple(load_specs([builtin_rules_dir()]))


def ca_path(server: VerifyServer) -> Path:
    assert server.ca_file is not None
    return server.ca_file
