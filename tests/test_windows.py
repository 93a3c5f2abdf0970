"""Window selection (``scanner.windows``): keyword positions, the windows around them, merging,
region filtering, lazy lowercasing, and that searching only the windows finds what a search of
the whole text finds."""

from __future__ import annotations

import zlib
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.nameregions import RegionMemo, located_verdicts
from scanner.namespan import name_span
from scanner.rulebook.compile import CompiledRule, Ruleset
from scanner.rulebook.schema import parse_rule
from scanner.windows import (
    _anchored_matches,
    _dense,
    _inside,
    _iter_rule_matches,
    _keyword_positions,
    _keyword_positions_in,
    _located_matches,
    _Lowered,
    _merge,
    _merge_in_order,
    _useful,
    _verdicts_from,
    _windows,
)

Span = tuple[int, int]


def compiled(pattern: str, keywords: list[str], **extra: object) -> CompiledRule:
    entry = {
        "id": "kgwin.token",
        "name": "Window test token",
        "description": "A synthetic rule for the window tests.",
        "keywords": keywords,
        "pattern": pattern,
        "examples": ["kgw_example1"],
        "negative_examples": ["kgw_"],
        **extra,
    }
    return Ruleset.from_specs([parse_rule(entry, "test_windows", 0)]).rules[0]


TOKEN_RULE = compiled(r"kgw_[a-z0-9]{6,12}", ["kgw_"], window=16)
ANCHORED_RULE = compiled(r"[a-z]*kgw_[a-z0-9_]{6,12}", ["kgw_"], window=32, anchor="keyword")


def spans(rule: CompiledRule, text: str, regions: list[Span] | None = None) -> list[Span]:
    return [m.span() for m in _iter_rule_matches(rule, text, text.lower(), regions)]


def whole(rule: CompiledRule, text: str) -> list[Span]:
    return [m.span() for m in rule.regex.finditer(text)]


# --- keyword positions --------------------------------------------------------------------------


def test_keyword_positions_overlapping_and_sorted_across_keywords() -> None:
    assert _keyword_positions("aaaa", ("aa",)) == [0, 1, 2]
    assert _keyword_positions("tok key tok", ("tok", "key")) == [0, 4, 8]


@pytest.mark.parametrize(
    ("text", "keywords"), [("", ("kw",)), ("no match here", ("kw",)), ("x", ())]
)
def test_keyword_positions_empty(text: str, keywords: tuple[str, ...]) -> None:
    assert _keyword_positions(text, keywords) == []


def test_keyword_positions_in_needs_the_whole_keyword_inside_a_region() -> None:
    text = "kw..kw..kw"
    assert _keyword_positions_in(text, ("kw",), [(0, 2), (8, 10)]) == [0, 8]
    assert _keyword_positions_in(text, ("kw",), [(0, 1), (5, 9)]) == []  # cut through
    assert _keyword_positions_in(text, ("kw",), []) == []


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(alphabet="ab", max_size=40),
    cuts=st.lists(st.integers(0, 40), max_size=8),
)
def test_keyword_positions_in_is_filtering_by_regions(text: str, cuts: list[int]) -> None:
    points = sorted(set(cuts))
    regions = [(s, e) for s, e in zip(points[::2], points[1::2], strict=False) if s < e]
    keywords = ("ab", "ba")
    expected = [
        p
        for kw in keywords
        for p in range(len(text))
        if text.startswith(kw, p) and any(s <= p and p + len(kw) <= e for s, e in regions)
    ]
    assert _keyword_positions_in(text, keywords, regions) == sorted(expected)


# --- windows and merging ------------------------------------------------------------------------


def test_merge_in_order_joins_overlapping_and_touching_spans_only() -> None:
    assert _merge_in_order([]) == []
    assert _merge_in_order(iter([(0, 5), (3, 8), (8, 9), (10, 12)])) == [(0, 9), (10, 12)]
    assert _merge_in_order([(0, 10), (2, 4)]) == [(0, 10)]  # a span inside the last one


