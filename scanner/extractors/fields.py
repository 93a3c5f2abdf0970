"""Shared helpers for structured formats: named text fields → chunks, bounded reads.

Binary model formats have no lines. Their text fields (a JSON header value, a GGUF metadata
value, an ONNX doc string, a pickle constant) become one chunk each, rendered as
``label: value`` so that rules needing a nearby keyword see the field name. The chunk's line is
the field's ordinal (1-based) in the file, and the origin detail names the field (``key``), so a
finding says exactly which field holds the secret and two fields never collapse into one finding.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from scanner.blob import Blob
from scanner.extractors.base import Budget
from scanner.models import Chunk, Origin

MIN_VALUE = 8
"""Values shorter than this cannot hold a secret; they are not scanned on their own."""

MAX_FIELD_CHARS = 1 << 20
"""A single field's text is cut at this many characters."""

_PRINTABLE_RUN = re.compile(rb"[\x20-\x7e\t]{12,}")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Field:
    """One named text value of a structured file."""

    key: str
    value: str
    label: str = ""
    ordinal: int = 0


class Truncated(Exception):
    """Structured content ended early or declared more than the file holds."""


def rules_path(origin: Origin) -> str:
    """The path allowlists see: the innermost member, else the file path."""
    return origin.members[-1] if origin.members else origin.path


def field_chunks(
    fields: Iterator[Field] | list[Field],
    origin: Origin,
    *,
    min_value: int = MIN_VALUE,
    **detail: str,
) -> Iterator[Chunk]:
    """One chunk per field: ``label: value`` on line ``ordinal``; detail ``key`` names it.

    A field longer than ``MAX_FIELD_CHARS`` (a tokenizer vocabulary) is split at line
    boundaries into several chunks with the same origin and line.
    """
    path = rules_path(origin)
    for position, item in enumerate(fields, 1):
        ordinal = item.ordinal or position
        label = item.label or item.key.rsplit(".", 1)[-1]
        if len(item.value) < min_value and len(label) < 16:
            continue
        where = origin.with_detail(**detail, key=item.key)
        for text in split_text(f"{label}: {item.value}", MAX_FIELD_CHARS):
            yield Chunk(
                text=text,
                origin=where,
                first_line=ordinal,
                line_map=(ordinal,) * (text.count("\n") + 1),
                path_for_rules=path,
            )


def split_text(text: str, size: int) -> Iterator[str]:
    """``text`` in pieces of about ``size`` characters, cut after a newline where possible."""
    start = 0
    while len(text) - start > size:
        cut = text.rfind("\n", start, start + size)
        end = cut + 1 if cut > start else start + size
        yield text[start:end]
        start = end
    yield text[start:]


def json_fields(value: object, prefix: str = "", limit: int = 200_000) -> Iterator[Field]:
    """Leaves of a parsed JSON value in document order, with dotted paths as keys."""
    count = 0
    stack: list[tuple[str, str, object]] = [(prefix, prefix, value)]
    while stack and count < limit:
        path, label, node = stack.pop()
        if isinstance(node, Mapping):
            for key, child in reversed(list(node.items())):
                stack.append((f"{path}.{key}" if path else str(key), str(key), child))
        elif isinstance(node, list):
            for index in range(len(node) - 1, -1, -1):
                stack.append((f"{path}[{index}]", label, node[index]))
        else:
            count += 1
            text = node if isinstance(node, str) else _scalar(node)
            yield Field(path or "value", text, label or "value")


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def printable_runs(data: bytes, min_run: int = 12) -> list[tuple[int, str]]:
    """Runs of printable ASCII in binary ``data`` as (offset, text)."""
    return [
        (m.start(), m.group(0).decode("ascii"))
        for m in _PRINTABLE_RUN.finditer(data, 0)
        if len(m.group(0)) >= min_run
    ]


