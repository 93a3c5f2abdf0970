"""``pathscope``: the joined gate over path-scoped rules' patterns answers as the rules do."""

from __future__ import annotations

import re

import pytest

from scanner.pathscope import PathScope, path_gate
from scanner.rulebook.compile import Ruleset, compile_rule
from scanner.rulebook.loader import load_ruleset
from scanner.rulebook.schema import parse_rule
from testing.rules import psk_rule_entry

PATHS = [
    "etc/agent.psk",
    "home/u/.pgpass",
    "deploy/haproxy/haproxy.cfg",
    "HAPROXY.CFG",
    "deploy/myhaproxy.cfg",
    "old/config/master.key.bak",
    "x/config/master.key",
    "src/app/main.py",
    "config/master.key",
    "config/credentials/production.key",
    "data/users.CSV",
    "charts/values.yaml",
    "README.md",
    "a/b/c/redis-6379.conf",
    "",
]


@pytest.mark.parametrize(
    "patterns",
    [
        [r"\.psk$", r"(?i)(?:^|/)haproxy[\w.-]{0,40}\.cfg$"],
        [r"(?i)\.(?:csv|tsv)$", r"(?:^|/)config/master\.key$", r"^README"],
        [r"(?ix)  \.ya?ml$  "],
        [r"(?:^|/)config/master\.key$", r"(?i)(?:^|/)\.?pgpass$"],
    ],
)
def test_the_gate_matches_a_path_exactly_when_one_pattern_does(patterns: list[str]) -> None:
    gate = path_gate(patterns)
    assert gate is not None
    for path in PATHS:
        expected = any(re.search(p, path) for p in patterns)
        assert gate.matches(path) == expected, path


@pytest.mark.parametrize("pattern", [r"a(?i)b", r"(a)\1", "(unclosed"])
def test_patterns_that_cannot_be_joined_give_no_gate(pattern: str) -> None:
    assert path_gate([r"\.psk$", pattern]) is None


def test_the_builtin_scoped_rules_are_gated_and_answer_as_each_rule_does() -> None:
    ruleset = load_ruleset()
    scope = PathScope(ruleset.rules)
    assert scope.rules and scope._gate is not None and not scope._always
    paths = PATHS + [e.path for r in scope.rules for e in r.spec.examples if e.path]
    for path in paths:
        expected = frozenset(r.index for r in scope.rules if r.runs_on(path))
        assert scope.taking(path) == expected, path
    assert any(scope.taking(p) for p in paths) and not scope.taking("src/app/main.py")
    for path in paths:  # the dedupe key names the same rules, asked again or not
        assert scope.key(path) == scope.key(path) == ",".join(map(str, sorted(scope.taking(path))))
    assert scope.key("src/app/main.py") == ""


def test_a_users_rule_is_asked_on_every_path() -> None:
    entry = psk_rule_entry(examples=[{"text": "0123456789abcdef" * 2, "path": "etc/agent.psk"}])
    rule = compile_rule(parse_rule(entry, "user.toml", 0), 0)
    scope = PathScope(Ruleset([rule]).rules)
    assert scope._always == (rule,)  # searched with a timeout, not joined
    assert scope.taking("etc/agent.psk") == {0}
    assert scope.taking("etc/agent.txt") == frozenset()
