"""Database URL verification (``--verify --verify-connect-databases``) against REAL throwaway
servers: a PostgreSQL cluster and a MariaDB server started by the test on 127.0.0.1
(testing/contract/verify_databases.py). The URLs name ``*.keyguard.test`` hosts that only the
test-only routes send to those servers: without a route, a loopback host is refused."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.matcher import Matcher
from scanner.models import Finding, Verification, VerifyStatus
from scanner.rulebook.compile import Ruleset
from scanner.rulebook.loader import load_specs
from scanner.verify.http import HttpClient
from scanner.verify.plan import Plan
from scanner.verify.providers.database import (
    DATABASE,
    NOT_ALLOWED,
    Target,
    refused,
    target_of,
)
from scanner.verify.routing import CA_ENV, ROUTES_ENV, Routes
from testing.contract.verify_databases import (
    DbServer,
    find_mariadb,
    find_postgres,
    mariadb_server,
    postgres_server,
)
from testing.scan import ENGINES, build, scan_text

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
RULE_FILES = [ROOT / "rules" / "postgres.toml", ROOT / "rules" / "mysql.toml"]
PG_HOST, MY_HOST = "pg.keyguard.test", "my.keyguard.test"
PG_PASSWORD = "kgFakePgPw7Q2x"
MY_PASSWORD = "kgFakeMyPw4R9z"


@dataclass(frozen=True)
class Servers:
    postgres: DbServer
    mysql: DbServer

    def routes(self) -> str:
        return f"{PG_HOST}={self.postgres.address},{MY_HOST}={self.mysql.address}"


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    pytest.importorskip("psycopg", reason="extra verify-db (part of extra test)")
    pytest.importorskip("pymysql", reason="extra verify-db (part of extra test)")
    pg_bin, mariadbd = find_postgres(), find_mariadb()
    if pg_bin is None or mariadbd is None:
        pytest.fail(
            "install the Debian packages of scripts/apt-packages.txt (postgresql, "
            "mariadb-server): ./scripts/test does"
        )
    with postgres_server(pg_bin) as pg, mariadb_server(mariadbd) as my:
        pg.admin_sql(
            f"CREATE ROLE kgapp LOGIN PASSWORD '{PG_PASSWORD}'",
            "CREATE ROLE kgtrust LOGIN PASSWORD 'kgFakeTrustPw'",
            "CREATE ROLE kgreject LOGIN PASSWORD 'kgFakeRejectPw'",
            "CREATE DATABASE kgapp OWNER kgapp",
        )
        my.admin_sql(f"CREATE USER 'kgapp'@'127.0.0.1' IDENTIFIED BY '{MY_PASSWORD}'")
        yield Servers(pg, my)


@pytest.fixture(scope="module")
def matchers() -> dict[str, Matcher]:
    ruleset = Ruleset.from_specs(load_specs(RULE_FILES))
    return {engine: build(ruleset, engine) for engine in ENGINES}


def find(matcher: Matcher, url: str) -> Finding:
    found = [f for f in scan_text(matcher, f'DATABASE_URL = "{url}"\n', "settings.py")]
    assert len(found) == 1, (url, found)
    return found[0]


def verify(finding: Finding, routes: Routes, *, allowed: bool = True) -> Verification:
    verifier = DATABASE.configured(allowed, routes, 3.0)
    plan = verifier.plan(finding, [finding])
    if isinstance(plan, Verification):
        return plan
    assert isinstance(plan, Plan)
    return plan.run(cast(HttpClient, None))  # a database check sends no HTTP


def routes_of(servers: Servers) -> Routes:
    return Routes.from_env({ROUTES_ENV: servers.routes()})


# -- parsing: the URL's parts come from the rule's own match ---------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_the_match_carries_user_host_port_and_database(
    engine: str, matchers: dict[str, Matcher]
) -> None:
    f = find(
        matchers[engine], "postgresql+psycopg://kg%40app:s3cr%2Ft-Fake@db.keyguard.test:6543/orders"
    )
    assert f.secret.reveal() == "s3cr%2Ft-Fake"
    target = target_of(f, "postgres")
    assert target == Target("postgres", "kg@app", "db.keyguard.test", 6543, "orders")
    g = find(matchers[engine], "mysql://shop:Zt5KgFakeDb77@mysql-1.keyguard.test/shop")
    assert target_of(g, "mysql") == Target("mysql", "shop", "mysql-1.keyguard.test", 3306, "shop")
    h = find(matchers[engine], "postgres://etl:Zt5KgFakeDb77@pg.keyguard.test")
    assert target_of(h, "postgres") == Target(
        "postgres", "etl", "pg.keyguard.test", 5432, "postgres"
    )


def test_a_url_without_user_is_unknown(matchers: dict[str, Matcher]) -> None:
    f = find(matchers["aho-corasick"], "postgres://:Zt5KgFakeDb77@pg.keyguard.test/app")
    result = verify(f, Routes())
    assert result.status is VerifyStatus.UNKNOWN and result.detail == "no user name in the URL"


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.9.9.9", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "not a unicast"),
        ("224.0.0.1", "not a unicast"),
        ("240.0.0.1", "not a unicast"),
    ],
)
def test_addresses_of_the_scanning_machine_and_metadata_are_refused(address: str, why: str) -> None:
    reason = refused(address)
    assert reason is not None and why in reason


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.10", "203.0.113.7", "2001:db8::5"])
def test_other_addresses_are_allowed(address: str) -> None:
    assert refused(address) is None


def test_a_loopback_url_without_a_test_route_never_connects(
    servers: Servers, matchers: dict[str, Matcher]
) -> None:
    """``127.0.0.1`` and ``localhost`` are the scanning machine: refused, though a real server
    with that very password listens there."""
    m = matchers["aho-corasick"]
    for host in (f"127.0.0.1:{servers.postgres.port}", f"localhost:{servers.postgres.port}"):
        result = verify(find(m, f"postgres://kgapp:{PG_PASSWORD}@{host}/kgapp"), Routes())
        assert result.status is VerifyStatus.UNKNOWN, result
        assert "loopback" in result.detail


def test_without_the_opt_in_nothing_connects(
    servers: Servers, matchers: dict[str, Matcher]
) -> None:
    f = find(matchers["aho-corasick"], f"postgres://kgapp:{PG_PASSWORD}@{PG_HOST}/kgapp")
    result = verify(f, routes_of(servers), allowed=False)
    assert (result.status, result.detail) == (VerifyStatus.UNKNOWN, NOT_ALLOWED)


# -- PostgreSQL ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        (f"postgres://kgapp:{PG_PASSWORD}@{PG_HOST}/kgapp", VerifyStatus.LIVE, "authenticated"),
        (f"postgres://kgapp:{PG_PASSWORD}@{PG_HOST}/nodb", VerifyStatus.LIVE, "does not exist"),
        (f"postgres://kgapp:{PG_PASSWORD}@{PG_HOST}", VerifyStatus.LIVE, "authenticated"),
        ("postgres://kgapp:kgFakeWrong99@pg.keyguard.test/kgapp", VerifyStatus.INVALID, "password"),
        (
            "postgres://kgnobody:kgFakeWrong99@pg.keyguard.test/kgapp",
            VerifyStatus.INVALID,
            "password",
        ),
        # trust: the server never asks for the password, which proves nothing
        (
            "postgres://kgtrust:kgFakeAnything1@pg.keyguard.test/postgres",
            VerifyStatus.UNKNOWN,
            "did not ask",
        ),
        (
            "postgres://kgreject:kgFakeRejectPw@pg.keyguard.test/postgres",
            VerifyStatus.UNKNOWN,
            "refused",
        ),
    ],
)
def test_postgres_against_a_real_server(
    url: str, status: VerifyStatus, detail: str, servers: Servers, matchers: dict[str, Matcher]
) -> None:
    finding = find(matchers["aho-corasick"], url)
    result = verify(finding, routes_of(servers))
    assert result.status is status, result
    assert detail in result.detail
    assert result.verifier == "database.connect:postgres"
    assert finding.secret.reveal() not in result.detail + result.verifier
    assert PG_HOST not in result.detail and "kgapp" not in result.detail


def test_url_options_are_never_handed_to_the_driver(
    servers: Servers, matchers: dict[str, Matcher]
) -> None:
    """``?host=``/``hostaddr=``/``sslkey=`` in the URL would redirect libpq or read files: the
    driver gets explicit parameters only, so the connection still goes to the URL's host."""
    url = f"postgres://kgapp:{PG_PASSWORD}@{PG_HOST}/kgapp?hostaddr=10.255.0.1&host=/tmp&sslkey=/etc/shadow"
    result = verify(find(matchers["aho-corasick"], url), routes_of(servers))
    assert result.status is VerifyStatus.LIVE, result


