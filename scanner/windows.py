"""Where a rule is confirmed: keyword positions, the windows around them (merged), the
regions Hyperscan located, and the rule regex run only there."""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from scanner.rulebook.compile import CompiledRule

if TYPE_CHECKING:
    from regex import Match

REGEX_TIMEOUT = 10.0
"""Seconds one rule may spend on one text before the match is abandoned (reported)."""


def _keyword_positions(lowered: str, keywords: tuple[str, ...]) -> list[int]:
    positions: list[int] = []
    for kw in keywords:
        pos = lowered.find(kw)
        while pos != -1:
            positions.append(pos)
            pos = lowered.find(kw, pos + 1)
    positions.sort()
    return positions


def _keyword_positions_in(
    lowered: str, keywords: tuple[str, ...], regions: list[tuple[int, int]]
) -> list[int]:
    """Keyword positions inside ``regions`` (merged, sorted): the same as filtering
    ``_keyword_positions`` by them, without walking every occurrence in a large text."""
    positions: list[int] = []
    for start, end in regions:
        for kw in keywords:
            pos = lowered.find(kw, start, end)
            while pos != -1:
                positions.append(pos)
                pos = lowered.find(kw, pos + 1, end)
    positions.sort()
    return positions


def _dense(lowered: str, keywords: tuple[str, ...], window: int) -> bool:
    """Whether the keywords stand a ``window`` apart or closer on average: their windows would
    cover most of the text, which is then searched whole without listing them one by one (a
    log block holds hundreds of ``key`` and ``token``). Searching the windows or the whole
    text finds the same matches; this only saves building the windows."""
    enough = len(lowered) // max(window, 1) + 1
    hits = 0
    for kw in sorted(keywords, key=len):  # the short ones first: they are the frequent ones
        hits += lowered.count(kw)
        if hits >= enough:
            return True
    return False


