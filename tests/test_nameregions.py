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
from scanner.nameregions import REGION_MEMO, RegionMemo, decisive_span, located_verdicts
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
    refused = refusal(text)
    kept, known = located_verdicts(text, KEYWORDS, refused, refused, memo, 7, [(start, end)])
    return kept, [known[pos] for pos in kept]


@pytest.mark.parametrize(
    ("text", "region", "decisive"),
    [
        ("ts=1 token_type=bearer next", "token_type=bearer ", "token_type=be"),
        ('"oauth2", "token_type": "b"', 'auth2", "token_type"', 'oauth2", "token_type": '),
        ("x session_key=abc", "key=abc", "session_key=ab"),  # the value is not part of it
        ("x session_key=a", "key=a", "session_key=a"),  # the text ends first
        ("api_key_id=key_1 q", "api_key_id=key_", "api_key_id=key_1 q"),  # a keyword in the value
    ],
)
def test_decisive_span_runs_over_the_names_of_the_keywords_in_the_region(
    text: str, region: str, decisive: str
) -> None:
    start = text.index(region)
    found = _keyword_positions(region.lower(), KEYWORDS)
    span = decisive_span(text, start, start + found[-1])
    assert span is not None
    assert text[span[0] : span[1]] == decisive


def test_decisive_span_gives_up_on_a_call() -> None:
    assert decisive_span("token=x   call(1)", 0, 0) == (0, 8)  # the "(" is past what counts
    text = 'AuthClient(token="x") key=1'
    assert decisive_span(text, 0, 0) is None  # ``AuthClient(token=``: the call decides
    assert decisive_span(text, 11, 11) == (11, 19)  # the argument's own name: ``token="x``
    assert decisive_span(text, 22, 22) == (22, 27)  # ``key=1``


PIECES = ["key", "token", "_", "a", "x1", "=", ":", "(", "(a=", ")", " ", '"', "'", ".", "-", "\n"]
texts = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)
# what may follow a name: a value without keywords
values = st.lists(st.sampled_from([p for p in PIECES if p not in KEYWORDS]), max_size=25).map(
    "".join
)


@settings(max_examples=400, deadline=None)
@given(texts, st.sampled_from(KEYWORDS), texts, texts, values, st.data())
def test_equal_decisive_characters_give_equal_verdicts(
    head: str, keyword: str, tail: str, before: str, after: str, data: st.DataObject
) -> None:
    text = head + keyword + tail
    start = data.draw(st.sampled_from(_keyword_positions(text.lower(), KEYWORDS)))
    first_keyword = next(k for k in KEYWORDS if text.startswith(k, start))
    end = data.draw(st.integers(start + len(first_keyword), len(text)))
    found = _keyword_positions(text[start:end].lower(), KEYWORDS)
    span = decisive_span(text, start, start + found[-1])
    assume(span is not None)
    assert span is not None
    lo, hi = span
    # the same decisive characters in other surroundings (a name does not run on into them)
    other = before + " " + text[lo:hi] + after
    shift = len(before) + 1 - lo
    other_span = decisive_span(other, start + shift, start + shift + found[-1])
    assume(other_span == (lo + shift, hi + shift))  # not when the text ended the name
    # a region there with the same keywords, which may end elsewhere (another value)
    other_end = data.draw(st.integers(min(end, hi) + shift, len(other)))
    assume(_keyword_positions(other[start + shift : other_end].lower(), KEYWORDS) == found)
    memo: RegionMemo = {}
    first = verdicts(text, start, end, memo)
    assert first == fresh(text, start, end)
    assert [key[3] for key in memo] == [text[lo:hi]]  # remembered by its decisive characters
    again = verdicts(other, start + shift, other_end, memo)  # from the memo
    assert len(memo) == 1
    assert again == fresh(other, start + shift, other_end)


def test_the_memo_is_bounded() -> None:
    memo: RegionMemo = {}
    for i in range(REGION_MEMO + 10):
        text = f"token_{i}=x "
        verdicts(text, 0, len(text), memo)
        assert len(memo) <= REGION_MEMO


def test_the_value_after_a_name_is_not_part_of_the_key() -> None:
    """``cache_key=orders:9001`` and ``cache_key=orders:42``: one entry."""
    memo: RegionMemo = {}
    for i in range(50):
        text = f"ts={i} cache_key=orders:{i * 7919}:v2 hit=false"
        start = text.index("key")
        assert verdicts(text, start, text.index(" hit"), memo) == fresh(
            text, start, text.index(" hit")
        )
    assert len(memo) == 1
