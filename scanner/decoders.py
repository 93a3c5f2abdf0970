"""Find encoded segments (base64, hex, percent, ``\\u``/``\\x`` escapes) and decode them.

Decoded text is scanned again as a child chunk, up to a bounded depth. Only segments that decode
to mostly printable text are returned, so binary blobs and hashes cost little.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

_B64 = re.compile(r"[A-Za-z0-9+/_-]{24,}={0,2}")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2}){16,}")
_PCT = re.compile(r"(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9._~+/=:@!$&'()*,;-]){12,}")
_ESC = re.compile(r"(?:\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}|[^\\\s\"'<>]){12,}")
MAX_SEGMENT = 64 * 1024
MAX_SEGMENTS = 256


@dataclass(frozen=True, slots=True)
class Decoded:
    start: int
    end: int
    kind: str
    text: str


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


def find_encoded(text: str) -> Iterator[Decoded]:
    """Encoded segments of ``text`` that decode to printable text, at most ``MAX_SEGMENTS``."""
    count = 0
    for found in _iter_all(text):
        yield found
        count += 1
        if count >= MAX_SEGMENTS:
            return


def _iter_all(text: str) -> Iterator[Decoded]:
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
    if "%" in text:
        for m in _PCT.finditer(text):
            seg = m.group(0)
            if seg.count("%") < 2 or len(seg) > MAX_SEGMENT:
                continue
            yield Decoded(m.start(), m.end(), "percent", urllib.parse.unquote(seg))
    if "\\u" in text or "\\x" in text:
        for m in _ESC.finditer(text):
            seg = m.group(0)
            if seg.count("\\") < 2 or len(seg) > MAX_SEGMENT:
                continue
            try:
                value = codecs.decode(seg.replace("\\x", "\\u00"), "unicode_escape")
            except UnicodeDecodeError:
                continue
            yield Decoded(m.start(), m.end(), "escape", value)