def bytes_to_text(data: bytes) -> str:
    """Text to scan from a bytes value: UTF-8 when it reads as text, UTF-32 when it looks like
    NumPy ``U`` array data, else its printable runs."""
    if _looks_utf32(data):
        return utf32_text(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    else:
        if not _mostly_control(text):
            return text
    return "\n".join(run for _, run in printable_runs(data))


def clean_text(text: str) -> str:
    """``text`` itself, or its printable runs when it is binary data carried in a string
    (NumPy array data pickled with protocol 2 is a latin-1 string)."""
    if ("\x00" in text or len(text) > 64) and _mostly_control(text):
        return bytes_to_text(text.encode("latin-1", "replace"))
    return text


def utf32_text(data: bytes, codec: str = "utf-32-le") -> str:
    """NumPy ``U`` array data (fixed-width UTF-32, NUL-padded) as one element per line."""
    data = data[: len(data) - len(data) % 4]
    text = data.decode(codec, errors="replace")
    return "\n".join(part for part in text.split("\x00") if part)


def _looks_utf32(data: bytes) -> bool:
    sample = data[:4096]
    if len(sample) < 8 or len(sample) % 4:
        return False
    zeros = sample[1::4].count(0) + sample[2::4].count(0) + sample[3::4].count(0)
    return zeros >= 0.95 * 3 * (len(sample) // 4) and sample[0::4].count(0) < len(sample) // 4


def _mostly_control(text: str) -> bool:
    sample = text[:4096]
    return len(_CONTROL.findall(sample)) > max(2, len(sample) // 20)


class BoundedReader:
    """A read-only view of a stream that refuses to read past ``limit`` bytes in total.

    Every ``read``/``readline`` is clamped, so a length field claiming gigabytes costs at most
    what is left of the limit, never an allocation of the claimed size.
    """

    def __init__(self, stream: BinaryIO, limit: int) -> None:
        self.stream = stream
        self.left = limit
        self.exceeded = False

    def read(self, n: int = -1) -> bytes:
        if n < 0 or n > self.left:
            if n != 0:
                self.exceeded = self.exceeded or n > self.left
            n = self.left
        data = self.stream.read(n)
        self.left -= len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        cap = min(self.left, 1 << 16)
        if 0 <= size < cap:
            cap = size
        line = self.stream.readline(cap)
        self.left -= len(line)
        return line

    def tell(self) -> int:
        return self.stream.tell()

    def seek(self, pos: int, whence: int = 0) -> int:
        return self.stream.seek(pos, whence)


def read_exact(stream: BinaryIO, n: int) -> bytes:
    """Exactly ``n`` bytes or :class:`Truncated`."""
    data = stream.read(n)
    if len(data) != n:
        raise Truncated(f"needed {n} bytes, got {len(data)}")
    return data


STRINGS_WINDOW = 32 * 1024 * 1024


def read_regions(
    blob: Blob, budget: Budget, window: int = STRINGS_WINDOW
) -> list[tuple[int, bytes]]:
    """The head and (for big blobs) the tail of ``blob``, at most ``window`` bytes each."""
    window = min(window, budget.limits.max_member_size)
    with blob.open() as fh:
        regions = [(0, fh.read(window))]
        if blob.size > window:
            start = max(window, blob.size - window)
            fh.seek(start)
            regions.append((start, fh.read(window)))
    return regions


def strings_chunks(
    blob: Blob,
    budget: Budget,
    *,
    regions: list[tuple[int, bytes]] | None = None,
    skip: Collection[str] = (),
    first: int = 1,
    **detail: str,
) -> Iterator[Chunk]:
    """Printable runs from the head and tail of a binary blob (bounded), one chunk per run.

    The fallback for binary formats whose structure cannot be read; the detail names the byte
    offset of each run and the line is the run's ordinal (from ``first``). A short name just
    before a run (an attribute or key name) is put on the line above it, for context rules.
    Runs contained in one of the ``skip`` texts (already scanned as fields) are left out.
    """
    path = rules_path(blob.origin)
    ordinal = first - 1
    for base, data in regions if regions is not None else read_regions(blob, budget):
        prev: tuple[int, int, str] | None = None  # (end offset, ordinal, text) of the last run
        for offset, run in printable_runs(data):
            if any(run in text or (text in run and len(run) - len(text) <= 8) for text in skip):
                continue
            ordinal += 1
            text = run
            line_map: tuple[int, ...] = (ordinal,)
            context = _context(data, offset, prev)
            if context is not None:
                label, label_line = context
                text, line_map = f"{label}\n{run}", (label_line or ordinal, ordinal)
            prev = (offset + len(run), ordinal, run)
            yield Chunk(
                text=text,
                origin=blob.origin.with_detail(**detail, offset=str(base + offset)),
                first_line=line_map[0],
                line_map=line_map,
                path_for_rules=path,
            )


_LABEL = re.compile(rb"[A-Za-z0-9_.\-]{3,64}")
_CONTEXT_GAP = 96


def _context(data: bytes, offset: int, prev: tuple[int, int, str] | None) -> tuple[str, int] | None:
    """A short name just before the run at ``offset`` (an attribute name before its value):
    the previous run itself when it is short and close (its line), else a short label."""
    start = max(0, offset - _CONTEXT_GAP)
    if prev is not None and prev[0] > start:
        return (prev[2], prev[1]) if len(prev[2]) <= 64 else None
    found = None
    for m in _LABEL.finditer(data, start, offset):
        found = m
    if found is None:
        return None
    return found.group(0).decode("ascii"), 0
