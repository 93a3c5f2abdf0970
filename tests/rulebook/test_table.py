"""The built-in rule table (``scanner.rulebook.table``): a start reads one compact entry and
decodes a rule's full spec only when something asks for it; a bad entry is rebuilt."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from scanner.cache import Cache, cache_key, default_cache_dir
from scanner.rulebook import loader
from scanner.rulebook.compile import Ruleset, spec_fingerprint
from scanner.rulebook.loader import load_ruleset, load_specs
from scanner.rulebook.table import TABLE_KIND, TABLE_VERSION, build_table, parse_table
from testing.rules import token_rule

RULES = "\n".join(
    token_rule(
        f"kgtab.token-{i}",
        f"kgtab{i}_",
        "[A-Za-z0-9]{24}",
        f"t = kgtab{i}_FakeKeyGuardTableTst{i:04d}",
        name=f"table test token {i}",
        description="A synthetic token for the rule-table tests.",
    )
    for i in range(3)
)


@pytest.fixture
def builtin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A built-in rules directory of three rules, with its own cache directory."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "kgtab.toml").write_text(RULES, encoding="utf-8")
    monkeypatch.setattr(loader, "builtin_rules_dir", lambda: rules)
    monkeypatch.setenv("KEYGUARD_CACHE_DIR", str(tmp_path / "cache"))
    return rules


def table_key(rules: Path) -> str:
    return cache_key(TABLE_VERSION, loader._stat_key(loader._toml_names(rules)))


def test_second_start_defers_every_spec_and_matches_the_parsed_rules(builtin: Path) -> None:
    first = load_ruleset()  # parses the files and stores the table
    second = load_ruleset()  # reads the table
    parsed = Ruleset.from_specs(load_specs([builtin]))
    assert all(rule._spec is None for rule in second)  # nothing decoded yet
    assert second.digest == first.digest == parsed.digest
    assert second.providers == parsed.providers
    assert second.token_prefixes == parsed.token_prefixes
    assert [(r.id, r.keywords, r.tags, r.secret_group) for r in second] == [
        (r.id, r.keywords, r.tags, r.secret_group) for r in parsed
    ]
    rule = second.rules[1]
    assert rule.spec == parsed.rules[1].spec  # decoded on first use
    assert rule._spec is not None
    assert all(r._spec is None for r in second if r is not rule)


def test_table_entries_defer_and_a_users_rules_compile_at_load(
    builtin: Path, tmp_path: Path
) -> None:
    """``Ruleset.from_specs`` tells a table entry from a ``RuleSpec`` without the schema."""
    load_ruleset()  # stores the table
    extra = tmp_path / "extra.toml"
    extra.write_text(
        token_rule("kguser.token", "kguser_", "[A-Za-z0-9]{24}", "t = kguser_FakeKeyGuardUserTst01")
    )
    rules = load_ruleset([extra])
    assert [r._spec is None for r in rules] == [True, True, True, False]
    assert rules.rules[3]._regex is not None  # compiled, so checked, when loaded


def test_an_edited_rule_file_is_read_again(builtin: Path) -> None:
    load_ruleset()
    path = builtin / "kgtab.toml"
    path.write_text(RULES.replace("table test token 0", "renamed token"), encoding="utf-8")
    assert load_ruleset().rules[0].spec.name == "renamed token"


@pytest.mark.parametrize(
    "head",
    [b"not json", b'{"rules": 1}', b'[["x"]]', b'[["a","s",["k"],[],1,"f",0,999999]]'],
)
def test_a_table_that_is_not_one_is_rebuilt(builtin: Path, head: bytes) -> None:
    good = [r.id for r in load_ruleset()]
    cache = Cache(default_cache_dir())
    cache.store_parts(TABLE_KIND, table_key(builtin), [head, b""])
    assert [r.id for r in load_ruleset()] == good
    assert cache.load_bytes(TABLE_KIND, table_key(builtin), 2) is not None
    with pytest.raises((TypeError, ValueError)):
        parse_table(head, b"")


def test_a_body_record_that_does_not_decode_is_parsed_from_its_file(builtin: Path) -> None:
    specs = load_specs([builtin])
    head, body = build_table(specs)
    rows = json.loads(head)
    start, end = rows[2][-2], rows[2][-1]
    broken = body[:start] + b"{" * (end - start) + body[end:]
    entries = parse_table(head, broken)
    assert entries[2].load() == specs[2]
    assert entries[0].load() == specs[0]


def test_the_fingerprint_covers_what_the_prefilter_cache_depends_on(builtin: Path) -> None:
    spec = load_specs([builtin])[0]
    base = spec_fingerprint(spec)
    assert spec_fingerprint(dataclasses.replace(spec, anchor_keyword=True)) != base
    assert spec_fingerprint(dataclasses.replace(spec, pattern=spec.pattern + "x")) != base
    assert spec_fingerprint(dataclasses.replace(spec, keywords=("other",))) != base
    assert spec_fingerprint(dataclasses.replace(spec, name="another name")) == base
