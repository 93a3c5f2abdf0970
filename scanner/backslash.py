"""JSON/C-style backslash escapes: finding those that can hide a secret, and unescaping.

A secret inside an escaped string (``{\\"api_key\\": \\"...\\"}`` in a notebook or a JSON
string) is hidden from patterns that expect plain quotes; the matcher scans an unescaped copy
of the text near such escapes and maps what it finds back to the original offsets.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from itertools import accumulate

# first a POSIX shell's quote inside a single-quoted string: ' then \' then ' (close, an
# escaped quote, reopen) stands for one quote, so sh -c 'x='\''v'\''' holds x='v'
# (``\040``: an octal escape of a control character or a blank, as libedit writes spaces in
# the history files of mysql, sqlite3 and psql: ``CREATE\040USER\040...``)
_ESCAPE = re.compile(r"'\\''|\\(?:u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|0[0-7]{2}|[\"'/bfnrt\\])")
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "/": "/"}
_SIMPLE["\\"] = "\\"
_ESCAPE_SPLIT = re.compile(f"({_ESCAPE.pattern})")
_DECODED = {"\\" + kind: char for kind, char in _SIMPLE.items()}  # escape text -> character
_DECODED["'\\''"] = "'"


_HIDING_ESCAPE = re.compile(r"""\\["'ux]|\\0[0-7]{2}|\\[ntr](?=[A-Za-z0-9])""")


def has_escapes(text: str) -> bool:
    """Escapes that can hide a secret from patterns: escaped quotes (``\\"``), ``\\u0041``,
    an octal ``\\040``, or ``\\n`` glued to a token (``\\nghp_...``). A plain ``"...\\n"``
    does not count."""
    return "\\" in text and _HIDING_ESCAPE.search(text) is not None


def unescape_backslashes(text: str) -> tuple[str, list[tuple[int, int]]]:
    """JSON/C-style unescaping with an offset map.

    Returns the unescaped text and anchors ``(decoded_offset, original_offset)``, one per
    escape, from which ``map_offset`` finds where a decoded offset came from. Built from one
    ``split`` and running sums rather than a Python step per escape (a notebook or minified
    file holds thousands).
    """
    parts = _ESCAPE_SPLIT.split(text)  # literal, escape, literal, ..., literal: one pass
    if len(parts) == 1:
        return text, [(0, 0)]
    literals, escapes = parts[0::2], parts[1::2]
    parts[1::2] = _decoded(escapes)
    out = "".join(parts)
    original_ends = accumulate(
        len(lit) + len(esc) for lit, esc in zip(literals[:-1], escapes, strict=True)
    )
    decoded_ends = accumulate(len(lit) + 1 for lit in literals[:-1])
    return out, [(0, 0), *zip(decoded_ends, original_ends, strict=True)]


ESCAPE_RADIUS = 512
"""Characters of context unescaped on each side of a hiding escape (``unescape_near_escapes``)."""


@dataclass(frozen=True, slots=True)
class Unescaped:
    """Unescaped stretches of a text, joined by newlines, and the way back to the original.

    ``windows``: ``(start in text, original start, original end)`` per stretch. The offset map
    of a stretch is built only when an offset in it is mapped back (most texts have nothing
    to map)."""

    text: str
    source: str = field(repr=False)
    windows: tuple[tuple[int, int, int], ...]
    _anchors: dict[int, list[tuple[int, int]]] = field(default_factory=dict, repr=False)

    def original(self, offset: int) -> int:
        """The offset in the original text of ``offset`` in ``text``."""
        k = max(0, bisect.bisect_right(self.windows, (offset, 1 << 62, 0)) - 1)
        start, lo, hi = self.windows[k]
        anchors = self._anchors.get(k)
        if anchors is None:
            anchors = self._anchors[k] = unescape_backslashes(self.source[lo:hi])[1]
        return min(hi, lo + map_offset(anchors, offset - start))


def unescape_near_escapes(text: str, radius: int = ESCAPE_RADIUS) -> Unescaped:
    """The stretches of ``text`` within ``radius`` characters of a hiding escape (widened to
    whole lines where a line edge is near), unescaped.

    A secret that escapes hide sits next to them; the rest of the text is scanned as it is.
    A minified bundle with a few escaped strings is unescaped in a few windows rather than
    whole. Where the windows would cover most of the text it is unescaped whole.
    """
    n = len(text)
    near: list[tuple[int, int]] = []  # escapes +- radius, merged
    lo = hi = -1
    for pos in [m.start() for m in _HIDING_ESCAPE.finditer(text)]:
        if hi >= 0 and pos - radius <= hi:  # (no window yet: ``lo`` would stay -1)
            hi = pos + radius
            continue
        if hi >= 0:
            near.append((lo, hi))
        lo, hi = max(0, pos - radius), pos + radius
    if hi >= 0:
        near.append((lo, hi))
    if not near or sum(min(hi, n) - lo for lo, hi in near) * 2 > n:
        return Unescaped(_unescape(text), text, ((0, 0, n),))
    windows: list[tuple[int, int]] = []
    for lo, hi in near:
        lo, hi = _line_edges(text, lo, min(hi, n), radius)
        lo, hi = _escape_boundary(text, lo), _escape_boundary(text, hi)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(hi, windows[-1][1]))
        else:
            windows.append((lo, hi))
    parts: list[str] = []
    placed: list[tuple[int, int, int]] = []
    base = 0
    for lo, hi in windows:
        piece = _unescape(text[lo:hi])
        placed.append((base, lo, hi))
        parts.append(piece)
        base += len(piece) + 1  # and the joining newline
    return Unescaped("\n".join(parts), text, tuple(placed))


def _unescape(text: str) -> str:
    """``unescape_backslashes`` without the offset map."""
    parts = _ESCAPE_SPLIT.split(text)
    parts[1::2] = _decoded(parts[1::2])
    return "".join(parts)


def _decoded(escapes: list[str]) -> list[str]:
    """The character each escape stands for (``\\n``, ``\\"``, ``\\u0041``, ``\\x41``,
    ``\\040``)."""
    return [
        _DECODED.get(esc) or (chr(int(esc[1:], 8)) if esc[1] == "0" else chr(int(esc[2:], 16)))
        for esc in escapes
    ]


def _line_edges(text: str, lo: int, hi: int, reach: int) -> tuple[int, int]:
    """``lo``/``hi`` widened to whole lines when a line edge is within ``reach``: a window
    then never starts mid-line where a line-anchored pattern (``^``) would see a false start."""
    if lo:
        newline = text.rfind("\n", max(0, lo - reach), lo)
        lo = newline + 1 if newline != -1 else lo
    newline = text.find("\n", hi, hi + reach)
    return lo, newline if newline != -1 else hi


def _escape_boundary(text: str, pos: int) -> int:
    """``pos``, or the start of an escape that ``pos`` would cut in two (``\\u00|41``)."""
    back = text.rfind("\\", max(0, pos - 5), pos)
    if back == -1:
        return pos
    m = _ESCAPE.match(text, back)
    return back if m is not None and m.end() > pos else pos


def map_offset(anchors: list[tuple[int, int]], offset: int) -> int:
    """The original offset of decoded ``offset`` (inside an escape: the escape's end)."""
    i = bisect.bisect_right(anchors, (offset, 1 << 62)) - 1
    decoded, original = anchors[i]
    return original + (offset - decoded)
