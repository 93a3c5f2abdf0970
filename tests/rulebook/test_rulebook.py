"""Every built-in rule's examples, on both engines, in several syntaxes; the rule checker."""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.errors import RuleError
from scanner.matcher import Matcher
from scanner.models import Finding
from scanner.prefilter import hyperscan_available
from scanner.rulebook.check import SYNTAXES, check_specs, example_path, syntax_misses
from scanner.rulebook.compile import CompiledRule, Ruleset
from scanner.rulebook.loader import builtin_rules_dir, load_ruleset, load_specs
from scanner.rulebook.schema import RuleSpec, load_rule_file
from testing.rules import rule_toml, token_rule
from testing.scan import ENGINES, build, scan_text, secrets_of

RULESET = load_ruleset()
RULES = list(RULESET)


def test_hyperscan_engine_is_installed_where_its_wheel_exists() -> None:
    if not (platform.system() == "Linux" and platform.machine() == "x86_64"):
        pytest.skip("hyperscan wheels exist for x86_64 Linux here; elsewhere one engine runs")
    assert hyperscan_available(), "scripts/test installs the fast extra; both engines must run"


def test_builtin_pack_size_and_unique_ids() -> None:
    assert len(RULES) >= 150
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))


def test_every_rule_has_positive_and_negative_examples() -> None:
    missing = [r.id for r in RULES if not r.spec.examples or not r.spec.negative_examples]
    assert missing == []


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_examples(rule: CompiledRule, engine_matcher: Matcher) -> None:
    """Positives yield the rule with the expected secret, among all built-in rules. Where two
    specific rules cover the same secret, the other may win the span; a generic rule never
    may. Negatives never yield the rule."""
    for i, example in enumerate(rule.spec.examples):
        found = scan_text(engine_matcher, example.text, example_path(example))
        expected = example.secret
        if expected is None:
            specific = [
                f for f in found if f.rule_id == rule.id or not f.rule_id.startswith("generic.")
            ]
            assert specific, f"{rule.id}-pos-{i} not found ({engine_matcher.engine})"
            continue
        owners = {f.rule_id for f in found if f.secret.reveal() == expected}
        assert owners, f"{rule.id}-pos-{i}: secret not found ({engine_matcher.engine})"
        if rule.id not in owners:
            stolen_by_generic = [o for o in owners if o.startswith("generic.")]
            assert not stolen_by_generic, f"{rule.id}-pos-{i} claimed by {owners}"
    where = example_path(rule.spec.examples[0])
    for i, negative in enumerate(rule.spec.negative_examples):
        found = scan_text(engine_matcher, negative, where)
        assert not secrets_of(found, rule.id), f"{rule.id}-neg-{i}"


@pytest.fixture(scope="module")
def builtin_syntax_misses(session_cache: Path) -> dict[str, tuple[int, list[str]]]:
    """``syntax_misses`` of the built-in rules on the fast engine, computed once for the
    syntax tests and the ``rules check`` command test (a minute of scanning each)."""
    return syntax_misses([r.spec for r in RULES], build(RULESET, ENGINES[-1], session_cache))


@pytest.mark.parametrize("syntax", sorted(SYNTAXES))
def test_examples_survive_other_syntaxes(
    syntax: str, builtin_syntax_misses: dict[str, tuple[int, list[str]]]
) -> None:
    """Each positive, wrapped in another syntax, is still found (by its rule or a sibling
    rule for the same secret) on the fast engine too; at least 97% of them, misses listed."""
    total, missed = builtin_syntax_misses[syntax]
    assert total > 500
    assert len(missed) <= 0.03 * total, f"{len(missed)}/{total} missed in {syntax}: {missed[:20]}"


def test_rules_check_reports_a_syntax_that_loses_examples(tmp_path: Path) -> None:
    """A rule that only matches at the start of a line passes alone but is lost inside JSON,
    YAML, Python or a log line: the checker says so."""
    path = tmp_path / "anchored.toml"
    path.write_text(
        BAD_RULE.replace("secret_group = 2", "")
        .replace("\\b(acme_[a-z]{10})\\b", "^acme_([a-z]{10})$")
        .replace(
            'examples = ["acme_kqzmtrwxvb"]',
            'examples = [{ text = "acme_kqzmtrwxvb", secret = "kqzmtrwxvb" }]',
        )
    )
    result = CliRunner().invoke(main, ["rules", "check", str(path)])
    assert result.exit_code == 1
    assert "not found when written as json" in result.output


