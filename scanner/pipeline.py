"""Wiring only: a ``Source``'s items through the one ``BlobPool`` into a ``ScanResult``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator

from scanner.blob import Blob
from scanner.engine.context import ScanContext
from scanner.engine.pool import BlobPool, Loader, Scanned
from scanner.engine.results import BlobResult, ScanResult, finish
from scanner.engine.unit import scan_chunk
from scanner.models import Chunk
from scanner.sources.base import Source, SourceItem

ProgressFn = Callable[[int, int], None]
"""Called with (blobs done, blobs expected; 0 when not known)."""


def scan_items(
    items: Iterable[SourceItem],
    ctx: ScanContext,
    total: BlobResult,
    loader: Loader | None = None,
) -> Iterator[Scanned]:
    """Each blob of ``items`` with its own result; chunks and problems go into ``total`` (a
    problem a source reports is an input skipped, whatever its kind). ``loader`` reads blobs
    the source hands over without their bytes (``engine.pool.Loader``)."""

    def blobs() -> Iterator[Blob]:
        for item in items:
            if isinstance(item, Blob):
                yield item
            elif isinstance(item, Chunk):
                total.merge(scan_chunk(item, ctx.matcher))
            else:
                total.problems.append(item)
                total.skipped += 1

    with BlobPool(ctx.matcher, ctx.limits, ctx.settings.jobs, loader) as pool:
        yield from pool.scan(blobs())


def scan_source(
    source: Source,
    ctx: ScanContext,
    progress: ProgressFn | None = None,
    expected: int = 0,
) -> ScanResult:
    """Every finding of ``source``, deduplicated, suppressed and sorted."""
    started = time.monotonic()
    total = BlobResult()
    done = 0
    for _blob, result in scan_items(source.items(), ctx, total):
        total.merge(result)
        done += 1
        if progress is not None:
            progress(done, expected)
    copies = ctx.settings.all_copies
    return finish(total, done, ctx.matcher.engine, started, ctx.filters, all_copies=copies)
