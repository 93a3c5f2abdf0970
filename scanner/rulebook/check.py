"""``keyguard rules check``: every rule compiles, has a capture group, and its examples behave.

Backs the CLI command (users check their own rule files with it) and the test suite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scanner.errors import RuleError
from scanner.matcher import Matcher, MatchPolicy
from scanner.models import Chunk, Finding, Origin
from scanner.prefilter import AhoCorasickPrefilter
from scanner.rulebook.compile import Ruleset, compile_rule
from scanner.rulebook.schema import RuleSpec


@dataclass(frozen=True, slots=True)
class CheckIssue:
    level: str  # "error" | "warning"
    source: str
    rule_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.source}: rule {self.rule_id}: {self.message}"


def scan_text(matcher: Matcher, text: str, path: str = "example.txt") -> list[Finding]:
    return matcher.scan(Chunk(text=text, origin=Origin(path=path), path_for_rules=path))


def single_rule_matcher(spec: RuleSpec) -> Matcher:
    ruleset = Ruleset([compile_rule(spec, 0)])
    return Matcher(ruleset, AhoCorasickPrefilter(ruleset), MatchPolicy())


def check_spec(spec: RuleSpec) -> list[CheckIssue]:
    issues: list[CheckIssue] = []

    def add(level: str, message: str) -> None:
        issues.append(CheckIssue(level, spec.source, spec.id, message))

    try:
        matcher = single_rule_matcher(spec)
    except RuleError as exc:
        add("error", str(exc).split(": ", 1)[-1])
        return issues
    if matcher.ruleset.rules[0].regex.groups == 0:
        add("warning", "pattern has no capture group; the whole match is the secret")
    if not _hyperscan_ok(spec.pattern):
        add("warning", "pattern does not compile in Hyperscan; its keywords prefilter it there")
    for i, example in enumerate(spec.examples):
        found = [f for f in scan_text(matcher, example.text) if f.rule_id == spec.id]
        if not found:
            add("error", f"example {i + 1} does not match")
        elif example.secret is not None and example.secret not in {
            f.secret.reveal() for f in found
        }:
            add("error", f"example {i + 1}: extracted secret differs from the expected one")
    for i, negative in enumerate(spec.negative_examples):
        if any(f.rule_id == spec.id for f in scan_text(matcher, negative)):
            add("error", f"negative example {i + 1} matches")
    if len(spec.negative_examples) == 0:
        add("warning", "no negative examples")
    return issues


def check_specs(specs: Sequence[RuleSpec]) -> list[CheckIssue]:
    issues: list[CheckIssue] = []
    seen: dict[str, str] = {}
    for spec in specs:
        if spec.id in seen:
            issues.append(
                CheckIssue("error", spec.source, spec.id, f"duplicate id (also in {seen[spec.id]})")
            )
        seen.setdefault(spec.id, spec.source)
        issues.extend(check_spec(spec))
    return issues


def _hyperscan_ok(pattern: str) -> bool:
    try:
        import hyperscan
    except ImportError:
        return True
    flags = hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY
    for extra in (0, hyperscan.HS_FLAG_PREFILTER):
        try:
            db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            db.compile(expressions=[pattern.encode()], ids=[0], flags=[flags | extra])
            return True
        except Exception:  # hyperscan.error
            continue
    return False
