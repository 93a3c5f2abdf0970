"""The pump: read -> frame -> redact -> write, until end of input or a stop request."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Protocol

from scanner.logfilter.framing import Framer
from scanner.logfilter.options import Control, Counters, FilterOptions
from scanner.logfilter.sources import ByteSource

DRAIN_LIMIT = 64 << 20


class Sink(Protocol):
    def write(self, data: bytes) -> None: ...


class FdSink:
    """Writes whole buffers to a descriptor (``BrokenPipeError`` when the reader is gone)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]


def run_filter(
    source: ByteSource,
    sink: Sink,
    framer: Framer,
    counters: Counters,
    options: FilterOptions,
    control: Control | None = None,
    on_stats: Callable[[Counters], None] | None = None,
) -> bool:
    """Pump ``source`` through ``framer`` into ``sink`` until end of input or a stop request.

    On a stop request what is already waiting in the input is read and processed too, and the
    unfinished last record is redacted like any other (never written as it came). Returns
    False when the downstream pipe closed (a quiet end), True otherwise."""
    control = control or Control()
    idle = max(min(options.flush_interval, 0.2), 0.001)
    try:
        eof = False
        while not eof:
            if control.stats and on_stats is not None:
                control.stats = False
                on_stats(counters)
            if control.stop:
                break
            data = source.read(0.2)
            if data is None:
                continue
            if not data:
                break
            parts, eof = _gather(source, data, options.block_size, idle)
            counters.bytes += sum(len(p) for p in parts)
            sink.write(framer.feed(b"".join(parts)))
        if control.stop:
            sink.write(framer.feed(_drain(source, counters)))
        sink.write(framer.feed(b"", final=True))
    except BrokenPipeError:
        return False
    return True


def _gather(source: ByteSource, first: bytes, limit: int, idle: float) -> tuple[list[bytes], bool]:
    """``first`` plus what arrives without a pause, up to ``limit`` bytes or ``idle`` seconds."""
    parts = [first]
    size = len(first)
    deadline = time.monotonic() + idle
    while size < limit and time.monotonic() < deadline:
        more = source.read(0.0)
        if more is None:
            break
        if not more:
            return parts, True
        parts.append(more)
        size += len(more)
    return parts, False


def _drain(source: ByteSource, counters: Counters, limit: int = DRAIN_LIMIT) -> bytes:
    """What is already waiting in the input when a stop is requested (bounded)."""
    parts: list[bytes] = []
    size = 0
    while size < limit:
        more = source.read(0.0)
        if not more:
            break
        parts.append(more)
        size += len(more)
    counters.bytes += size
    return b"".join(parts)
