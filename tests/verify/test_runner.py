"""The runner: who may verify (trust), pairing through code verifiers, one request per distinct
secret, and the bounded thread pool."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from scanner.models import Finding, Verification
from scanner.models import VerifyStatus as S
from scanner.rulebook.compile import Ruleset
from scanner.rulebook.schema import load_rule_file
from scanner.verify.http import HostPin, HttpClient
from scanner.verify.plan import Plan, nearest
from scanner.verify.runner import Trust, VerifyOptions, verify_findings
from testing.findings import make_finding
from testing.rules import rule_toml

RULES = "\n".join(
    rule_toml(
        f"kgtest.key-{name}",
        f"({prefix}[0-9]{{8}})",
        keywords=[prefix.lower()],
        examples=[f"{prefix}00000001"],
        negatives=[f"{prefix}1"],
        name=name,
        description=f"A synthetic key {name}.",
    )
    for name, prefix in (("id", "KGID"), ("secret", "KGSEC"))
)


def finding(rule: str, value: str, path: str = "a.env", line: int = 1) -> Finding:
    return make_finding(rule, value, path=path, line=line)


class PairVerifier:
    """Pairs a key id with the nearest secret; records how many checks run at once."""

    name: str = "kgtest.pair"
    pins: tuple[HostPin, ...] = (HostPin(host="api.kgtest.invalid"),)

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.active = 0
        self.most = 0
        self.lock = threading.Lock()

    def plan(self, finding: Finding, peers: Sequence[Finding]) -> Plan | Verification:
        if finding.rule_id == "kgtest.key-id":
            key_id, secret = finding, nearest(finding, peers, ["kgtest.key-secret"])
        else:
            key_id, secret = nearest(finding, peers, ["kgtest.key-id"]), finding
        if key_id is None or secret is None:
            return Verification(S.UNKNOWN, self.name, "unpaired")
        pair = (key_id.secret.reveal(), secret.secret.reveal())

        def run(_client: HttpClient) -> Verification:
            with self.lock:
                self.active += 1
                self.most = max(self.most, self.active)
                self.calls.append(pair)
            time.sleep(0.05)
            with self.lock:
                self.active -= 1
            live = pair[1].endswith("1")
            return Verification(S.LIVE if live else S.INVALID, self.name, "checked")

        return Plan(self.name, f"{key_id.fingerprint}:{secret.fingerprint}", run)


def ruleset(tmp_path: Path) -> tuple[Ruleset, Path]:
    path = tmp_path / "pack" / "kgtest.toml"
    path.parent.mkdir()
    path.write_text(RULES, encoding="utf-8")
    return Ruleset.from_specs(load_rule_file(path)), path


def test_pairs_in_the_same_file_once_and_bounded(tmp_path: Path) -> None:
    rules, path = ruleset(tmp_path)
    verifier = PairVerifier()
    registry = dict.fromkeys(["kgtest.key-id", "kgtest.key-secret"], verifier)
    findings = []
    for i in range(6):  # six files, each with a key id and its secret
        findings.append(finding("kgtest.key-id", f"KGID0000000{i}", f"f{i}.env", 1))
        findings.append(finding("kgtest.key-secret", f"KGSEC0000000{i}", f"f{i}.env", 2))
    findings.append(finding("kgtest.key-id", "KGID99999999", "alone.env"))
    out = verify_findings(
        findings,
        rules,
        VerifyOptions(concurrency=2),
        Trust(builtin=(path.parent,)),
        code_verifiers=registry,  # type: ignore[arg-type]
    )
    assert [f.secret for f in out] == [f.secret for f in findings]  # same order
    assert len(verifier.calls) == 6  # one check per pair, not per finding
    assert {(a[-1], b[-1]) for a, b in verifier.calls} == {(str(i), str(i)) for i in range(6)}
    assert verifier.most <= 2
    status = {(f.origin.path, f.rule_id): f.verification.status for f in out}  # type: ignore[union-attr]
    assert status[("f1.env", "kgtest.key-id")] is S.LIVE
    assert status[("f1.env", "kgtest.key-secret")] is S.LIVE
    assert status[("f2.env", "kgtest.key-id")] is S.INVALID
    assert status[("alone.env", "kgtest.key-id")] is S.UNKNOWN


def test_untrusted_rules_do_not_verify(tmp_path: Path) -> None:
    rules, path = ruleset(tmp_path)
    verifier = PairVerifier()
    registry = dict.fromkeys(["kgtest.key-id", "kgtest.key-secret"], verifier)
    findings = [
        finding("kgtest.key-id", "KGID00000001"),
        finding("kgtest.key-secret", "KGSEC00000001"),
    ]
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    for trust in (Trust(builtin=(elsewhere,)), Trust(builtin=(elsewhere,), custom=(elsewhere,))):
        out = verify_findings(findings, rules, VerifyOptions(), trust, code_verifiers=registry)  # type: ignore[arg-type]
        assert {f.verification.status for f in out} == {S.UNKNOWN}  # type: ignore[union-attr]
    assert verifier.calls == []
    for trust in (
        Trust(builtin=(elsewhere,), custom=(path,)),
        Trust(builtin=(elsewhere,), custom=(path.parent,)),
    ):
        out = verify_findings(findings, rules, VerifyOptions(), trust, code_verifiers=registry)  # type: ignore[arg-type]
        assert {f.verification.status for f in out} == {S.LIVE}  # type: ignore[union-attr]


def test_unknown_rule_and_no_verifier(tmp_path: Path) -> None:
    rules, path = ruleset(tmp_path)
    findings = [finding("kgtest.key-id", "KGID00000001"), finding("other.rule", "x" * 20)]
    out = verify_findings(
        findings, rules, VerifyOptions(), Trust(builtin=(path.parent,)), code_verifiers={}
    )
    assert [(f.verification.status, f.verification.detail) for f in out] == [  # type: ignore[union-attr]
        (S.UNKNOWN, "no verifier"),
        (S.UNKNOWN, "no verifier"),
    ]
    assert replace(out[0], verification=None) == findings[0]
