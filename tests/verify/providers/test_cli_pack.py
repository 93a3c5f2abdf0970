"""End to end: ``keyguard scan --verify`` over the built-in pack's own example lines, with every
pinned host routed to the provider contract server: each verified finding is marked by its own
provider's documented call, and a secret never reaches another provider's host."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.verify.routing import CA_ENV, ROUTES_ENV
from testing.contract.verify_server import VerifyServer
from tests.verify.providers.conftest import pack_specs

SPECS = {s.id: s for s in pack_specs()}
VERIFIED = sorted(rid for rid, s in SPECS.items() if s.verify is not None)


def example_lines() -> dict[str, tuple[str, str]]:
    """rule id -> (example text, its secret), for every rule with a verifier."""
    out = {}
    for rid in VERIFIED:
        for example in SPECS[rid].examples:
            if example.secret and "\n" not in example.text:
                out[rid] = (example.text, example.secret)
                break
    return out


def test_scan_verify_marks_each_finding(
    server: VerifyServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_cache: Path
) -> None:
    examples = example_lines()
    assert len(examples) >= 40
    src = tmp_path / "src"
    src.mkdir()
    secrets = sorted({secret for _text, secret in examples.values()})
    live = set(secrets[::2])  # every other secret live, the rest refused
    file_rule = {}
    for index, (rid, (text, secret)) in enumerate(sorted(examples.items())):
        # one file per rule: examples of different rules never pair with each other
        (src / f"f{index:03d}.txt").write_text(text + "\n", encoding="utf-8")
        file_rule[f"f{index:03d}.txt"] = rid
        server.register(secret, "live" if secret in live else "invalid")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KEYGUARD_CACHE_DIR", str(own_cache))  # answers of this test only
    monkeypatch.setenv(ROUTES_ENV, server.routes())
    monkeypatch.setenv(CA_ENV, str(server.ca_file))

    result = CliRunner().invoke(
        main,
        ["scan", str(src), "--verify", "--verify-cache-ttl", "0", "-f", "json", "-j", "1"],
    )
    assert result.exit_code == 1, (result.output, result.exception)
    findings = json.loads(result.stdout)["findings"]
    assert server.violations == [], server.violations
    secret_of = {rid: secret for rid, (_text, secret) in examples.items()}
    checked = set()
    for f in findings:
        rid = f["rule_id"]
        spec = SPECS[rid].verify
        if spec is None or file_rule[Path(f["path"]).name] != rid:
            continue  # another rule's match in that example: its secret may differ
        status = f["verification"]["status"]
        if secret_of[rid] in live:
            assert status == "live", (rid, f["verification"])
        else:
            assert status == ("invalid" if spec.invalid is not None else "unknown"), rid
        checked.add(rid)
        assert secret_of[rid] not in json.dumps(f["verification"])
    assert len(checked) >= 0.9 * len(examples), sorted(set(examples) - checked)
    # every request went to a pinned host of a verifier that was asked
    pinned = {SPECS[rid].verify.host for rid in checked}  # type: ignore[union-attr]
    assert {r.host for r in server.requests} <= pinned
