"""Framing: a byte stream cut into blocks of whole records for a record filter.

``LineFramer`` keeps an unfinished line until its newline (or the end of input) and bounds a
line's memory by ``max_line``: windowed redaction for text lines, a marker for the structured
formats. Scanning runs inside ``Control.scanning``; when the CLI interrupts it (a stop whose
grace period ran out) the records in flight, and every record after them, become markers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from scanner.logfilter.jsonwalk import decode_text, encode_text
from scanner.logfilter.options import MARKER, TOO_LONG, Control, Counters, Interrupted
from scanner.logfilter.parallel import parallel_for
from scanner.logfilter.records import BlockFilter, LineFilter


class Framer(Protocol):
    def feed(self, data: bytes, final: bool = False) -> bytes:
        """Output for the complete records in ``data`` (and the rest, when ``final``)."""
        ...


@contextmanager
def scanning(control: Control) -> Iterator[None]:
    """Mark a scan in progress (the CLI's handlers may interrupt it)."""
    control.scanning = True
    try:
        yield
    finally:
        control.scanning = False


class LineFramer:
    """Splits a byte stream into whole lines for a ``BlockFilter``."""

    def __init__(self, filt: BlockFilter, counters: Counters, control: Control | None = None):
        self.filt = filt
        self.counters = counters
        self.control = control or Control()
        self.max_line = filt.options.max_line
        self.pending = b""
        self.skipping = False  # dropping the rest of an over-long record
        self.failed = False  # interrupted once: later records are not scanned any more
        # large blocks of text lines: on every CPU (the same output, see logfilter.parallel)
        self.parallel = (
            parallel_for(filt, filt.options.jobs) if isinstance(filt, LineFilter) else None
        )

    def feed(self, data: bytes, final: bool = False) -> bytes:
        out: list[bytes] = []
        data = self.pending + data
        self.pending = b""
        if self.skipping:
            nl = data.find(b"\n")
            if nl == -1:
                return b""
            self.skipping = False
            data = data[nl + 1 :]
        cut = data.rfind(b"\n") + 1
        whole, rest = data[:cut], data[cut:]
        if final and rest:
            whole, rest = data, b""
        if whole:
            out.append(self._process(whole))
        if len(rest) > self.max_line:
            out.append(self._long(rest))
        else:
            self.pending = rest
        if final and self.parallel is not None:
            self.parallel.close()
        return b"".join(out)

    def _process(self, block: bytes) -> bytes:
        first = self.counters.lines + 1
        records = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
        out = b""
        if not (self.failed or self.control.expired):
            try:
                with scanning(self.control):
                    try:
                        split = self.parallel.process(block, first) if self.parallel else None
                        out = split if split is not None else self.filt.process(block, first)
                    except Exception:
                        out = self._per_line(block, first)
            except Interrupted:
                self.failed = True
        if self.failed or self.control.expired:
            out = self._markers(records, block.endswith(b"\n"))
        self.counters.lines += records
        return out

    def _markers(self, records: int, ends: bool) -> bytes:
        self.counters.errors += records
        line = encode_text(self.filt.marker())
        return b"\n".join([line] * records) + (b"\n" if ends else b"")

    def _per_line(self, block: bytes, first: int) -> bytes:
        text = decode_text(block)
        return encode_text(self.filt.per_line(text, first))

    def _long(self, rest: bytes) -> bytes:
        record = self.counters.lines + 1
        if not isinstance(self.filt, LineFilter) or self.failed or self.control.expired:
            stopped = self.failed or self.control.expired
            return self._drop_long(b"", MARKER if stopped else TOO_LONG)
        out: list[bytes] = []
        while len(rest) > self.max_line:
            window, rest = rest[: self.max_line], rest[self.max_line :]
            try:
                with scanning(self.control):
                    head, keep = self.filt.window(decode_text(window), record)
            except (Exception, Interrupted):
                return self._drop_long(b"".join(out), MARKER)
            out.append(encode_text(head))
            rest = encode_text(keep) + rest
        self.pending = rest
        return b"".join(out)

    def _drop_long(self, head: bytes, reason: str) -> bytes:
        """The rest of an over-long record replaced by a marker (and skipped up to its end)."""
        self.counters.errors += 1
        self.counters.lines += 1
        self.skipping = True
        marker = self.filt.marker(reason) if not head else MARKER
        return head + encode_text(marker) + b"\n"
