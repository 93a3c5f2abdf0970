"""Name verdicts of a keyword-anchored generic rule, a located region at a time, remembered by
the characters that decide them.

``confirm._confirm`` turns a match down by its setting name alone (``cache_key``,
``token_type``: its ``refused``) before the rule's regex runs there. Log lines repeat the same
few names on every line (``"token_type": ``, ``key=user:42``, ``cache_key=orders:9001``), and
the verdicts of the keywords inside a region depend only on the characters around their names
that ``decisive_span`` delimits, not on the value after them, so they are remembered by those
characters (and the keywords' offsets) in a bounded memo that only saves work (the memo lives
as long as its matcher, in memory only).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import regex

from scanner.namespan import NAME_CHARS, NAME_LIMIT
from scanner.windows import _keyword_positions, _useful

REGION_MEMO = 4096
"""Regions remembered per matcher; the memo starts again when full."""

RegionMemo = dict[tuple[int, int, tuple[int, ...], str], tuple[bool, ...]]
"""(rule index, the region's start in the key text, the offsets in the region of its keywords,
key text) -> the verdicts of the keywords ``windows._useful`` keeps."""

# a run of ``namespan.NAME_CHARS`` (at most ``NAME_LIMIT``) ending where a match ends (the
# reversed pattern: ``namespan.name_bounds`` leftwards), and one starting where it starts
_NAME_RUN = f"[{re.escape(''.join(sorted(NAME_CHARS)))}]{{0,{NAME_LIMIT}}}"
_NAME_BEFORE = regex.compile("(?r)" + _NAME_RUN)
_NAME_AFTER = re.compile(_NAME_RUN)


def decisive_span(text: str, start: int, last: int) -> tuple[int, int] | None:
    """The span of ``text`` that decides the name verdicts of keywords found from ``start``
    to ``last`` (where the last of them starts), or None when it holds a ``(``.

    A verdict depends on the name around the keyword (``assignsyntax.name_span``: name
    characters, at most ``NAME_LIMIT`` on either side) and on the three characters after the
    name (a ``(`` there may open a call whose keyword argument names the value:
    ``opens_keyword_argument``). The names of keywords between ``start`` and ``last`` lie
    between the start of the name around ``start`` and the end of the name around ``last``,
    so the span runs from the one to three characters after the other. A ``(`` inside leaves
    the verdicts to depend on more: no span."""
    before = _NAME_BEFORE.match(text, max(0, start - NAME_LIMIT), start)
    after = _NAME_AFTER.match(text, last)
    lo = before.start() if before is not None else start
    hi = min(len(text), (after.end() if after is not None else last) + 3)
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
    ``windows._useful`` keeps and ``refused`` at each, from ``memo`` when the same keywords
    were seen before amid the same decisive characters (``tag``: the rule whose keywords and
    verdicts these are)."""
    found = _keyword_positions(text[start:end].lower(), keywords)
    if not found:
        return (), ()
    span = decisive_span(text, start, start + found[-1])
    key = None
    if span is not None:
        lo, hi = span
        key = (tag, start - lo, tuple(found), text[lo:hi])
        known = memo.get(key)
        if known is not None:
            return [start + off for off in found[: len(known)]], known
    every = [refused(start + off) for off in found]
    kept = _useful(found, every)
    verdicts = tuple(every[: len(kept)])
    if key is not None:
        if len(memo) >= REGION_MEMO:
            memo.clear()
        memo[key] = verdicts
    return [start + off for off in kept], verdicts