def test_a_closed_port_is_an_error(matchers: dict[str, Matcher]) -> None:
    with socket.socket() as sock:  # bound, never listening: the connection is refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        routes = Routes.from_env({ROUTES_ENV: f"{PG_HOST}=127.0.0.1:{port}"})
        f = find(matchers["aho-corasick"], f"postgres://kgapp:{PG_PASSWORD}@{PG_HOST}/kgapp")
        result = verify(f, routes)
    assert (result.status, result.detail) == (VerifyStatus.ERROR, "connection failed")


def test_a_server_that_never_answers_times_out(matchers: dict[str, Matcher]) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])  # and say nothing
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        routes = Routes.from_env({ROUTES_ENV: f"{PG_HOST}=127.0.0.1:{port}"})
        f = find(matchers["aho-corasick"], f"postgres://kgapp:{PG_PASSWORD}@{PG_HOST}/kgapp")
        result = verify(f, routes)
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        for conn in accepted:
            conn.close()
    assert (result.status, result.detail) == (VerifyStatus.ERROR, "timeout"), result


# -- MySQL / MariaDB ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"mysql://kgapp:{MY_PASSWORD}@{MY_HOST}:3306/shop", VerifyStatus.LIVE),
        (f"mariadb://kgapp:{MY_PASSWORD}@{MY_HOST}", VerifyStatus.LIVE),
        ("mysql+pymysql://kgapp:kgFakeWrong99@my.keyguard.test/shop", VerifyStatus.INVALID),
        ("mysql://kgnobody:kgFakeWrong99@my.keyguard.test/shop", VerifyStatus.INVALID),
    ],
)
def test_mysql_against_a_real_server(
    url: str, status: VerifyStatus, servers: Servers, matchers: dict[str, Matcher]
) -> None:
    finding = find(matchers["aho-corasick"], url)
    result = verify(finding, routes_of(servers))
    assert result.status is status, result
    assert result.verifier == "database.connect:mysql"
    assert finding.secret.reveal() not in result.detail


