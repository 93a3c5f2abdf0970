"""Helpers to run the matcher on text in tests."""

from __future__ import annotations

from pathlib import Path

from scanner.matcher import Matcher, MatchPolicy
from scanner.models import Chunk, Finding, Origin
from scanner.prefilter import hyperscan_available
from scanner.rulebook.compile import Ruleset

ENGINES = ["aho-corasick", *(["hyperscan"] if hyperscan_available() else [])]


def build(ruleset: Ruleset, engine: str, cache: Path | None = None, **policy: object) -> Matcher:
    return Matcher.build(ruleset, MatchPolicy(**policy), engine, cache_dir=cache)  # type: ignore[arg-type]


def scan_text(matcher: Matcher, text: str, path: str = "sample.txt") -> list[Finding]:
    return matcher.scan(Chunk(text=text, origin=Origin(path=path), path_for_rules=path))


def secrets_of(findings: list[Finding], rule_id: str | None = None) -> set[str]:
    return {f.secret.reveal() for f in findings if rule_id is None or f.rule_id == rule_id}
