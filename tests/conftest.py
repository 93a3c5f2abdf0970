from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.matcher import Matcher
from scanner.rulebook.loader import load_ruleset
from testing.scan import build

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> None:
    host = address[0] if isinstance(address, tuple) else address
    local = ("127.0.0.1", "localhost", "::1", "0.0.0.0")
    if isinstance(host, str) and host not in local and not host.startswith(("127.", "/")):
        raise RuntimeError(f"tests must not use the network (tried {address!r})")
    _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One rule/Hyperscan cache for the whole session: the database compiles once."""
    return tmp_path_factory.mktemp("kgcache")


@pytest.fixture(scope="session")
def builtin_matcher(session_cache: Path) -> Matcher:
    """The built-in rule set on the Aho-Corasick engine, built once for the whole session."""
    return build(load_ruleset(), "aho-corasick", session_cache)


@pytest.fixture(autouse=True)
def _isolate(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    session_cache: Path,
) -> Iterator[None]:
    """No network beyond loopback; HOME inside a temp dir; the session's cache."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KEYGUARD_CACHE_DIR", str(session_cache))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Keyguard Test")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "test@keyguard.invalid")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Keyguard Test")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "test@keyguard.invalid")
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    yield


@pytest.fixture
def root() -> Path:
    return Path(__file__).resolve().parent.parent
