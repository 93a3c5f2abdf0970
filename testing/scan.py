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


def rule_secrets(matcher: Matcher, text: str, path: str = "src/app.py") -> set[tuple[str, str]]:
    """(rule id, secret) of every finding in ``text`` scanned as ``path``."""
    return {(f.rule_id, f.secret.reveal()) for f in scan_text(matcher, text, path)}


def secrets_of(findings: list[Finding], rule_id: str | None = None) -> set[str]:
    return {f.secret.reveal() for f in findings if rule_id is None or f.rule_id == rule_id}


def example_secret(ruleset: Ruleset, rule_id: str) -> str:
    """The first example secret of rule ``rule_id`` in ``ruleset``."""
    rule = ruleset.get(rule_id)
    assert rule is not None, rule_id
    secret = next(e.secret for e in rule.spec.examples if e.secret)
    assert secret is not None
    return secret


def scan_example(
    matcher: Matcher, rule_id: str, form: str, path: str, word: str = ""
) -> tuple[str, set[str]]:
    """Rule ``rule_id``'s own example secret, and the secrets ``matcher`` reports as ``rule_id``
    in ``form`` at ``path`` with ``{s}`` the secret and ``{p}``, ``{P}``, ``{U}`` the provider
    ``word`` as written, capitalised and upper-case."""
    secret = example_secret(matcher.ruleset, rule_id)
    text = form.format(s=secret, p=word, P=word.capitalize(), U=word.upper())
    return secret, secrets_of(scan_text(matcher, text, path), rule_id)
