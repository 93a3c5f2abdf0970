"""Fluentd ``msgpack`` framing: a stream of MessagePack maps, one per record.

Decoding and encoding use the ``msgpack`` package (the reference implementation), an optional
extra: ``pip install 'keyguard[fluentd]'``. Maps decode to ``Pairs`` (order and duplicate keys
kept), strings as UTF-8 with ``surrogateescape`` (any bytes survive); EventTime (ext type 0) and
other extension values pass through. An unchanged record is written byte for byte.
"""

from __future__ import annotations

import bisect
from types import ModuleType
from typing import Any

from scanner.errors import UserError
from scanner.logfilter.findings import Report
from scanner.logfilter.framing import scanning
from scanner.logfilter.jsonwalk import Pairs, strings, walk
from scanner.logfilter.options import (
    FLUENTD_EXTRA,
    MARKER,
    TOO_LONG,
    Control,
    Counters,
    FilterOptions,
    Interrupted,
)
from scanner.logfilter.redactor import Redactor
from scanner.models import Finding

BATCH = 128


def load_msgpack() -> ModuleType:
    """The ``msgpack`` module, or a user error saying how to install it."""
    try:
        import msgpack
    except ImportError:
        raise UserError(
            f"--format fluentd-msgpack needs the msgpack package: {FLUENTD_EXTRA}"
        ) from None
    module: ModuleType = msgpack
    return module


def pack(msgpack: ModuleType, obj: Any) -> bytes:
    """MessagePack bytes of ``obj``; ``Pairs`` become maps (duplicate keys kept)."""
    packer = msgpack.Packer(use_bin_type=True, unicode_errors="surrogateescape")
    out = bytearray()
    _pack(packer, obj, out)
    return bytes(out)


def _pack(packer: Any, obj: Any, out: bytearray) -> None:
    if isinstance(obj, Pairs):
        out += packer.pack_map_header(len(obj))
        for key, value in obj:
            _pack(packer, key, out)
            _pack(packer, value, out)
    elif isinstance(obj, list):
        out += packer.pack_array_header(len(obj))
        for item in obj:
            _pack(packer, item, out)
    else:
        out += packer.pack(obj)


class MsgpackFramer:
    """Splits a MessagePack stream into records, redacts them in batches."""

    def __init__(
        self,
        redactor: Redactor,
        options: FilterOptions,
        counters: Counters,
        report: Report,
        control: Control | None = None,
    ) -> None:
        self.msgpack = load_msgpack()
        self.redactor = redactor
        self.options = options
        self.counters = counters
        self.report = report
        self.control = control or Control()
        self.failed = False
        self._reset()

    def _reset(self) -> None:
        self.unpacker = self.msgpack.Unpacker(
            raw=False,
            unicode_errors="surrogateescape",
            object_pairs_hook=Pairs,
            strict_map_key=False,
        )
        self.buffer = b""  # raw bytes fed and not yet taken as whole records
        self.base = 0  # stream offset of buffer[0], as ``Unpacker.tell`` counts

    def feed(self, data: bytes, final: bool = False) -> bytes:
        self.unpacker.feed(data)
        self.buffer += data
        items: list[tuple[bytes, Any]] = []
        broken = False
        try:
            for obj in self.unpacker:
                end = self.unpacker.tell() - self.base
                items.append((self.buffer[:end], obj))
                self.buffer = self.buffer[end:]
                self.base += end
        except Exception:
            broken = True  # no way to find the next record: drop the rest
        out = [self._batch(items[i : i + BATCH]) for i in range(0, len(items), BATCH)]
        if broken:
            out.append(self._marker())
            self._reset()
        elif self.buffer and (final or len(self.buffer) > self.options.max_line):
            out.append(self._marker(MARKER if final else TOO_LONG))
            self._reset()
        return b"".join(out)

    def _batch(self, items: list[tuple[bytes, Any]]) -> bytes:
        """The strings of a batch of records scanned as one chunk; only the records where that
        scan (or a key that names a secret) found something are redacted one by one."""
        if self.failed or self.control.expired:
            return b"".join(self._marker() for _ in items)
        out: list[bytes] = []
        try:
            with scanning(self.control):
                dirty = self._dirty(items)
                for n, (raw, obj) in enumerate(items):
                    if n in dirty:
                        out.append(self._record(raw, obj))
                    else:
                        self.counters.lines += 1
                        out.append(raw)
        except Interrupted:
            self.failed = True
            out.extend(self._marker() for _ in items[len(out) :])
        return b"".join(out)

    def _dirty(self, items: list[tuple[bytes, Any]]) -> set[int]:
        texts: list[str] = []
        owners: list[int] = []
        dirty: set[int] = set()
        for n, (_, obj) in enumerate(items):
            before = len(texts)
            if strings(obj, texts):
                dirty.add(n)
            owners.extend([n] * (len(texts) - before))
        starts: list[int] = []
        pos = 0
        for text in texts:
            starts.append(pos)
            pos += len(text) + 1
        try:
            spans, _ = self.redactor.find_spans("\n".join(texts))
        except Exception:
            return set(range(len(items)))  # each record on its own (a failure is a marker)
        dirty.update(owners[bisect.bisect_right(starts, span.start) - 1] for span in spans)
        return dirty

    def _marker(self, reason: str = MARKER) -> bytes:
        self.counters.errors += 1
        self.counters.lines += 1
        return pack(self.msgpack, {"message": reason})

    def _record(self, raw: bytes, obj: Any) -> bytes:
        self.counters.lines += 1
        record = self.counters.lines
        try:
            found: list[Finding] = []
            new = walk(obj, self.redactor, found)
            if not found:
                return raw
            self.counters.redactions += len(found)
            self.report([(f, record) for f in found])
            return pack(self.msgpack, new)
        except Exception:
            self.counters.errors += 1
            return pack(self.msgpack, {"message": MARKER})
