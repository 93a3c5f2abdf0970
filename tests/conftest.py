from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.matcher import Matcher, MatchPolicy
from scanner.rulebook.loader import load_ruleset
from scanner.verify.store import KIND as VERIFY_KIND
from testing.scan import ENGINES, build

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


@pytest.fixture(scope="module", params=ENGINES)
def engine_matcher(request: pytest.FixtureRequest, session_cache: Path) -> Matcher:
    """The built-in rule set on each engine (Aho-Corasick, and Hyperscan when installed), built
    once per test module and engine: a test taking it runs on both engines."""
    return build(load_ruleset(), request.param, session_cache)


# Every cache entry but verification answers depends on the rule set alone (compiled databases,
# parsed rules), never on what a test did: a test's own cache directory may start with the
# session's copies of them. (A list of the rule-set kinds missed ``hs-scoped`` when it came, and
# every test with a cache of its own compiled the whole pack again: a minute each.)
OWN_KINDS = (VERIFY_KIND,)


@pytest.fixture(scope="session")
def auto_matcher(session_cache: Path) -> Matcher:
    """The built-in rule set on the default engine (Hyperscan when installed), compiled once
    for the whole session into the session cache."""
    return Matcher.build(load_ruleset(), MatchPolicy(), "auto", cache_dir=session_cache)


@pytest.fixture(scope="session")
def builtin_compiled(session_cache: Path, auto_matcher: Matcher) -> Path:
    """The session cache, holding the built-in rule set's compiled prefilter."""
    return session_cache


@pytest.fixture
def own_cache(tmp_path: Path, builtin_compiled: Path) -> Path:
    """A cache directory of this test's own (verification answers stay its own) that starts
    with the session's compiled built-in rules: a full Hyperscan compile costs a minute."""
    own = tmp_path / "cache"
    own.mkdir(mode=0o700)
    for entry in builtin_compiled.glob("*.kgc"):
        if entry.name.rsplit("-", 1)[0] not in OWN_KINDS:
            try:
                os.link(entry, own / entry.name)
            except OSError:
                shutil.copy2(entry, own / entry.name)
    return own


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