def test_windows_empty() -> None:
    assert _windows([], 10, 10, 100) == []


def test_windows_clamped_at_file_start_and_end() -> None:
    assert _windows([3], 10, 20, 100) == [(0, 23)]
    assert _windows([95], 10, 20, 100) == [(85, 100)]
    assert _windows([0], 5, 5, 3) == [(0, 3)]


def test_windows_overlapping_and_touching_merge_disjoint_do_not() -> None:
    assert _windows([10, 15], 5, 5, 100) == [(5, 20)]  # overlap
    assert _windows([10, 20], 5, 5, 100) == [(5, 25)]  # touch: 15 == 15
    assert _windows([10, 21], 5, 5, 100) == [(5, 15), (16, 26)]  # one apart
    assert _windows([10, 11, 12, 50], 2, 3, 100) == [(8, 15), (48, 53)]


def test_windows_keep_the_farther_end_when_a_window_is_inside_the_last() -> None:
    # asymmetric windows: the second ends before the first when back > forward
    assert _windows([10, 11], 0, 30, 100) == [(10, 41)]
    assert _windows([40, 41], 30, 1, 100) == [(10, 42)]


@pytest.mark.parametrize(
    ("given_spans", "merged"),
    [
        ([], []),
        ([(5, 9)], [(5, 9)]),
        ([(20, 30), (0, 5)], [(0, 5), (20, 30)]),  # unsorted input
        ([(0, 10), (2, 3)], [(0, 10)]),  # nested
        ([(0, 5), (5, 8)], [(0, 8)]),  # touching
        ([(0, 5), (6, 8)], [(0, 5), (6, 8)]),  # a gap of one
        ([(3, 7), (3, 7)], [(3, 7)]),  # duplicate
        ([(4, 4), (4, 9)], [(4, 9)]),  # empty span at a boundary
    ],
)
def test_merge(given_spans: list[Span], merged: list[Span]) -> None:
    assert _merge(given_spans) == merged


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 20)), max_size=10))
def test_merge_is_sorted_disjoint_and_covers_the_same_points(starts: list[tuple[int, int]]) -> None:
    given_spans = [(s, s + n) for s, n in starts]
    merged = _merge(given_spans)
    assert all(a[1] < b[0] for a, b in zip(merged, merged[1:], strict=False))
    points = {p for s, e in given_spans for p in range(s, e)}
    assert points == {p for s, e in merged for p in range(s, e)}


# --- inside -------------------------------------------------------------------------------------


def test_inside_boundaries() -> None:
    regions = [(10, 20), (30, 40)]
    positions = [0, 9, 10, 19, 20, 25, 30, 39, 40, 100]
    assert _inside(positions, regions) == [10, 19, 30, 39]


def test_inside_empty_inputs() -> None:
    assert _inside([], [(0, 10)]) == []
    assert _inside([1, 2, 3], []) == []


@settings(max_examples=150, deadline=None)
@given(
    positions=st.lists(st.integers(0, 60), max_size=12),
    starts=st.lists(st.tuples(st.integers(0, 50), st.integers(1, 10)), max_size=6),
)
def test_inside_agrees_with_a_linear_check(
    positions: list[int], starts: list[tuple[int, int]]
) -> None:
    regions = _merge([(s, s + n) for s, n in starts])
    expected = [p for p in positions if any(s <= p < e for s, e in regions)]
    assert _inside(positions, regions) == expected


# --- lazy lowercasing ---------------------------------------------------------------------------


