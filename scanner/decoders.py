"""Find encoded segments (base64, hex, percent, ``\\u``/``\\x`` escapes) and decode them.

Decoded text is scanned again as a child chunk, up to a bounded depth. Base64 and hex are
looked for only when the prefilter saw a *trigger*: the base64 or hex form of some rule keyword
(``encoded_triggers``), so ordinary chunks pay nothing. Percent and backslash escapes are found
from their escape sequences. Only segments that decode to mostly printable text are returned.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate

_B64 = re.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2}){12,}")
_PCT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_URL_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=:@!$&*,;%-?"
)
_STOP_CHARS = frozenset(" \t\r\n\"'<>`")
MAX_SEGMENT = 64 * 1024
MAX_SEGMENTS = 256
MAX_EXPAND = 512


@dataclass(frozen=True, slots=True)
class Decoded:
    start: int
    end: int
    kind: str
    text: str


def encoded_triggers(keywords: Iterable[str]) -> list[str]:
    """Literals that appear where a keyword is base64- or hex-encoded (any alignment)."""
    out: set[str] = set()
    for kw in keywords:
        raw = kw.encode("utf-8")
        if len(raw) < 4:
            continue
        for pad in range(3):
            enc = base64.b64encode(b"\0" * pad + raw).decode("ascii")
            first = -(-8 * pad // 6)
            last = (8 * (pad + len(raw))) // 6
            stable = enc[first:last]
            if len(stable) >= 5:
                out.add(stable)
        if len(raw) >= 4:
            out.add(raw.hex())
    return sorted(out)


def _printable(data: bytes) -> str | None:
    if len(data) < 12:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    good = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    return text if good >= 0.95 * len(text) else None


def _b64(segment: bytes) -> bytes | None:
    body = segment.rstrip(b"=")
    if len(body) % 4 == 1:
        return None
    pad = b"=" * (-len(body) % 4)
    try:
        if b"-" in body or b"_" in body:
            return base64.urlsafe_b64decode(body + pad)
        return base64.b64decode(body + pad, validate=True)
    except (binascii.Error, ValueError):
        return None


def find_encoded(text: str, *, base64_hex: bool) -> Iterator[Decoded]:
    """Encoded segments of ``text`` that decode to printable text, at most ``MAX_SEGMENTS``."""
    count = 0
    sources = [_iter_escaped(text)]
    if base64_hex:
        sources.insert(0, _iter_base64_hex(text))
    for source in sources:
        for found in source:
            yield found
            count += 1
            if count >= MAX_SEGMENTS:
                return


def _iter_base64_hex(text: str) -> Iterator[Decoded]:
    for m in _B64.finditer(text):
        seg = m.group(0)
        if len(seg) > MAX_SEGMENT or seg.isalpha() or seg.isdigit():
            continue
        data = _b64(seg.encode("ascii"))
        decoded = _printable(data) if data is not None else None
        if decoded is not None:
            yield Decoded(m.start(), m.end(), "base64", decoded)
    for m in _HEX.finditer(text):
        seg = m.group(0)
        if len(seg) > MAX_SEGMENT:
            continue
        decoded = _printable(binascii.unhexlify(seg))
        if decoded is not None:
            yield Decoded(m.start(), m.end(), "hex", decoded)


def _expand(text: str, start: int, end: int, allowed: frozenset[str] | None) -> tuple[int, int]:
    lo, hi, n = start, end, len(text)
    while lo > 0 and start - lo < MAX_EXPAND:
        c = text[lo - 1]
        if (allowed is not None and c not in allowed) or c in _STOP_CHARS:
            break
        lo -= 1
    while hi < n and hi - end < MAX_EXPAND:
        c = text[hi]
        if (allowed is not None and c not in allowed) or c in _STOP_CHARS:
            break
        hi += 1
    return lo, hi


def _segments(
    text: str, escape: re.Pattern[str], allowed: frozenset[str] | None
) -> Iterator[tuple[int, int]]:
    last_end = -1
    for m in escape.finditer(text):
        if m.start() < last_end:
            continue
        lo, hi = _expand(text, m.start(), m.end(), allowed)
        last_end = hi
        yield lo, hi


def _iter_escaped(text: str) -> Iterator[Decoded]:
    if "%" in text:
        for lo, hi in _segments(text, _PCT_ESCAPE, _URL_CHARS):
            seg = text[lo:hi]
            if seg.count("%") >= 2:
                yield Decoded(lo, hi, "percent", urllib.parse.unquote(seg))


_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\"'/bfnrt\\])")
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "/": "/"}
_SIMPLE["\\"] = "\\"
_ESCAPE_SPLIT = re.compile(f"({_ESCAPE.pattern})")
_DECODED = {"\\" + kind: char for kind, char in _SIMPLE.items()}  # escape text -> character


_HIDING_ESCAPE = re.compile(r"""\\["'ux]|\\[ntr](?=[A-Za-z0-9])""")


def has_escapes(text: str) -> bool:
    """Escapes that can hide a secret from patterns: escaped quotes (``\\"``), ``\\u0041``,
    or ``\\n`` glued to a token (``\\nghp_...``). A plain ``"...\\n"`` does not count."""
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
    parts[1::2] = [_DECODED.get(esc) or chr(int(esc[2:], 16)) for esc in escapes]
    out = "".join(parts)
    original_ends = accumulate(
        len(lit) + len(esc) for lit, esc in zip(literals[:-1], escapes, strict=True)
    )
    decoded_ends = accumulate(len(lit) + 1 for lit in literals[:-1])
    return out, [(0, 0), *zip(decoded_ends, original_ends, strict=True)]


def map_offset(anchors: list[tuple[int, int]], offset: int) -> int:
    """The original offset of decoded ``offset`` (inside an escape: the escape's end)."""
    i = bisect.bisect_right(anchors, (offset, 1 << 62)) - 1
    decoded, original = anchors[i]
    return original + (offset - decoded)
