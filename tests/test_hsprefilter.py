"""The Hyperscan prefilter's databases beside the main one give the main one's answers: the rules
for files known by their path, looked for only where asked (and found wherever they run), and the
lines of a text that hold a decoder trigger."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner import hsprefilter
from scanner.hsprefilter import HyperscanPrefilter
from scanner.matcher import Matcher
from scanner.rulebook.compile import Ruleset
from scanner.rulebook.loader import load_ruleset
from testing.scan import build, scan_text, secrets_of

pytest.importorskip("hyperscan", reason="the Hyperscan prefilter needs keyguard[fast]")

RULES = Ruleset.from_specs(
    [
        r.spec
        for r in load_ruleset()
        if r.id
        in ("postgres.pgpass-file", "zabbix.psk-file", "aws.access-key-id", "generic.api-key")
    ]
)
PGPASS = "db1.internal:6432:orders:app:Lk9Wq4Zr2Tz5Nv8Q\n"


@pytest.fixture(scope="module")
def matcher(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    return build(RULES, "hyperscan", tmp_path_factory.mktemp("cache"))


def _prefilter(matcher: Matcher) -> HyperscanPrefilter:
    prefilter = matcher.prefilter
    assert isinstance(prefilter, HyperscanPrefilter)
    return prefilter


def test_scoped_rules_are_looked_for_only_where_asked(matcher: Matcher) -> None:
    prefilter = _prefilter(matcher)
    pgpass, psk = RULES.get("postgres.pgpass-file"), RULES.get("zabbix.psk-file")
    assert pgpass is not None and pgpass.paths and psk is not None and psk.paths
    assert pgpass.index in prefilter.candidates(PGPASS)  # None: every scoped rule
    assert pgpass.index in prefilter.candidates(PGPASS, {pgpass.index})
    assert pgpass.index not in prefilter.candidates(PGPASS, frozenset())
    # each scoped rule has its own database: asking for another does not scan for this one
    assert pgpass.index not in prefilter.candidates(PGPASS, {psk.index})
    key = "aws_access_key_id=AKIA2XC4UBRBH7P3FLM6\n"
    assert prefilter.candidates(key, frozenset()) == prefilter.candidates(key)


def test_scoped_rules_find_what_they_found(matcher: Matcher) -> None:
    pgpass = RULES.get("postgres.pgpass-file")
    assert pgpass is not None
    assert matcher.scoped_rules("home/deploy/.pgpass") == {pgpass.index}
    assert not matcher.scoped_rules("notes.txt")
    at_path = secrets_of(scan_text(matcher, PGPASS, "home/deploy/.pgpass"), "postgres.pgpass-file")
    assert at_path == {"Lk9Wq4Zr2Tz5Nv8Q"}
    assert not scan_text(matcher, PGPASS, "notes.txt")
    assert matcher.scoped_rules("home/deploy/.pgpass")  # the last path remembered, not kept


def _per_line(prefilter: HyperscanPrefilter, text: str) -> frozenset[int]:
    """The lines the main database names a trigger in, asked line by line."""
    n = len(RULES)
    return frozenset(
        i
        for i, line in enumerate(text.split("\n"))
        if any(j >= n for j in prefilter.candidates(line))
    )


def _pieces(matcher: Matcher) -> list[str]:
    triggers = _prefilter(matcher).trigger_texts(range(12))
    assert triggers
    return [*triggers, *(t.swapcase() for t in triggers), "\n", "\n", " ", "x=", "é", "Zm9v"]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_trigger_lines_are_the_lines_the_main_database_names(
    matcher: Matcher, data: st.DataObject
) -> None:
    text = "".join(data.draw(st.lists(st.sampled_from(_pieces(matcher)), max_size=40)))
    prefilter = _prefilter(matcher)
    assert prefilter.trigger_lines(text) == _per_line(prefilter, text)


def test_too_many_triggers_leave_it_to_the_caller(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefilter = _prefilter(matcher)
    trigger = _pieces(matcher)[0]
    text = f"{trigger}\n" * 5
    assert prefilter.trigger_lines(text) == frozenset(range(5))
    monkeypatch.setattr(hsprefilter, "TRIGGER_LIMIT", 3)
    assert prefilter.trigger_lines(text) is None


def test_trigger_lines_survive_pickling_and_the_cache(matcher: Matcher, tmp_path: Path) -> None:
    prefilter = _prefilter(matcher)
    text = f"a\n{_pieces(matcher)[0]}\nb"
    assert prefilter.trigger_lines(text) == {1}
    copy = pickle.loads(pickle.dumps(prefilter))
    assert copy.trigger_lines(text) == {1}
    first = _prefilter(build(RULES, "hyperscan", tmp_path))
    assert not list(tmp_path.glob("hs-triggers-*.kgc"))  # compiled on first use
    assert first.trigger_lines(text) == {1}
    (entry,) = tmp_path.glob("hs-triggers-*.kgc")
    again = _prefilter(build(RULES, "hyperscan", tmp_path))
    assert again.trigger_lines(text) == {1}
    entry.write_bytes(entry.read_bytes()[:-40] + b"\0" * 40)  # damaged: compiled anew
    assert _prefilter(build(RULES, "hyperscan", tmp_path)).trigger_lines(text) == {1}


def test_too_many_regions_leave_it_to_the_caller(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefilter = _prefilter(matcher)
    text = 'widget_api_key = "Wm5Qx8Tz2Lk7Rv4Nb9PcFAKE"\n' * 3
    assert prefilter.locate(text)
    monkeypatch.setattr(hsprefilter, "LOCATE_LIMIT", 2)
    assert prefilter.locate(text) is None  # the scan stopped: unknown, not an error
