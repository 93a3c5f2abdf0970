"""Name verdicts a located region at a time (``scanner.nameregions``): the decisive span holds
everything a verdict depends on, so verdicts remembered for one text are the ones computed
afresh for any text with the same decisive characters."""

from __future__ import annotations

import zlib
from collections.abc import Callable

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scanner.assignsyntax import name_span, opens_keyword_argument
from scanner.nameregions import REGION_MEMO, RegionMemo, decisive_span, region_verdicts
from scanner.windows import _keyword_positions

KEYWORDS = ("key", "token")


def refusal(text: str) -> Callable[[int], bool]:
    """A verdict that depends on what ``confirm``'s does: the name around the keyword and
    whether a call opens after it (``name_info``'s judgement stood in for by a checksum)."""

    def refused(pos: int) -> bool:
        lo, hi = name_span(text, pos)
        if opens_keyword_argument(text, hi):
            return False
        return zlib.crc32(text[lo:hi].encode()) % 3 != 0

    return refused


def fresh(text: str, start: int, end: int) -> tuple[list[int], list[bool]]:
    """The kept positions and verdicts computed without a memo, position by position."""
    found = [start + p for p in _keyword_positions(text[start:end].lower(), KEYWORDS)]
    verdicts = [refusal(text)(p) for p in found]
    while verdicts and verdicts[-1]:  # ``windows._useful``: up to the last one not turned down
        verdicts.pop()
    return found[: len(verdicts)], verdicts


def verdicts(text: str, start: int, end: int, memo: RegionMemo) -> tuple[list[int], list[bool]]:
    found, turned_down = region_verdicts(text, KEYWORDS, refusal(text), memo, 7, start, end)
    return list(found), list(turned_down)


@pytest.mark.parametrize(
    ("text", "region", "decisive"),
    [
        ("ts=1 token_type=bearer next", "token_type=bearer ", "token_type=bearer ne"),
        ('"oauth2", "token_type": "b"', 'auth2", "token_type"', 'oauth2", "token_type": '),
        ("x session_key=abc", "key=abc", "session_key=abc"),  # the name runs on to the text's end
        ("api_key_id=key_1 q", "api_key_id=key_", "api_key_id=key_1 q"),  # cut inside a name
    ],
)
def test_decisive_span_runs_over_the_names_the_region_touches(
    text: str, region: str, decisive: str
) -> None:
    start = text.index(region)
    span = decisive_span(text, start, start + len(region))
    assert span is not None
    assert text[span[0] : span[1]] == decisive


def test_decisive_span_gives_up_on_a_call() -> None:
    assert decisive_span("token=x   call(1)", 0, 8) == (0, 10)  # the "(" is past what counts
    text = 'AuthClient(token="x") key=1'
    assert decisive_span(text, 0, 10) is None  # ``AuthClient(token=``: the call decides
    assert decisive_span(text, 0, len(text)) is None


PIECES = ["key", "token", "_", "a", "x1", "=", ":", "(", "(a=", ")", " ", '"', "'", ".", "-", "\n"]
texts = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts, texts, texts, st.data())
def test_equal_decisive_characters_give_equal_verdicts(
    text: str, before: str, after: str, data: st.DataObject
) -> None:
    keywords = _keyword_positions(text.lower(), KEYWORDS)
    start = data.draw(st.sampled_from(keywords) if keywords else st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    span = decisive_span(text, start, end)
    assume(span is not None)
    assert span is not None
    lo, hi = span
    other = before + text[lo:hi] + after  # the same decisive characters, other surroundings
    shift = len(before) - lo
    other_span = decisive_span(other, start + shift, end + shift)
    assume(other_span == (lo + shift, hi + shift))
    memo: RegionMemo = {}
    first = verdicts(text, start, end, memo)
    assert first == fresh(text, start, end)
    again = verdicts(other, start + shift, end + shift, memo)  # from the memo
    assert len(memo) == 1
    assert again == fresh(other, start + shift, end + shift)


def test_the_memo_is_bounded() -> None:
    memo: RegionMemo = {}
    for i in range(REGION_MEMO + 10):
        text = f"token_{i}=x "
        verdicts(text, 0, len(text), memo)
        assert len(memo) <= REGION_MEMO
