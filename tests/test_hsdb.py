"""The prefilter's database compile (``scanner.hsdb.compile_rules``): a pattern Hyperscan
refuses as it is gets its approximation or its keywords, whether it is one of the large
patterns tried alone first or a small one found only when the set still does not compile."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.hsdb import LARGE_PATTERN, compile_rules
from scanner.hsform import hyperscan_form
from scanner.rulebook.compile import Ruleset
from scanner.rulebook.loader import load_specs
from testing.rules import rule_toml

hs = pytest.importorskip("hyperscan", reason="the fast extra is not installed")

TOO_LARGE = (Path(__file__).parent / "rulebook" / "too_large_pattern.txt").read_text().strip()


def _too_large_form(tmp_path: Path) -> bytes:
    rules = tmp_path / "pack.toml"
    rules.write_text(
        rule_toml(
            "acme.big",
            TOO_LARGE.replace("snyk", "acme"),
            keywords=["acme"],
            examples=["ACME_TOKEN=5c0e9a71-d3f2-4b86-a1e4-7f29c08b3d56"],
            negatives=["ACME_TOKEN=not-a-uuid"],
        )
    )
    return hyperscan_form(Ruleset.from_specs(load_specs([rules])).rules[0].spec)


def _matches(db: object, text: bytes) -> list[int]:
    hits: list[int] = []
    db.scan(text, match_event_handler=lambda i, *_: hits.append(i))  # type: ignore[attr-defined]
    return sorted(hits)


def test_a_set_that_compiles_approximates_nothing() -> None:
    db, approximated = compile_rules(hs, [(0, b"acme_[a-z]{4}", ["acme_"])], [(1, b"hello")])
    assert approximated == frozenset()
    assert _matches(db, b"say hello to acme_abcd") == [0, 1]


def test_a_large_refused_pattern_is_approximated_and_the_rest_kept_as_they_are(
    tmp_path: Path,
) -> None:
    big = _too_large_form(tmp_path)
    assert len(big) >= LARGE_PATTERN  # tried alone first, not after a second failed compile
    patterns = [(0, b"acme_[a-z]{4}", ["acme_"]), (1, big, ["acme"])]
    db, approximated = compile_rules(hs, patterns, [(2, b"hello")])
    assert approximated == {1}
    assert _matches(db, b"acme_abcd hello") == [0, 2]


def test_a_small_refused_pattern_is_found_when_the_set_still_does_not_compile() -> None:
    # a back-reference: short, refused as it is, taken in Hyperscan's approximate mode
    patterns = [(0, b"acme_[a-z]{4}", ["acme_"]), (1, b"(zq)x\\1", ["zqx"])]
    db, approximated = compile_rules(hs, patterns)
    assert approximated == {1}
    assert _matches(db, b"acme_abcd") == [0]
    assert _matches(db, b"a zqxzq here") == [1]


def test_a_pattern_refused_in_every_form_falls_back_to_its_keywords() -> None:
    # a recursive group: refused as it is and in the approximate mode
    patterns = [(0, b"acme_[a-z]{4}", ["acme_"]), (1, b"q(?R)?zx", ["qzx"])]
    db, approximated = compile_rules(hs, patterns)
    assert approximated == {1}
    assert _matches(db, b"a QZX here") == [1]  # the keyword, caseless, stands in for it


def test_every_builtin_pattern_compiles_as_it_is(auto_matcher: object) -> None:
    """One compile builds the built-in database (a minute on a first run); a pattern that
    needed the fallback would add one more compile and the large patterns tried alone."""
    from scanner.prefilter import HyperscanPrefilter

    prefilter = auto_matcher.prefilter  # type: ignore[attr-defined]
    assert isinstance(prefilter, HyperscanPrefilter)
    assert prefilter.approximated == frozenset()
