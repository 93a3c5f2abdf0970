"""Find encoded segments (base64, hex, percent, ``\\u``/``\\x`` escapes) and decode them.

Decoded text is scanned again as a child chunk, up to a bounded depth. Base64 and hex are
looked for only when the prefilter saw a *trigger*: the base64 or hex form of some rule keyword
(``encoded_triggers``), so ordinary chunks pay nothing. Percent and backslash escapes are found
from their escape sequences. Only segments that decode to mostly printable text are returned.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from scanner.backslash import has_escapes as has_escapes
from scanner.backslash import map_offset as map_offset
from scanner.backslash import unescape_backslashes as unescape_backslashes

_B64 = re.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2}){12,}")
_HEX_TRIGGER = re.compile(r"[0-9a-f]{8,}")  # ``encoded_triggers``' hex forms (bytes.hex())
_PCT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_URL_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=:@!$&*,;%-?"
)
_STOP_CHARS = frozenset(" \t\r\n\"'<>`")
_URL_RUN = re.compile("[" + re.escape("".join(sorted(_URL_CHARS - _STOP_CHARS))) + "]*")
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
    import base64  # ``base64`` and ``urllib.parse`` load when something is to be decoded

    out: set[str] = set()
    for kw in keywords:
        raw = kw.encode("utf-8")
        if len(raw) == 3:  # ``hf_``, ``sk-``: only a value that starts with it, encoded whole
            out.add(base64.b64encode(raw).decode("ascii"))
            continue
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
    import base64

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


def find_encoded(
    text: str, *, base64_hex: bool, near: Sequence[str] | None = None
) -> Iterator[Decoded]:
    """Encoded segments of ``text`` that decode to printable text, at most ``MAX_SEGMENTS``.

    ``near``: the encoded-keyword triggers seen in ``text``; a base64 or hex segment is then
    decoded only if it holds one (None: every segment is tried)."""
    count = 0
    sources = [_iter_escaped(text)]
    if base64_hex:
        sources.insert(0, _iter_base64_hex(text, near))
    for source in sources:
        for found in source:
            yield found
            count += 1
            if count >= MAX_SEGMENTS:
                return


def _iter_base64_hex(text: str, near: Sequence[str] | None) -> Iterator[Decoded]:
    if near is None:
        b64_spans: Iterable[tuple[int, int]] = (m.span() for m in _B64.finditer(text))
        hex_spans: Iterable[tuple[int, int]] = (m.span() for m in _HEX.finditer(text))
    else:  # only the runs that hold a trigger: found from the triggers, not from every run
        b64_spans = _runs_holding(text, near, _B64_RUN, 20)
        hex_forms = [f for t in near if _HEX_TRIGGER.fullmatch(t) for f in (t, t.upper())]
        hex_spans = _runs_holding(text, hex_forms, _HEX_RUN, 24, even=True)
    for start, end in b64_spans:
        seg = text[start:end]
        if len(seg) > MAX_SEGMENT or seg.isalpha() or seg.isdigit():
            continue
        data = _b64(seg.encode("ascii"))
        decoded = _printable(data) if data is not None else None
        if decoded is not None:
            yield Decoded(start, end, "base64", decoded)
    for start, end in hex_spans:
        seg = text[start:end]
        if len(seg) > MAX_SEGMENT:
            continue
        decoded = _printable(binascii.unhexlify(seg))
        if decoded is not None:
            yield Decoded(start, end, "hex", decoded)


_B64_RUN = re.compile(r"[A-Za-z0-9+/_-]*")
_HEX_RUN = re.compile(r"[0-9a-fA-F]*")


def _runs_holding(
    text: str, literals: Sequence[str], run: re.Pattern[str], shortest: int, even: bool = False
) -> list[tuple[int, int]]:
    """The spans ``_B64``/``_HEX`` would find in ``text`` that hold one of ``literals``, in
    order: each literal's occurrences widened to the maximal run of ``run``'s characters
    (``=`` padding included for base64; an even number of hex digits from the run's start).
    A run longer than ``MAX_SEGMENT`` comes back too long, to be skipped as before."""
    spans: set[tuple[int, int]] = set()
    for literal in literals:
        pos = text.find(literal)
        while pos != -1:
            back = run.match(text[max(0, pos - MAX_SEGMENT - 1) : pos][::-1])
            lo = pos - (back.end() if back else 0)
            fwd = run.match(text, pos, pos + MAX_SEGMENT + 1)
            hi = fwd.end() if fwd else pos
            if even:
                hi = lo + (hi - lo) // 2 * 2
            elif hi - lo >= shortest:
                while hi < len(text) and text[hi] == "=" and hi - (fwd.end() if fwd else pos) < 2:
                    hi += 1
            if hi - lo >= shortest and hi >= pos + len(literal):
                spans.add((lo, hi))
            pos = text.find(literal, max(hi, pos + 1))
    return sorted(spans)


def _expand(text: str, start: int, end: int) -> tuple[int, int]:
    """``start:end`` widened over URL characters, at most ``MAX_EXPAND`` on each side."""
    back = _URL_RUN.match(text[max(0, start - MAX_EXPAND) : start][::-1])
    fwd = _URL_RUN.match(text, end, end + MAX_EXPAND)
    return start - (back.end() if back else 0), fwd.end() if fwd else end


def _segments(text: str, escape: re.Pattern[str]) -> Iterator[tuple[int, int]]:
    last_end = -1
    for m in escape.finditer(text):
        if m.start() < last_end:
            continue
        lo, hi = _expand(text, m.start(), m.end())
        last_end = hi
        yield lo, hi


def _iter_escaped(text: str) -> Iterator[Decoded]:
    if "%" in text:
        for lo, hi in _segments(text, _PCT_ESCAPE):
            seg = text[lo:hi]
            if seg.count("%") >= 2:
                from urllib.parse import unquote, unquote_plus

                yield Decoded(lo, hi, "percent", unquote(seg))
                if "+" in seg:  # a form-encoded query: ``+`` is a blank (``api_key%3A+%22...``)
                    yield Decoded(lo, hi, "percent", unquote_plus(seg))
