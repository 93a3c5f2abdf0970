"""Name verdicts of a keyword-anchored generic rule, a located region at a time, remembered by
the characters that decide them.

``confirm._confirm`` turns a match down by its setting name alone (``cache_key``,
``token_type``: its ``refused``) before the rule's regex runs there. Log lines repeat the same
few located regions on every line (``"oauth2", "token_type": ``, ``auth_method=oauth2 ``), and
the verdicts of all the keywords inside a region depend only on the characters around it that
``decisive_span`` delimits, so they are remembered by those characters in a bounded memo that
only saves work (the memo lives as long as its matcher, in memory only).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from scanner.namespan import NAME_CHARS, NAME_LIMIT
from scanner.windows import _keyword_positions, _useful

REGION_MEMO = 4096
"""Regions remembered per matcher; the memo starts again when full."""

RegionMemo = dict[tuple[int, int, int, str], tuple[tuple[int, ...], tuple[bool, ...]]]
"""(rule index, region start and end in the key text, key text) -> (the offsets in the region
of the keywords ``windows._useful`` keeps, their verdicts)."""


def decisive_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of ``text`` that decides the name verdict of every keyword inside the region
    ``start:end``, or None when it holds a ``(``.

    A verdict depends on the name around the keyword (``assignsyntax.name_span``: name
    characters, at most ``NAME_LIMIT`` on either side) and on the three characters after the
    name (a ``(`` there may open a call whose keyword argument names the value:
    ``opens_keyword_argument``). So the span runs from where the name around ``start`` begins
    to three characters after the name that ``end`` cuts through (two after ``end`` when it
    cuts none). A ``(`` inside leaves the verdicts to depend on more: no span."""
    lo = start
    while lo > 0 and start - lo < NAME_LIMIT and text[lo - 1] in NAME_CHARS:
        lo -= 1
    last = end - 1  # where the last name inside the region ends at the latest
    if start < end and text[end - 1 : end] in NAME_CHARS:
        last = end
        while last < len(text) and last - end < NAME_LIMIT and text[last] in NAME_CHARS:
            last += 1
    hi = min(len(text), last + 3)
    if "(" in text[lo:hi]:
        return None
    return lo, hi


def region_verdicts(
    text: str,
    keywords: tuple[str, ...],
    refused: Callable[[int], bool],
    memo: RegionMemo,
    tag: int,
    start: int,
    end: int,
) -> tuple[Sequence[int], Sequence[bool]]:
    """The positions of ``keywords`` inside the region ``start:end`` of ASCII ``text`` that
    ``windows._useful`` keeps and ``refused`` at each, from ``memo`` when the region's decisive
    characters were seen before (``tag``: the rule whose keywords and verdicts these are)."""
    span = decisive_span(text, start, end)
    key = None
    if span is not None:
        lo, hi = span
        key = (tag, start - lo, end - lo, text[lo:hi])
        known = memo.get(key)
        if known is not None:
            kept, verdicts = known
            return [start + off for off in kept] if kept else kept, verdicts
    found = _keyword_positions(text[start:end].lower(), keywords)
    every = [refused(start + off) for off in found]
    kept = tuple(_useful(found, every))
    verdicts = tuple(every[: len(kept)])
    if key is not None:
        if len(memo) >= REGION_MEMO:
            memo.clear()
        memo[key] = (kept, verdicts)
    return [start + off for off in kept], verdicts