def test_lowered_ascii_and_offset_shifting_text() -> None:
    assert _Lowered("AbC").get() == "abc"
    assert _Lowered("ÄBC").get() == "äbc"  # non-ASCII, same length: usable
    shifting = "\u0130X"  # capital I with dot lowercases to two characters
    assert len(shifting.lower()) != len(shifting)
    assert _Lowered(shifting).get() is None
    assert _Lowered(shifting).positions_in(("x",), [(0, 2)]) is None
    # an İ outside the regions: each region is lowercased in place
    assert _Lowered(shifting + " KW").positions_in(("kw",), [(3, 5)]) == [3]


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="aKk_\u212a\u0130\u03a3\u00c4\u00df x", max_size=40),
    st.lists(st.integers(0, 40), max_size=6),
)
def test_lowered_regions_find_what_the_whole_text_lowercased_finds(
    text: str, cuts: list[int]
) -> None:
    # Kelvin sign (lowercases to ASCII k), dotted I (lowercases to two), final sigma
    ends = sorted(min(c, len(text)) for c in cuts)
    regions = _merge(list(zip(ends[0::2], ends[1::2], strict=False)))
    keywords = ("kk", "k_", "a")
    whole = text.lower()
    if len(whole) == len(text):
        expected = _keyword_positions_in(whole, keywords, regions)
    elif any("\u0130" in text[s:e] for s, e in regions):
        expected = None  # a region itself shifts
    else:  # an İ elsewhere: each region lowercased in place
        expected = sorted(
            s + p
            for s, e in regions
            for kw in keywords
            for p in range(e - s)
            if text[s:e].lower().startswith(kw, p)
        )
    assert _Lowered(text).positions_in(keywords, regions) == expected


def test_lowered_non_ascii_text_is_lowercased_only_in_its_regions() -> None:
    text = "caf\u00e9 " * 1000 + "KW=1 " + "\u00e9t\u00e9 " * 1000
    start = text.index("KW")
    lowered = _Lowered(text)
    assert lowered.positions_in(("kw",), [(start - 3, start + 6)]) == [start]
    assert lowered._done is False  # the whole text was never lowercased
    # a non-ASCII keyword is searched in the whole text lowercased, as before
    other = _Lowered("\u00c9T\u00c9 kw")
    assert other.positions_in(("\u00e9t\u00e9",), [(0, 6)]) == [0]
    assert other._done is True


def test_lowered_positions_in_matches_the_full_lowercase_search() -> None:
    text = "x KW y kw z Kw"
    regions = [(0, 5), (9, 14)]
    expected = _keyword_positions_in(text.lower(), ("kw",), regions)
    assert expected == [2, 12]
    assert _Lowered(text).positions_in(("kw",), regions) == expected
    lowered = _Lowered(text)
    lowered.get()  # once lowercased, the cached text is searched
    assert lowered.positions_in(("kw",), regions) == expected
    assert _Lowered("é KW").positions_in(("kw",), [(0, 4)]) == [2]


# --- rule matches: searching windows finds what searching everything finds ---------------------


def test_matches_near_far_apart_keywords() -> None:
    first, second = "kgw_abc123", "kgw_zz99yy88"
    text = f"{first}{' ' * 300}{second}{' ' * 300}"
    assert spans(TOKEN_RULE, text) == whole(TOKEN_RULE, text)
    assert len(spans(TOKEN_RULE, text)) == 2


def test_matches_at_file_start_and_end() -> None:
    text = "kgw_start1" + "." * 100 + "kgw_theend9"
    assert spans(TOKEN_RULE, text) == [(0, 10), (110, 121)]


def test_no_keyword_no_match() -> None:
    assert spans(TOKEN_RULE, "nothing here " * 20) == []
    assert spans(TOKEN_RULE, "") == []


def test_dense_keywords_search_the_whole_text() -> None:
    """A keyword a window apart or closer on average: the text is searched whole, without
    listing the keywords (the same matches as the windows would give)."""
    assert _dense("kgw_ " * 10, ("kgw_",), 16)  # 10 keywords in 50 characters
    assert not _dense("kgw_" + " " * 100 + "kgw_", ("kgw_",), 16)
    assert not _dense("", ("kgw_",), 16)
    text = "kgw_abc123 kgw_ kgw_ " * 20 + " " * 300 + "kgw_zz99yy88"
    assert spans(TOKEN_RULE, text) == whole(TOKEN_RULE, text)
    assert len(spans(TOKEN_RULE, text)) == 21


