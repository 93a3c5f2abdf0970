"""Bytes → text chunks: encoding detection and overlapping windows with line tracking.

Large inputs are read and decoded piece by piece; each chunk holds at most ``window`` characters
plus ``overlap`` characters of the next piece, so a match that straddles a boundary is still
seen whole, and memory stays bounded whatever the file size.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import BinaryIO

from scanner.models import Chunk, Origin

WINDOW = 1 << 20
OVERLAP = 16 * 1024
READ_SIZE = 1 << 20


STRAY_NULS = 0.01
"""Text may hold NULs up to this share of its first 4 KiB (a stray byte from an editor or a
terminal) and still be read as text: a secret after one was missed when any NUL made a file
binary. Executables, databases and images have many more, in many places."""
NUL_RUNS = 4
"""Or any number of NULs in at most this many runs: a log with a hole the file system filled
with zeros after a crash."""
_TEXT_AROUND_NULS = 64
"""Fewer other bytes than this (or than NULs, in a shorter sample): nothing there to call text
(a sparse file)."""
_NUL_RUN = re.compile(rb"\0+")
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))
"""Bytes text seldom holds (not tab, newline, form feed, carriage return or escape)."""


def sniff_encoding(head: bytes) -> str | None:
    """The text encoding of content starting with ``head``, or ``None`` for binary. A byte
    order mark names UTF-8, UTF-32 or UTF-16 (UTF-32's marks first: little-endian UTF-32's
    starts with UTF-16's); Python's codecs decode each and drop the mark."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if not head:
        return "utf-8"
    sample = head[:4096]
    nuls = sample.count(0)
    if nuls:
        even = sample[0::2].count(0)
        odd = sample[1::2].count(0)
        half = len(sample) // 2
        if odd > 0.4 * half and even < 0.05 * half:
            return "utf-16-le"
        if even > 0.4 * half and odd < 0.05 * half:
            return "utf-16-be"
        if not _stray_nuls(sample, nuls):
            return None
        sample = sample.replace(b"\0", b"")  # the rest decides, as for any text
        if _controls(sample) > len(sample) * 0.02:  # other control bytes too: binary
            return None
    if sample.isascii():  # most source files: valid UTF-8 without decoding the sample
        return "utf-8"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:
            return _latin1_or_binary(sample)
    return "utf-8"


def _stray_nuls(sample: bytes, nuls: int) -> bool:
    """Whether the ``nuls`` NULs of ``sample`` are few (``STRAY_NULS``) or together
    (``NUL_RUNS``), with text around them; the other bytes are judged afterwards."""
    if len(sample) - nuls < min(_TEXT_AROUND_NULS, len(sample) // 2):
        return False
    if nuls <= len(sample) * STRAY_NULS:
        return True
    return len(_NUL_RUN.findall(sample)) <= NUL_RUNS


def _controls(sample: bytes) -> int:
    return len(sample) - len(sample.translate(None, _CONTROL))


def _latin1_or_binary(sample: bytes) -> str | None:
    return None if _controls(sample) > len(sample) * 0.02 else "latin-1"


WHOLE_DECODABLE = frozenset({"utf-8", "latin-1", "utf-16-le", "utf-16-be"})
"""Encodings whose one-shot decoding equals the incremental one on any bytes (with a BOM,
``utf-8-sig`` and ``utf-16`` differ on a truncated mark)."""


def whole_text_chunk(
    data: bytes, encoding: str, origin: Origin, *, path_for_rules: str = ""
) -> Chunk | None:
    """``data`` (at most ``WINDOW`` bytes, already in memory) as one chunk, decoded at once:
    what ``iter_text_chunks`` yields for it, without a stream and an incremental decoder per
    small file. None for empty text (no chunk, as there). Only for encodings without a byte
    order mark to interpret (``WHOLE_DECODABLE``): a BOM-led text is streamed."""
    text = codecs.decode(data, encoding, "replace")
    if not text:
        return None
    return Chunk(text=text, origin=origin, path_for_rules=path_for_rules)


def iter_text_chunks(
    stream: BinaryIO,
    encoding: str,
    origin: Origin,
    *,
    path_for_rules: str = "",
    window: int = WINDOW,
    overlap: int = OVERLAP,
) -> Iterator[Chunk]:
    """Decode ``stream`` incrementally and yield overlapping windows with line positions."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    buffer = ""
    base_offset = 0  # character offset of buffer[0] in the whole text
    line = 1  # line number of buffer[0]
    column = 1  # column of buffer[0]
    eof = False
    while not eof:
        data = stream.read(READ_SIZE)
        if data:
            buffer += decoder.decode(data)
        else:
            buffer += decoder.decode(b"", final=True)
            eof = True
        while len(buffer) >= window + overlap or (eof and buffer):
            size = min(window, len(buffer)) if not eof else len(buffer)
            text = buffer[: size + overlap] if not eof else buffer
            yield Chunk(
                text=text,
                origin=origin,
                first_line=line,
                first_column=column,
                offset=base_offset,
                path_for_rules=path_for_rules,
            )
            if eof:  # the last chunk: no position to carry forward
                buffer = ""
                break
            newlines = buffer.count("\n", 0, size)  # in what this chunk consumed
            if newlines:
                line += newlines
                column = size - buffer.rfind("\n", 0, size)
            else:
                column += size
            base_offset += size
            buffer = buffer[size:]