# -- the CLI ------------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Only the database rules as the built-in pack; a tree with one live URL of each kind."""
    rules = tmp_path / "builtin"
    rules.mkdir()
    for path in RULE_FILES:
        shutil.copy(path, rules / path.name)
    monkeypatch.setattr("scanner.rulebook.loader.builtin_rules_dir", lambda: rules)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KEYGUARD_CACHE_DIR", str(tmp_path / "cache"))
    src = tmp_path / "src"
    src.mkdir()
    (src / "settings.py").write_text(
        f'PG = "postgres://kgapp:{PG_PASSWORD}@{PG_HOST}/kgapp"\n'
        f'MY = "mysql://kgapp:{MY_PASSWORD}@{MY_HOST}/shop"\n'
        'OLD = "postgres://kgapp:kgFakeRotated3@pg.keyguard.test/kgapp"\n',
        encoding="utf-8",
    )
    return src


def scan(src: Path, *flags: str) -> tuple[int, dict[str, dict[str, str]], str]:
    args = ["scan", str(src), "-f", "json", "-j", "1", "--engine", "aho-corasick", *flags]
    result = CliRunner().invoke(main, args)
    if result.exit_code not in (0, 1):
        return result.exit_code, {}, result.output
    doc = json.loads(result.stdout)
    by_line = {str(f["line"]): f["verification"] for f in doc["findings"]}
    return result.exit_code, by_line, result.stdout


def test_cli_connects_only_with_the_extra_flag(
    project: Path, servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ROUTES_ENV, servers.routes())
    monkeypatch.setenv(CA_ENV, "")
    code, marks, out = scan(project, "--verify", "--verify-cache-ttl", "0")
    assert code == 1 and len(marks) == 3, out
    assert all(m["status"] == "unknown" and m["detail"] == NOT_ALLOWED for m in marks.values())

    code, marks, out = scan(
        project, "--verify", "--verify-connect-databases", "--verify-cache-ttl", "0"
    )
    assert code == 1, out
    assert {k: m["status"] for k, m in marks.items()} == {
        "1": "live",
        "2": "live",
        "3": "invalid",
    }
    assert PG_PASSWORD not in out and MY_PASSWORD not in out

    code, marks, _ = scan(
        project,
        "--verify",
        "--verify-connect-databases",
        "--fail-on-verified",
        "--only-verified",
        "--verify-cache-ttl",
        "0",
    )
    assert code == 1 and set(marks) == {"1", "2"}


def test_cli_the_extra_flag_needs_verify(project: Path) -> None:
    code, _, out = scan(project, "--verify-connect-databases")
    assert code == 2 and "needs --verify" in out