def test_both_engines_agree_on_all_examples(session_cache: Path) -> None:
    if len(ENGINES) < 2:
        pytest.skip("the `fast` extra (hyperscan) is not installed on this platform")
    a, b = (build(RULESET, e, session_cache) for e in ENGINES)
    for rule in RULES:
        where = example_path(rule.spec.examples[0])
        texts = [(e.text, example_path(e)) for e in rule.spec.examples]
        for text, path in texts + [(n, where) for n in rule.spec.negative_examples]:
            fa = sorted(map(_where, scan_text(a, text, path)))
            fb = sorted(map(_where, scan_text(b, text, path)))
            assert fa == fb, f"engines differ on an example of {rule.id}"


def _where(f: Finding) -> tuple[str, str, int, int, int, int]:
    """What and where (the same secret can be found twice in one example)."""
    p = f.position
    return (f.rule_id, f.secret.reveal(), p.line, p.column, p.end_line, p.end_column)


def test_rules_check_command_passes_on_builtin_rules(
    builtin_syntax_misses: dict[str, tuple[int, list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def known_misses(specs: Sequence[RuleSpec], _: Matcher) -> dict[str, tuple[int, list[str]]]:
        assert sorted(s.id for s in specs) == sorted(r.id for r in RULES)
        return builtin_syntax_misses  # the same rules on the same engine: computed above

    monkeypatch.setattr("scanner.rulebook.check.syntax_misses", known_misses)
    result = CliRunner().invoke(main, ["rules", "check", "--warnings-as-errors"])
    assert result.exit_code == 0, result.output
    assert f"{len(RULES)} rules checked: 0 error(s), 0 warning(s)" in result.output


def test_rules_list_lists_every_rule() -> None:
    result = CliRunner().invoke(main, ["rules", "list", "--format", "json"])
    assert result.exit_code == 0
    assert {r["id"] for r in json.loads(result.output)} == {r.id for r in RULES}


BAD_RULE = token_rule(
    "acme.token", "acme_", "[a-z]{10}", "acme_kqzmtrwxvb", name="Acme token", secret_group=2
)


def test_invalid_rule_file_names_file_rule_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_RULE)
    with pytest.raises(RuleError) as info:
        Ruleset.from_specs(load_rule_file(path))
    message = str(info.value)
    assert "bad.toml" in message and "acme.token" in message and "secret_group" in message


def test_rules_check_reports_failing_examples_in_user_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        BAD_RULE.replace("secret_group = 2", "secret_group = 1").replace(
            'negative_examples = ["acme_short"]', 'negative_examples = ["acme_pzqrmvkxtw"]'
        )
    )
    issues = check_specs(load_specs([path]))
    assert [i.message for i in issues if i.level == "error"] == ["negative example 1 matches"]
    result = CliRunner().invoke(main, ["rules", "check", str(path)])
    assert result.exit_code == 1
    assert "negative example 1 matches" in result.output


@pytest.mark.parametrize(
    ("snippet", "field"),
    [
        ('id = "Bad Id"', "id"),
        ('severity = "urgent"', "severity"),
        ("pattern = '''(unclosed'''", "pattern"),
        ('colour = "red"', "colour"),
        ("prefilter = 7", "prefilter"),
        ('prefilter = "acme"\nanchor = "keyword"', "prefilter"),
    ],
)
def test_rule_validation_errors(tmp_path: Path, snippet: str, field: str) -> None:
    base = BAD_RULE.replace("secret_group = 2", "secret_group = 1")
    key = snippet.split(" =")[0]
    lines = [ln for ln in base.splitlines() if not ln.startswith(key + " =")]
    lines.insert(2, snippet)
    path = tmp_path / "r.toml"
    path.write_text("\n".join(lines))
    with pytest.raises(RuleError) as info:
        Ruleset.from_specs(load_rule_file(path))
    assert field in str(info.value)


@pytest.mark.parametrize(
    ("prefilter", "errors"),
    [
        (r"acme_[a-z]{4}", []),  # inside every match: fine
        (r"acme_[0-9]{4}", ["example 1: its match does not contain a match of `prefilter`"]),
        (r"acme_(", ["prefilter does not compile"]),
    ],
)
def test_rules_check_holds_examples_to_the_prefilter(
    tmp_path: Path, prefilter: str, errors: list[str]
) -> None:
    path = tmp_path / "mine.toml"
    rule = BAD_RULE.replace("secret_group = 2", f"prefilter = {json.dumps(prefilter)}")
    path.write_text(rule)
    issues = check_specs(load_specs([path]))
    assert [i.message for i in issues if i.level == "error"] == errors


@pytest.mark.skipif(not hyperscan_available(), reason="the hyperscan wheel is not installed")
def test_hyperscan_runs_the_prefilter_instead_of_the_pattern(tmp_path: Path) -> None:
    # the prefilter (the token's tail) decides what Hyperscan hands to the pattern: a text
    # with the keyword but without the tail is never confirmed
    from scanner.hsform import hyperscan_form
    from scanner.prefilter import HyperscanPrefilter

    path = tmp_path / "mine.toml"
    path.write_text(BAD_RULE.replace("secret_group = 2", 'prefilter = "[a-z]{6}vb"'))
    ruleset = Ruleset.from_specs(load_specs([path]))
    assert hyperscan_form(ruleset.rules[0].spec) == b"[a-z]{6}vb"
    prefilter = HyperscanPrefilter(ruleset)
    assert prefilter.candidates("acme_kqzmtrwxvb") == {0}
    assert prefilter.candidates("acme_kqzmtrwxqq") == frozenset()
    assert prefilter.candidates("kqzmtrwxvb") == {0}  # no keyword: the confirm stage decides


def test_builtin_rules_directory_is_the_shipped_one() -> None:
    assert (builtin_rules_dir() / "github.toml").is_file()


# A pattern that compiles alone only in Hyperscan's approximate mode: two line gaps after the
# provider word, each kept bounded by the prefilter, then the whole assignment syntax.
TOO_LARGE = (Path(__file__).parent / "too_large_pattern.txt").read_text().strip()


@pytest.mark.skipif(not hyperscan_available(), reason="the `fast` extra is not installed")
def test_rules_check_warns_of_a_pattern_too_large_for_hyperscan(tmp_path: Path) -> None:
    """Such a pattern makes the whole database compile rule by rule (several times slower, on
    every first run): the checker says so, and a `prefilter` silences it."""
    rule = (
        "[[rules]]\nid = 'acme.api-token'\nname = 'Acme API token'\nseverity = 'high'\n"
        "description = 'An Acme token.'\nconfidence = 'high'\n"
        "keywords = ['acme']\npattern = '''" + TOO_LARGE.replace("snyk", "acme") + "'''\n"
        "examples = [{ text = 'ACME_TOKEN=5c0e9a71-d3f2-4b86-a1e4-7f29c08b3d56',"
        " secret = '5c0e9a71-d3f2-4b86-a1e4-7f29c08b3d56' }]\n"
        "negative_examples = ['ACME_TOKEN=not-a-uuid']\n"
    )
    plain, bounded = tmp_path / "plain.toml", tmp_path / "bounded.toml"
    plain.write_text(rule)
    prefilter = "prefilter = '''(?i:acme)[\\s\\S]{0,}?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-'''\n"
    bounded.write_text(rule.replace("examples = [", prefilter + "examples = [", 1))
    warned = CliRunner().invoke(main, ["rules", "check", str(plain)])
    assert "does not compile in Hyperscan as it is" in warned.output, warned.output
    quiet = CliRunner().invoke(main, ["rules", "check", "--warnings-as-errors", str(bounded)])
    assert quiet.exit_code == 0, quiet.output


@pytest.mark.skipif(not hyperscan_available(), reason="the `fast` extra is not installed")
def test_the_prefilter_names_the_rules_it_approximates_and_its_cache_keeps_them(
    tmp_path: Path,
) -> None:
    """`rules check` reads from the pack's prefilter which patterns Hyperscan did not take as
    they are (no second compile of the pack): the prefilter must name exactly those, also when
    it starts from its cache."""
    from scanner.prefilter import HyperscanPrefilter

    rules = tmp_path / "pack.toml"
    uuid = "5c0e9a71-d3f2-4b86-a1e4-7f29c08b3d56"
    big_rule = rule_toml(
        "acme.big",
        TOO_LARGE.replace("snyk", "acme"),
        keywords=["acme"],
        examples=[f"ACME_TOKEN={uuid}"],
        negatives=["ACME_TOKEN=not-a-uuid"],
    )
    small_rule = rule_toml(
        "acme.small",
        "acme_([a-z0-9]{24})",
        keywords=["acme_"],
        examples=["acme_q7w2e9r4t1y8u3i6o5p0a2s4"],
        negatives=["acme_short"],
    )
    rules.write_text(big_rule + "\n" + small_rule)
    specs = load_specs([rules])
    ruleset = Ruleset.from_specs(specs)
    big = next(r.index for r in ruleset if r.id == "acme.big")
    cache = tmp_path / "cache"
    assert HyperscanPrefilter(ruleset, (), cache).approximated == {big}
    assert any(cache.glob("hyperscan-*.kgc"))
    assert HyperscanPrefilter(ruleset, (), cache).approximated == {big}  # from the cache
    small = Ruleset.from_specs([s for s in specs if s.id == "acme.small"])
    assert HyperscanPrefilter(small, (), cache).approximated == frozenset()


def test_a_multi_line_key_written_in_a_json_or_python_string_counts_as_found() -> None:
    """The syntax check compares secrets without their layout: a PEM body found inside a JSON
    or Python string keeps its ``\\n`` escapes, and is still the example's key."""
    specs = [s for s in load_specs([builtin_rules_dir()]) if s.id == "privatekey.rsa"]
    matcher = build(Ruleset.from_specs(specs), "aho-corasick")
    misses = syntax_misses(specs, matcher)
    assert misses["json"][1] == [] and misses["python"][1] == []
    assert misses["json"][0] >= 2


@pytest.mark.skipif(not hyperscan_available(), reason="the `fast` extra is not installed")
def test_rules_check_warns_when_a_keyword_anchored_rule_cannot_be_located() -> None:
    """generic.api-key starts at its keyword and is located by a start-of-match database; a
    longer alternation in it (a list of conversion calls) made that compile fail, and the rule
    silently lost its locator: the checker says so."""
    from dataclasses import replace

    from scanner.rulebook.check import check_spec

    spec = next(s for s in load_specs([builtin_rules_dir()]) if s.id == "generic.api-key")
    assert spec.anchor_keyword
    warned = "does not compile as a start-of-match"
    assert not any(warned in i.message for i in check_spec(spec, hyperscan_ok=True))
    calls = (
        r"(?:\[\]byte|bytes(?:\.fromhex)?|bytearray|Buffer\.from|(?:base64\.)?b64decode"
        r"|(?:binascii\.)?unhexlify|hex\.DecodeString|base64\.StdEncoding\.DecodeString"
        r"|Encoding\.(?:UTF8|ASCII|Default)\.GetBytes|Secret(?:Str|Bytes))\([ \t]{0,2}"
    )
    start = spec.pattern.index("(?:(?:\\[\\]byte")
    end = spec.pattern.index(")?", spec.pattern.index("SecretStr", start)) + 2
    longer = replace(spec, pattern=spec.pattern[:start] + "(?:" + calls + ")?" + spec.pattern[end:])
    assert any(warned in i.message for i in check_spec(longer, hyperscan_ok=True))


@pytest.mark.skipif(not hyperscan_available(), reason="the `fast` extra is not installed")
def test_rules_tagged_located_are_located_and_the_checker_warns_when_they_cannot_be(
    auto_matcher: Matcher,
) -> None:
    """A rule tagged ``located`` gets a start-of-match database like a keyword-anchored one
    (generic.prose-token: its regex starts a lazy name before its keyword, slow over a test
    module full of ``key``); one that cannot compile so is warned of."""
    from dataclasses import replace

    from scanner.rulebook.check import check_spec

    specs = load_specs([builtin_rules_dir()])
    spec = next(s for s in specs if s.id == "generic.prose-token")
    assert spec.located and not spec.anchor_keyword
    warned = "does not compile as a start-of-match"
    assert not any(warned in i.message for i in check_spec(spec, hyperscan_ok=True))
    ruleset = auto_matcher.ruleset
    tagged = {r.index for r in ruleset.rules if "located" in r.spec.tags}
    assert tagged and tagged <= auto_matcher.prefilter.located
    salt = next(s for s in specs if s.id == "salt.secret-salt")  # too large to locate
    assert not salt.located
    tagged_salt = replace(salt, tags=(*salt.tags, "located"))
    assert any(warned in i.message for i in check_spec(tagged_salt, hyperscan_ok=True))
