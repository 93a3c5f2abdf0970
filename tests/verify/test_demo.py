"""End to end: ``keyguard scan fixtures/demo --verify`` with every pinned host of the built-in
verifiers routed to local servers (moto for STS, a contract server answering 401 for the
rest, and, with ``--verify-connect-databases``, a real PostgreSQL cluster for the demo's
database URL) marks each finding with the answer of its own verifier, and sends each secret
only to its own provider's host. (The Aho-Corasick prefilter: compiling the full Hyperscan
database cold costs seconds and is not what this is about.)"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.rulebook.loader import builtin_rules_dir, load_specs
from scanner.rulebook.schema import RuleSpec
from scanner.verify.providers.database import NOT_ALLOWED
from scanner.verify.registry import CODE_VERIFIERS
from testing.contract.verify_databases import (
    DbServer,
    find_postgres,
    postgres_server,
)
from tests.verify.conftest import Contract, Moto, reply_json

pytestmark = pytest.mark.slow

DEMO_DB_HOST = "db.internal.invalid"  # fixtures/demo/app/settings.py
DEMO_DB_USER, DEMO_DB_PASSWORD = "app", "Kq7vTz2mPw9xLr4s"
# Every finding of the demo, and what its verifier says with the test servers.
EXPECTED = {
    "github.pat-classic": ("invalid", "github.pat-classic@"),  # contract server: 401
    "aws.access-key-id": ("invalid", "aws.sts-get-caller-identity"),  # moto
    "aws.secret-access-key": ("invalid", "aws.sts-get-caller-identity"),
    "anthropic.api-key": ("invalid", "anthropic.api-key@"),  # contract server: 401
    "postgres.url-password": ("unknown", "database.connect:postgres"),  # not opted in
}


@pytest.fixture(scope="module")
def specs() -> dict[str, RuleSpec]:
    return {s.id: s for s in load_specs([builtin_rules_dir()])}


@pytest.fixture
def demo(
    contract: Contract,
    moto_sts: Moto,
    route: Callable[[dict[str, str]], None],
    root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    specs: dict[str, RuleSpec],
    own_cache: Path,
) -> Callable[..., list[dict[str, Any]]]:
    """Run ``scan demo --verify [extra...]``; the findings of its JSON report."""
    target = tmp_path / "demo"
    shutil.copytree(root / "fixtures" / "demo", target)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KEYGUARD_CACHE_DIR", str(own_cache))  # answers of this test only
    pinned = {s.verify.host for s in specs.values() if s.verify is not None}
    contract.fallback = lambda _s: reply_json(401, {"message": "Bad credentials"})

    def run(*extra: str, routes: dict[str, str] | None = None) -> list[dict[str, Any]]:
        route(
            {
                **{h: contract.address for h in pinned},
                "sts.amazonaws.com": moto_sts.address,
                **(routes or {}),
            }
        )
        args = ["scan", str(target), "--verify", "--verify-cache-ttl", "0", "-f", "json"]
        result = CliRunner().invoke(main, [*args, "-j", "1", "--engine", "aho-corasick", *extra])
        assert result.exit_code == 1, (result.output, result.exception)
        findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
        return findings

    return run


def check_marks(findings: list[dict[str, Any]], expected: dict[str, tuple[str, str]]) -> None:
    assert sorted(f["rule_id"] for f in findings) == sorted(expected), "the demo changed"
    for f in findings:
        mark = f["verification"]
        status, verifier = expected[f["rule_id"]]
        assert mark["status"] == status, f
        assert mark["verifier"].startswith(verifier), f
        assert mark["detail"] and mark["detail"] != "no verifier", f


def test_demo_marks_every_finding(
    demo: Callable[..., list[dict[str, Any]]], contract: Contract, specs: dict[str, RuleSpec]
) -> None:
    findings = demo()
    check_marks(findings, EXPECTED)
    db = next(f for f in findings if f["rule_id"] == "postgres.url-password")
    assert db["verification"]["detail"] == NOT_ALLOWED
    for f in findings:  # every finding has a verifier of its own (data or code)
        assert specs[f["rule_id"]].verify is not None or f["rule_id"] in CODE_VERIFIERS
    asked = {f["rule_id"] for f in findings if specs[f["rule_id"]].verify is not None}
    hosts = {specs[r].verify.host for r in asked}  # type: ignore[union-attr]
    assert len(contract.seen) == len(asked)  # one request per data-verified finding
    assert {s.headers["Host"] for s in contract.seen} == hosts  # each to its own host


@pytest.fixture(scope="module")
def demo_database() -> Iterator[DbServer]:
    """A real PostgreSQL cluster with the demo URL's user and password."""
    pytest.importorskip("psycopg", reason="extra verify-db (part of extra test)")
    bindir = find_postgres()
    if bindir is None:
        pytest.fail("install the Debian package postgresql (scripts/apt-packages.txt)")
    with postgres_server(bindir) as server:
        server.admin_sql(
            f"CREATE ROLE {DEMO_DB_USER} LOGIN PASSWORD '{DEMO_DB_PASSWORD}'",
            f"CREATE DATABASE app OWNER {DEMO_DB_USER}",
        )
        yield server


def test_demo_with_database_connections_marks_every_finding(
    demo: Callable[..., list[dict[str, Any]]], demo_database: DbServer
) -> None:
    findings = demo("--verify-connect-databases", routes={DEMO_DB_HOST: demo_database.address})
    check_marks(
        findings,
        {**EXPECTED, "postgres.url-password": ("live", "database.connect:postgres")},
    )
    assert DEMO_DB_PASSWORD not in json.dumps(findings)
