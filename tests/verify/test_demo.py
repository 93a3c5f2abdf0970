"""End to end: ``keyguard scan fixtures/demo --verify`` with every pinned host of the built-in
verifiers routed to local servers (moto for STS, a contract server answering 401 for the
rest) marks each finding, and sends each secret only to its own provider's host. (The
Aho-Corasick prefilter: compiling the full Hyperscan database cold costs seconds and is not
what this is about.)"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.rulebook.loader import builtin_rules_dir, load_specs
from tests.verify.conftest import Contract, Moto, reply_json

pytestmark = pytest.mark.slow


def test_demo_marks_every_finding(
    contract: Contract,
    moto_sts: Moto,
    route: Callable[[dict[str, str]], None],
    root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demo = tmp_path / "demo"
    shutil.copytree(root / "fixtures" / "demo", demo)
    monkeypatch.chdir(tmp_path)
    specs = {s.id: s for s in load_specs([builtin_rules_dir()])}
    pinned = {s.verify.host for s in specs.values() if s.verify is not None}
    route({**{h: contract.address for h in pinned}, "sts.amazonaws.com": moto_sts.address})
    contract.fallback = lambda _s: reply_json(401, {"message": "Bad credentials"})

    result = CliRunner().invoke(
        main,
        [
            "scan",
            str(demo),
            "--verify",
            "--verify-cache-ttl",
            "0",
            "-f",
            "json",
            "-j",
            "1",
            "--engine",
            "aho-corasick",
        ],
    )
    assert result.exit_code == 1, (result.output, result.exception)
    findings = json.loads(result.stdout)["findings"]
    assert len(findings) >= 4
    by_rule = {f["rule_id"]: f["verification"] for f in findings}
    assert by_rule["aws.access-key-id"]["status"] == "invalid"  # moto: InvalidClientTokenId
    assert by_rule["aws.secret-access-key"]["status"] == "invalid"
    for f in findings:
        v = f["verification"]
        assert v["status"] in {"live", "invalid", "unknown", "error"}
        assert v["status"] != "error", f
        spec = specs[f["rule_id"]]
        if spec.verify is None and not f["rule_id"].startswith("aws."):
            assert v == {"status": "unknown", "verifier": "", "detail": "no verifier"}
        elif spec.verify is not None:
            assert v["verifier"].startswith(f["rule_id"] + "@")
    asked = {f["rule_id"] for f in findings if specs[f["rule_id"]].verify is not None}
    assert len(contract.seen) >= len(asked)
    assert {s.headers["Host"] for s in contract.seen} <= pinned
    for seen in contract.seen:  # each request went to the host of the rule it verifies
        hosts = {specs[r].verify.host for r in asked}  # type: ignore[union-attr]
        assert seen.headers["Host"] in hosts