def test_regions_narrow_the_search() -> None:
    text = "kgw_aaaaaa1" + " " * 100 + "kgw_bbbbbb2"
    assert spans(TOKEN_RULE, text, [(0, 11)]) == [(0, 11)]
    assert spans(TOKEN_RULE, text, [(111, 122)]) == [(111, 122)]
    assert spans(TOKEN_RULE, text, [(111, 122), (0, 11)]) == [(0, 11), (111, 122)]


def test_a_located_rule_searches_only_the_windows_of_keywords_inside_its_regions() -> None:
    """Located, a rule is searched around the keywords inside its located regions only, even
    where its keywords are dense (unlocated, that text is searched whole)."""
    filler = "kgw_ " * 40
    text = filler + "kgw_abc123" + filler + "kgw_zz99yy88" + filler
    assert _dense(text.lower(), ("kgw_",), 16)
    inside = [(m.start(), m.end()) for m in TOKEN_RULE.regex.finditer(text)]
    assert spans(TOKEN_RULE, text, inside) == whole(TOKEN_RULE, text) == inside
    assert spans(TOKEN_RULE, text, inside[:1]) == inside[:1]  # the other one was not located


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["kgw_", "kgw_ab12cd", "kgw_9", " ", "x", "\n"]), max_size=60))
def test_located_by_its_matches_a_rule_finds_what_the_whole_text_search_finds(
    parts: list[str],
) -> None:
    text = "".join(parts)
    regions = [m.span() for m in TOKEN_RULE.regex.finditer(text)]
    assert spans(TOKEN_RULE, text, regions) == whole(TOKEN_RULE, text)


def test_non_ascii_text_that_shifts_offsets_is_searched_whole() -> None:
    text = "\u0130" * 3 + " kgw_abcdef1"
    assert _Lowered(text).get() is None
    found = [m.span() for m in _iter_rule_matches(TOKEN_RULE, text, _Lowered(text))]
    assert found == whole(TOKEN_RULE, text) == [(4, 15)]


def test_anchored_rule_matches_only_at_keywords_without_overlap() -> None:
    text = "abckgw_kgw_abcdef xkgw_123456"
    # unanchored, the regex starts before the keyword
    assert [text[s:e] for s, e in whole(ANCHORED_RULE, text)] == [
        "abckgw_kgw_abcdef",
        "xkgw_123456",
    ]
    # anchored: at each keyword; the match at the second keyword overlaps the first's: dropped
    found = [text[s:e] for s, e in spans(ANCHORED_RULE, text)]
    assert found == ["kgw_kgw_abcdef", "kgw_123456"]
    lowered = _Lowered(text)
    via_regions = [m.span() for m in _iter_rule_matches(ANCHORED_RULE, text, lowered, [(0, 29)])]
    assert via_regions == spans(ANCHORED_RULE, text)
    assert [m.span() for m in _iter_rule_matches(ANCHORED_RULE, text, lowered, [(18, 29)])] == [
        (19, 29)
    ]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["kgw_", "KGW_", "abc123", "x", " ", "\n", "-" * 40]), max_size=30))
def test_window_search_equals_whole_text_search(parts: list[str]) -> None:
    text = "".join(parts)
    expected = whole(TOKEN_RULE, text)
    assert spans(TOKEN_RULE, text) == expected
    assert [m.span() for m in _iter_rule_matches(TOKEN_RULE, text, _Lowered(text))] == expected
    if expected:  # regions as the Hyperscan locator reports them: each match's span
        regions = [(s, e) for s, e in expected]
        assert spans(TOKEN_RULE, text, regions) == expected


