"""Rules for files known by their path (``paths``): parsing, where they run, and that content
dedupe does not carry one path's findings to another."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.blob import Blob
from scanner.engine.pool import BlobPool
from scanner.errors import RuleError
from scanner.extractors import Limits
from scanner.matcher import Matcher, MatchPolicy
from scanner.models import Origin
from scanner.prefilter import AhoCorasickPrefilter
from scanner.rulebook.check import check_spec
from scanner.rulebook.compile import Ruleset, compile_rule
from scanner.rulebook.schema import parse_rule
from testing.rules import PSK
from testing.rules import psk_rule_entry as rule_entry
from testing.scan import ENGINES, build, scan_text


def scoped_ruleset() -> Ruleset:
    return Ruleset([compile_rule(parse_rule(rule_entry(), "kgtest.toml", 0), 0)])


def test_a_rule_with_paths_needs_no_keywords() -> None:
    spec = parse_rule(rule_entry(), "kgtest.toml", 0)
    assert spec.keywords == () and spec.paths == (r"\.psk$",)
    assert spec.examples[0].path == "etc/agent.psk"


def test_a_rule_without_keywords_or_paths_is_refused() -> None:
    with pytest.raises(RuleError, match="keyword"):
        parse_rule(rule_entry(paths=[]), "kgtest.toml", 0)


def test_a_path_pattern_that_does_not_compile_is_refused() -> None:
    with pytest.raises(RuleError, match="paths"):
        parse_rule(rule_entry(paths=["(unclosed"]), "kgtest.toml", 0)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_rule_runs_only_at_its_paths(engine: str, session_cache: Path) -> None:
    matcher = build(scoped_ruleset(), engine, session_cache)
    assert [f.secret.reveal() for f in scan_text(matcher, PSK + "\n", "etc/agent.psk")] == [PSK]
    assert scan_text(matcher, PSK + "\n", "etc/agent.txt") == []


def test_an_empty_keyword_automaton_finds_nothing() -> None:
    ruleset = scoped_ruleset()
    assert AhoCorasickPrefilter(ruleset).candidates("anything at all") == frozenset()


def test_scope_key_names_the_scoped_rules_that_run_at_a_path() -> None:
    ruleset = scoped_ruleset()
    matcher = Matcher(ruleset, AhoCorasickPrefilter(ruleset), MatchPolicy())
    assert matcher.scope_key("a/agent.psk") == "0"
    assert matcher.scope_key("a/notes.txt") == ""


def test_the_same_content_at_a_scoped_and_an_unscoped_path_is_scanned_for_each() -> None:
    ruleset = scoped_ruleset()
    matcher = Matcher(ruleset, AhoCorasickPrefilter(ruleset), MatchPolicy())
    data = (PSK + "\n").encode()
    items = [
        Blob.from_bytes(data, Origin(path="copy/notes.txt"), "notes.txt", key="same"),
        Blob.from_bytes(data, Origin(path="etc/agent.psk"), "agent.psk", key="same"),
        Blob.from_bytes(data, Origin(path="etc/other.psk"), "other.psk", key="same"),
    ]
    with BlobPool(matcher, Limits(), jobs=1) as pool:
        found = {b.origin.path: len(r.findings) for b, r in pool.scan(items)}
    assert found == {"copy/notes.txt": 0, "etc/agent.psk": 1, "etc/other.psk": 1}


def test_check_wants_a_path_on_each_example_and_no_match_elsewhere() -> None:
    no_path = rule_entry(examples=[{"text": PSK, "secret": PSK}])
    issues = check_spec(parse_rule(no_path, "kgtest.toml", 0))
    assert any("has no `path`" in i.message for i in issues)
    unscoped = rule_entry(paths=[r"."])
    issues = check_spec(parse_rule(unscoped, "kgtest.toml", 0))
    assert any("outside the rule's `paths`" in i.message for i in issues)
    assert check_spec(parse_rule(rule_entry(), "kgtest.toml", 0)) == []


def test_a_path_pattern_that_backtracks_without_end_gives_up_and_does_not_match() -> None:
    """A rule from a scanned tree's config is data: its path patterns run with a timeout."""
    import time

    entry = rule_entry(paths=[r"^(a+)+$"])
    rule = compile_rule(parse_rule(entry, "kgtest.toml", 0), 0)
    started = time.monotonic()
    assert rule.runs_on("a" * 40 + "!") is False
    assert rule.runs_on("aaaa") is True
    assert time.monotonic() - started < 5
