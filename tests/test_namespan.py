"""namespan: the run of name characters around a position, and the setting name it holds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.namespan import NAME_CHARS, name_bounds, name_span


@pytest.mark.parametrize(
    ("text", "pos", "bounds"),
    [
        ("db_password = x", 3, (0, 11)),
        ("export MISTRAL_API_KEY=abc", 10, (7, 22)),
        ("run --db-password x", 9, (4, 17)),
        ("acme.apiToken: 1", 0, (0, 13)),
        ("password.", 2, (0, 9)),  # the dot is a name character here
        ("", 0, (0, 0)),
        (" = ", 1, (1, 1)),  # not on a name
    ],
)
def test_name_bounds(text: str, pos: int, bounds: tuple[int, int]) -> None:
    assert name_bounds(text, pos) == bounds


def test_name_bounds_reach_at_most_limit_to_each_side() -> None:
    text = "a" * 100
    assert name_bounds(text, 50, limit=10) == (40, 60)
    assert name_bounds(text, 5, limit=10) == (0, 15)


@pytest.mark.parametrize(
    ("text", "pos", "span"),
    [
        ("password. ", 2, (0, 8)),
        ("key- x", 0, (0, 3)),
        ("db_password = x", 3, (0, 11)),
        ("x.-.", 0, (0, 1)),
        (".-", 0, (0, 0)),  # never past ``pos``
    ],
)
def test_name_span_drops_a_trailing_dot_or_dash(text: str, pos: int, span: tuple[int, int]) -> None:
    assert name_span(text, pos) == span


def test_name_chars() -> None:
    assert set("azAZ09_.-") <= NAME_CHARS
    assert not NAME_CHARS & set(" =:\"'`/$@\n")


def _bounds_char_by_char(text: str, pos: int, limit: int) -> tuple[int, int]:
    """The reference: the run walked a character at a time."""
    lo = pos
    while lo > 0 and pos - lo < limit and text[lo - 1] in NAME_CHARS:
        lo -= 1
    hi = pos
    while hi < len(text) and hi - pos < limit and text[hi] in NAME_CHARS:
        hi += 1
    return lo, hi


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aZ9_.- =:(é\n", max_size=80), st.data(), st.integers(1, 70))
def test_name_bounds_are_the_run_walked_a_character_at_a_time(
    text: str, data: st.DataObject, limit: int
) -> None:
    pos = data.draw(st.integers(0, len(text)))
    assert name_bounds(text, pos, limit) == _bounds_char_by_char(text, pos, limit)
