"""Large blocks of text lines redacted on several cores.

A block is cut into the groups ``BlockFilter.process`` would cut (``iter_groups``), the groups
into one run per worker, and each run redacted by a forked worker that holds the same filter (the
compiled matcher is inherited, not rebuilt). A run begins at a group boundary, so every group is
the same group the sequential filter scans and every line comes out as it would: the output,
the counters and the findings (reported in input order) do not depend on the number of workers.
The first run is redacted here while the others are in the workers; a worker that fails leaves
its run to this process. Small blocks (a trickle of lines) are not split: no added latency.
"""

from __future__ import annotations

import os
import signal
from typing import TYPE_CHECKING, AnyStr

from scanner.logfilter.jsonwalk import decode_text, encode_text
from scanner.logfilter.options import Counters
from scanner.logfilter.records import BlockFilter
from scanner.models import Finding

if TYPE_CHECKING:
    import concurrent.futures as cf

PARALLEL_MIN = 256 << 10
"""Blocks smaller than this (bytes) are redacted in this process."""

Redacted = tuple[bytes, int, int, list[tuple[Finding, int]]]

# Per worker process: the filter handed over once, by fork.
_worker_state: dict[str, BlockFilter] = {}


def _worker_init(filt: BlockFilter) -> None:
    # the parent handles stop requests and statistics; a worker only redacts what it is given
    for name in ("SIGINT", "SIGTERM", "SIGUSR1", "SIGALRM"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, signal.SIG_IGN)
    _worker_state["filter"] = filt


def _worker_redact(data: bytes, first: int) -> Redacted:
    filt = _worker_state["filter"]
    items: list[tuple[Finding, int]] = []
    counters = Counters()
    filt.counters = counters
    filt.report = items.extend
    out = filt.process(data, first)
    return out, counters.redactions, counters.errors, items


def group_ends(text: str | bytes, size: int) -> list[int]:
    """Where ``records.iter_groups`` ends the groups of ``text``: after a newline about every
    ``size`` characters (for bytes, an ASCII block: its characters are its bytes)."""
    ends: list[int] = []
    start, length = 0, len(text)
    while start < length:
        if isinstance(text, str):
            cut = text.find("\n", start + size)
        else:
            cut = text.find(b"\n", start + size)
        start = length if cut == -1 else cut + 1
        ends.append(start)
    return ends


def split_runs(text: AnyStr, group_size: int, runs: int) -> list[AnyStr]:
    """``text`` (or an ASCII block) cut into at most ``runs`` runs of whole groups
    (``records.iter_groups``), of about equal size."""
    ends = group_ends(text, group_size)
    if runs <= 1 or len(ends) < 2:
        return [text] if text else []
    count = min(runs, len(ends))
    cuts: list[int] = []
    for end in ends[:-1]:
        if end * count >= len(text) * (len(cuts) + 1):
            cuts.append(end)
            if len(cuts) == count - 1:
                break
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


class ParallelBlocks:
    """Redacts large blocks for a ``BlockFilter`` with ``jobs`` processes (this one included)."""

    def __init__(self, filt: BlockFilter, jobs: int) -> None:
        self.filt = filt
        self.jobs = jobs
        self._pool: cf.ProcessPoolExecutor | None = None

    def process(self, block: bytes, first: int) -> bytes | None:
        """Output for ``block`` (whole records from record ``first``); None when it is not
        worth splitting (the caller redacts it as usual)."""
        if self.jobs <= 1 or len(block) < PARALLEL_MIN:
            return None
        size = self.filt.options.group_bytes
        if block.isascii():  # cut where its text would be, without decoding it here
            datas = split_runs(block, size, self.jobs)
        else:
            datas = [encode_text(r) for r in split_runs(decode_text(block), size, self.jobs)]
        if len(datas) < 2:
            return None
        pool = self._start()
        starts = [first]
        for data in datas[:-1]:
            starts.append(starts[-1] + data.count(b"\n"))
        futures = [
            pool.submit(_worker_redact, d, s) for d, s in zip(datas[1:], starts[1:], strict=True)
        ]
        outs = [self.filt.process(datas[0], starts[0])]  # the first run: here, meanwhile
        for future, data, start in zip(futures, datas[1:], starts[1:], strict=True):
            outs.append(self._collect(future, data, start))
        return b"".join(outs)

    def _collect(self, future: cf.Future[Redacted], data: bytes, start: int) -> bytes:
        try:
            out, redactions, errors, items = future.result()
        except Exception:  # a worker died or could not return its result: redact it here
            return self.filt.process(data, start)
        counters = self.filt.counters
        counters.redactions += redactions
        counters.errors += errors
        if items:
            self.filt.report(items)
        return out

    def _start(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            import concurrent.futures as cf
            import multiprocessing

            self.filt.redactor.warm()  # the workers inherit what it loads
            ctx = multiprocessing.get_context("fork")
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.jobs - 1,  # and this process
                mp_context=ctx,
                initializer=_worker_init,
                initargs=(self.filt,),
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def parallel_for(filt: BlockFilter, jobs: int) -> ParallelBlocks | None:
    """The parallel redactor for ``filt`` (``jobs`` 0: one per CPU), or None for one process or
    where fork is unavailable."""
    import multiprocessing

    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ParallelBlocks(filt, jobs)