def test_an_anchored_rule_shares_one_time_limit_over_all_its_keywords(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each try at a keyword once had its own ``REGEX_TIMEOUT``: a hostile line of 300,000
    keywords took minutes. All tries on a text now share one limit: with a clock that moves a
    second per reading, a 10-second limit stops the rule within a dozen keywords."""
    import scanner.windows as windows

    clock = iter(range(1_000_000))
    monkeypatch.setattr(windows.time, "monotonic", lambda: float(next(clock)))
    monkeypatch.setattr(windows, "REGEX_TIMEOUT", 10.0)
    text = "kgw_x " * 1000  # a thousand keywords, no match at any
    tried = []
    with pytest.raises(TimeoutError):
        for m in windows._anchored_matches(ANCHORED_RULE, text, [i * 6 for i in range(1000)]):
            tried.append(m)
    assert next(clock) < 30  # stopped early, not after a thousand tries
    assert tried == []


# --- located anchored matching: turned-down keywords at the end of a region are not tried -------


def test_useful_keeps_up_to_the_last_position_not_turned_down() -> None:
    assert _useful([3, 5, 9], [True, False, True]) == [3, 5]
    assert _useful([3, 5], [False, False]) == [3, 5]
    assert list(_useful([3, 5], [True, True])) == []
    assert list(_useful([], [])) == []


def _located_regions(text: str) -> tuple[list[int], list[tuple[int, int]], list[tuple[int, int]]]:
    """The keyword positions of ``text``, the spans a locator would report (each keyword and
    every match of the anchored rule at it), and those spans merged into regions."""
    positions = _keyword_positions(text.lower(), ("kgw_",))
    window = ANCHORED_RULE.spec.window
    spans = [(p, p + 4) for p in positions]
    for p in positions:
        m = ANCHORED_RULE.regex.match(text, p, min(len(text), p + window))
        if m is not None:
            spans.append(m.span())
    return positions, spans, _merge(spans)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["kgw_", "kgw_abc123", "ab", "_9", " ", "\n", "-" * 20]), max_size=30),
    st.integers(0, 7),
)
def test_located_matches_are_those_of_every_position(parts: list[str], seed: int) -> None:
    """Regions as the locator reports them (every match at a keyword lies inside one); any
    verdicts: skipping the turned-down keywords at the end of each region changes nothing."""
    text = "".join(parts)
    positions, spans, regions = _located_regions(text)

    def refused(pos: int) -> bool:
        return (pos * 7 + seed) % 3 == 0

    expected = [m.span() for m in _anchored_matches(ANCHORED_RULE, text, positions, refused)]
    verdicts_in = _verdicts_from(positions, refused)
    got = [m.span() for m in _located_matches(ANCHORED_RULE, text, regions, verdicts_in)]
    assert got == expected
    lowered = _Lowered(text)
    via = [m.span() for m in _iter_rule_matches(ANCHORED_RULE, text, lowered, spans, refused)]
    assert via == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["kgw_", "kgw_abc123", "kgw_a=kgw_b", "ab", "_9", " ", "=", "\n"]),
        max_size=30,
    ),
    st.integers(0, 7),
)
def test_located_matches_decide_late_keywords_only_when_reached(
    parts: list[str], seed: int
) -> None:
    """Verdicts by name; a keyword after the first of its region whose name is not in memory
    is left undecided until reached: the same matches as deciding every keyword first."""
    text = "".join(parts)
    positions, spans, regions = _located_regions(text)

    def name_hash(pos: int) -> int:
        lo, hi = name_span(text, pos)
        return zlib.crc32(f"{seed}{text[lo:hi]}".encode())

    def refused(pos: int) -> bool:
        return name_hash(pos) % 3 == 0

    def remembered(pos: int) -> bool | None:
        return None if name_hash(pos) % 2 else refused(pos)

    expected = [m.span() for m in _anchored_matches(ANCHORED_RULE, text, positions, refused)]
    memo: RegionMemo = {}
    for _ in range(2):  # afresh, then from the memo
        verdicts_in = partial(located_verdicts, text, ("kgw_",), refused, remembered, memo, 1)
        got = _located_matches(ANCHORED_RULE, text, regions, verdicts_in, refused)
        assert [m.span() for m in got] == expected