def _merge_in_order(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` (in order of their starts) with overlapping or touching ones joined."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _windows(positions: list[int], back: int, forward: int, size: int) -> list[tuple[int, int]]:
    """Merged ``[pos - back, pos + forward)`` windows around keyword positions (sorted)."""
    return _merge_in_order((max(0, pos - back), min(size, pos + forward)) for pos in positions)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return _merge_in_order(sorted(spans))


def _inside(positions: list[int], regions: list[tuple[int, int]]) -> list[int]:
    starts = [s for s, _ in regions]
    out = []
    for pos in positions:
        i = bisect.bisect_right(starts, pos) - 1
        if i >= 0 and pos < regions[i][1]:
            out.append(pos)
    return out


_SHIFTS_OFFSETS = "\u0130"
"""The one character ``str.lower`` turns into two (``İ`` → ``i̇``); others keep their length."""


class _Lowered:
    """A chunk's text lowercased for keyword search, computed only when needed: rules located
    by Hyperscan lowercase just their regions."""

    __slots__ = ("_done", "_text", "_value")

    def __init__(self, text: str) -> None:
        self._text = text
        self._value: str | None = None
        self._done = False

    def get(self) -> str | None:
        """The lowercased text, or None when lowercasing shifts offsets (a few non-ASCII
        characters lowercase to two)."""
        if not self._done:
            lower = self._text.lower()
            self._value = lower if len(lower) == len(self._text) else None
            self._done = True
        return self._value

    def positions_in(
        self, keywords: tuple[str, ...], regions: list[tuple[int, int]]
    ) -> list[int] | None:
        """Keyword positions inside ``regions``; None when lowercasing a region shifts its
        offsets.

        Only the regions are lowercased when that finds what lowercasing them in place would:
        ASCII text, or ASCII keywords in regions without ``İ`` (every other character
        lowercases to one, in place; the one character whose lowercase depends on its
        neighbours, ``Σ``, lowercases to non-ASCII either way). An ``İ`` elsewhere in the text
        does not matter: a test module with one Turkish string is still searched by region."""
        text = self._text
        if self._done and self._value is not None:
            return _keyword_positions_in(self._value, keywords, regions)
        if not text.isascii() and not all(kw.isascii() for kw in keywords):
            lowered = self.get()
            return None if lowered is None else _keyword_positions_in(lowered, keywords, regions)
        positions: list[int] = []
        for start, end in regions:
            seg = text[start:end]
            if _SHIFTS_OFFSETS in seg:
                return None
            seg = seg.lower()
            for kw in keywords:
                pos = seg.find(kw)
                while pos != -1:
                    positions.append(start + pos)
                    pos = seg.find(kw, pos + 1)
        positions.sort()
        return positions


Refused = Callable[[int], bool]
"""Whether a keyword-anchored match starting at this offset would be turned down anyway (its
setting name is not a secret's): the rule's regex is then not run there."""


def _anchored_matches(
    rule: CompiledRule, text: str, positions: list[int], refused: Refused | None = None
) -> Iterator[Match[str]]:
    """Matches of a keyword-anchored rule starting at ``positions``, without overlaps (a
    position inside the last match is not tried: its match would start inside it). All the
    tries together get ``REGEX_TIMEOUT``, like one search of the whole text: a hostile line of
    300,000 keywords must not cost 300,000 separate time limits."""
    last_end = -1
    window = rule.spec.window
    regex = rule.regex
    size = len(text)
    deadline = time.monotonic() + REGEX_TIMEOUT
    for i, pos in enumerate(positions):
        if pos < last_end:
            continue
        turned_down = refused is not None and refused(pos)
        if turned_down and (i + 1 == len(positions) or positions[i + 1] >= pos + window):
            continue  # the match would be turned down and could hide no later keyword
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"rule {rule.id} ran out of time")
        m = regex.match(text, pos, min(size, pos + window), timeout=left)
        if m is not None and m.start() >= last_end:
            last_end = m.end()  # a turned-down match still hides the keywords inside it
            if not turned_down:
                yield m


RegionVerdicts = Callable[[list[tuple[int, int]]], tuple[list[int], dict[int, bool]]]
"""The keyword positions inside located regions (merged, in order) that ``_useful`` keeps, in
order, and for each whether its match would be turned down (``Refused``; a position left out
is decided when it is reached)."""


def _useful(positions: Sequence[int], turned_down: Sequence[bool]) -> Sequence[int]:
    """The positions of one located region up to its last one not ``turned_down``.

    Every match lies inside one located region, so a match at a later position could hide only
    later positions of its own region, which are turned down too: trying it yields nothing and
    changes nothing. On a log line whose names are all turned down (``token_type``,
    ``api_key_id``) the rule's regex is then not run at all."""
    for i in range(len(positions) - 1, -1, -1):
        if not turned_down[i]:
            return positions[: i + 1]
    return ()


def _located_matches(
    rule: CompiledRule,
    text: str,
    regions: list[tuple[int, int]],
    verdicts_in: RegionVerdicts,
    refused: Refused | None = None,
) -> Iterator[Match[str]]:
    """``_anchored_matches`` at the keywords inside located ``regions`` (merged) that
    ``_useful`` keeps (those ``verdicts_in`` leaves without a verdict: ``refused``)."""
    kept, known = verdicts_in(regions)
    if not kept:
        return
    if refused is None or len(known) == len(kept):
        yield from _anchored_matches(rule, text, kept, known.__getitem__)
        return
    decide = refused

    def verdict(pos: int) -> bool:
        found = known.get(pos)
        return decide(pos) if found is None else found

    yield from _anchored_matches(rule, text, kept, verdict)


def _verdicts_from(positions: list[int], refused: Refused) -> RegionVerdicts:
    """``RegionVerdicts`` over keyword ``positions`` already found (sorted)."""

    def verdicts_in(regions: list[tuple[int, int]]) -> tuple[list[int], dict[int, bool]]:
        kept: list[int] = []
        known: dict[int, bool] = {}
        for start, end in regions:
            lo, hi = bisect.bisect_left(positions, start), bisect.bisect_left(positions, end)
            found = positions[lo:hi]
            turned_down = [refused(pos) for pos in found]
            useful = _useful(found, turned_down)
            kept.extend(useful)
            known.update(zip(useful, turned_down, strict=False))
        return kept, known

    return verdicts_in


def _anchored_in(
    rule: CompiledRule,
    text: str,
    positions: list[int],
    regions: list[tuple[int, int]] | None,
    refused: Refused | None,
) -> Iterator[Match[str]]:
    if regions is None or refused is None:
        return _anchored_matches(rule, text, positions, refused)
    return _located_matches(rule, text, regions, _verdicts_from(positions, refused))


def _iter_rule_matches(
    rule: CompiledRule,
    text: str,
    lowered: str | None | _Lowered,
    regions: list[tuple[int, int]] | None = None,
    refused: Refused | None = None,
    regional: RegionVerdicts | None = None,
) -> Iterator[Match[str]]:
    """Matches of ``rule`` in ``text``, searched only near its keywords.

    Every match contains a keyword and is at most ``window`` characters long, so searching
    ``[keyword - window, keyword + window)`` finds it; anchored rules match *at* a keyword.
    ``regions`` (from the Hyperscan locator) narrow this further: every match lies inside one.
    ``refused``: offsets where an anchored match would be turned down (not tried);
    ``regional``: the same verdicts and the keyword positions, a region at a time (ASCII text).
    The result depends only on the text, never on which prefilter engine ran.
    """
    spec = rule.spec
    if not spec.keywords:  # a rule for files known by their path: the whole (small) text
        yield from rule.regex.finditer(text, timeout=REGEX_TIMEOUT)
        return
    merged = _merge(regions) if regions is not None else None
    if isinstance(lowered, _Lowered):
        if merged is not None:
            if spec.anchor_keyword and regional is not None and text.isascii():
                yield from _located_matches(rule, text, merged, regional, refused)
                return
            found = lowered.positions_in(spec.keywords, merged)
            if found is None:  # lowercasing shifts offsets; search everything
                yield from rule.regex.finditer(text, timeout=REGEX_TIMEOUT)
            else:
                yield from _around_located(rule, text, found, merged, refused)
            return
        low = lowered.get()
    else:
        low = lowered
    if low is None:  # non-ASCII: lowercasing may shift offsets; search everything
        yield from rule.regex.finditer(text, timeout=REGEX_TIMEOUT)
        return
    if merged is not None:
        positions = _keyword_positions_in(low, spec.keywords, merged)
        yield from _around_located(rule, text, positions, merged, refused)
        return
    if spec.anchor_keyword:
        yield from _anchored_in(rule, text, _keyword_positions(low, spec.keywords), None, refused)
        return
    if _dense(low, spec.keywords, spec.window):
        windows = [(0, len(text))]
    else:
        positions = _keyword_positions(low, spec.keywords)
        windows = _windows(positions, spec.window, spec.window, len(text))
        if sum(end - start for start, end in windows) > len(text) // 2:
            windows = [(0, len(text))]
    yield from _in_windows(rule, text, windows)


def _around_located(
    rule: CompiledRule,
    text: str,
    positions: list[int],
    merged: list[tuple[int, int]],
    refused: Refused | None,
) -> Iterator[Match[str]]:
    """Matches of a located rule at the keyword ``positions`` inside its located regions
    (``merged``): at each keyword for a keyword-anchored rule, else in the windows around them
    (every match holds one there), however dense they are."""
    if rule.spec.anchor_keyword:
        return _anchored_in(rule, text, positions, merged, refused)
    window = rule.spec.window
    return _in_windows(rule, text, _windows(positions, window, window, len(text)))


def _in_windows(
    rule: CompiledRule, text: str, windows: list[tuple[int, int]]
) -> Iterator[Match[str]]:
    for start, end in windows:
        yield from rule.regex.finditer(text, start, end, timeout=REGEX_TIMEOUT)
