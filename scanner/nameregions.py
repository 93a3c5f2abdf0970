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

from collections.abc import Callable

from scanner.namespan import NAME_CHARS, NAME_LIMIT
from scanner.windows import _useful

REGION_MEMO = 4096
"""Regions remembered per matcher; the memo starts again when full."""

RegionMemo = dict[tuple[int, int, tuple[int, ...], str], tuple[bool, ...]]
"""(rule index, the region's start in the key text, the offsets in the region of its keywords,
key text) -> the verdicts of the keywords ``windows._useful`` keeps."""

_NAME_CHARS = "".join(sorted(NAME_CHARS))  # to strip a run of them off a piece of text


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
    # ``namespan.name_bounds`` leftwards from ``start`` and rightwards from ``last``
    lo = start
    if start and text[start - 1] in NAME_CHARS:
        lo = max(0, start - NAME_LIMIT)
        lo += len(text[lo:start].rstrip(_NAME_CHARS))
    after = text[last : last + NAME_LIMIT]
    hi = min(len(text), last + len(after) - len(after.lstrip(_NAME_CHARS)) + 3)
    if "(" in text[lo:hi]:
        return None
    return lo, hi


def located_verdicts(
    text: str,
    keywords: tuple[str, ...],
    refused: Callable[[int], bool],
    remembered: Callable[[int], bool | None],
    memo: RegionMemo,
    tag: int,
    regions: list[tuple[int, int]],
) -> tuple[list[int], dict[int, bool]]:
    """The positions of ``keywords`` inside located ``regions`` (merged, in order) of ASCII
    ``text`` that ``windows._useful`` keeps, and ``refused`` at each, from ``memo`` for a
    region whose keywords were seen before amid the same decisive characters (``tag``: the
    rule whose keywords and verdicts these are). One call for all the regions of a text: a log
    block has one or two on most of its lines.

    A keyword after the first of its region whose name is not in memory (``remembered``:
    None; ``api_key_id=key_93117``) is kept without a verdict: the match at the keyword before
    it may hide it, and the caller decides it (``refused``) only if it is reached. Kept as if
    not turned down, it costs at most a try of the rule's regex that finds nothing: every
    match lies inside one region."""
    kept: list[int] = []
    known: dict[int, bool] = {}
    recall = memo.get
    for start, end in regions:
        # ``windows._keyword_positions`` and ``decisive_span``, inlined: a log block has
        # thousands of regions, and this loop is most of what the rule costs there
        seg = text[start:end].lower()
        found: list[int] = []
        for kw in keywords:
            pos = seg.find(kw)
            while pos != -1:
                found.append(pos)
                pos = seg.find(kw, pos + 1)
        if not found:
            continue
        if len(found) > 1:
            found.sort()
        lo = start
        if start and text[start - 1] in NAME_CHARS:
            lo = max(0, start - NAME_LIMIT)
            lo += len(text[lo:start].rstrip(_NAME_CHARS))
        last = start + found[-1]
        after = text[last : last + NAME_LIMIT]
        decisive = text[lo : last + len(after) - len(after.lstrip(_NAME_CHARS)) + 3]
        key = None
        verdicts = None
        if "(" not in decisive:
            key = (tag, start - lo, tuple(found), decisive)
            verdicts = recall(key)
        if verdicts is None:
            every: list[bool | None] = [refused(start + found[0])]
            every += [remembered(start + off) for off in found[1:]]
            useful = len(_useful(found, [v is True for v in every]))
            if None in every[:useful]:
                for off, verdict in zip(found[:useful], every, strict=False):
                    kept.append(start + off)
                    if verdict is not None:
                        known[start + off] = verdict
                continue
            verdicts = tuple(v is True for v in every[:useful])
            if key is not None:
                if len(memo) >= REGION_MEMO:
                    memo.clear()
                memo[key] = verdicts
        for off, verdict in zip(found, verdicts, strict=False):  # the first ``len(verdicts)``
            kept.append(start + off)
            known[start + off] = verdict
    return kept, known
