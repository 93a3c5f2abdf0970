"""One worker pool for every source: batching, bounded work in flight, content-key dedupe.

Blobs are scanned in this process while there is little to do (a staged change, a handful of
files) and in forked worker processes once the input proves large (``PARALLEL_MIN_BLOBS`` and
``PARALLEL_MIN_BYTES``): the compiled matcher is inherited by fork, not rebuilt or pickled.
A blob with a ``key`` that was already seen (the same git blob at another path, the same file
in two layers) is not scanned again: its findings are rebased onto the new place.
A ``Loader`` reads, in the process that scans them, blobs a source handed over without their
bytes (git blobs by id): the parent then neither holds nor ships their content.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from scanner.blob import Blob
from scanner.engine.results import BlobResult, rebase
from scanner.engine.unit import scan_blob
from scanner.extractors import Limits, default_extractors
from scanner.matcher import Matcher
from scanner.models import SourceProblem

if TYPE_CHECKING:
    import concurrent.futures as cf

PARALLEL_MIN_BLOBS = 32
PARALLEL_MIN_BYTES = 2 << 20
BATCH_BLOBS = 64
BATCH_BYTES = 4 << 20

Scanned = tuple[Blob, BlobResult]


class Loader(Protocol):
    """Fills in blobs a source handed over without their bytes; one that cannot be read comes
    back as a ``SourceProblem`` (the blob is then counted as skipped)."""

    def load(self, blobs: Sequence[Blob]) -> Iterable[Blob | SourceProblem]: ...


# Per worker process: the matcher, limits and loader handed over once, by fork.
_worker_state: dict[str, tuple[Matcher, Limits, Loader | None]] = {}


def _worker_init(matcher: Matcher, limits: Limits, loader: Loader | None = None) -> None:
    _worker_state["ctx"] = (matcher, limits, loader)


def _worker_batch(blobs: list[Blob]) -> list[BlobResult]:
    return _scan_all(blobs, *_worker_state["ctx"])


def _scan_all(
    blobs: Sequence[Blob], matcher: Matcher, limits: Limits, loader: Loader | None
) -> list[BlobResult]:
    items = loader.load(blobs) if loader is not None else blobs
    return [  # in step with the loader: the next blob is read while this one is scanned
        scan_blob(item, matcher, limits)
        if isinstance(item, Blob)
        else BlobResult(problems=[item], skipped=1)
        for item in items
    ]


def batches(blobs: Iterable[Blob], max_blobs: int, max_bytes: int) -> Iterator[list[Blob]]:
    """``blobs`` in groups of at most ``max_blobs`` or about ``max_bytes``."""
    batch: list[Blob] = []
    size = 0
    for blob in blobs:
        batch.append(blob)
        size += blob.size
        if len(batch) >= max_blobs or size >= max_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


@dataclass(slots=True)
class _Seen:
    """Content keys already scanned (with where and what was found) or being scanned."""

    scope: Callable[[str], str]  # ``Matcher.scope_key``: which path-scoped rules run at a path
    done: dict[str, tuple[Blob, BlobResult]] = field(default_factory=dict)
    waiting: dict[str, list[Blob]] = field(default_factory=dict)

    def _key(self, blob: Blob) -> str | None:
        """The content key, plus which path-scoped rules run at the blob's path: the same
        bytes as ``userlist.txt`` and as ``notes.txt`` are not scanned alike."""
        if blob.key is None:
            return None
        scope = self.scope(blob.origin.path)
        return f"{blob.key}\0{scope}" if scope else blob.key

    def known(self, blob: Blob) -> Scanned | bool:
        """The result for ``blob`` if its content was scanned; True when the content is being
        scanned (``blob`` is reported when that copy is done); False when it must be scanned."""
        key = self._key(blob)
        if key is None:
            return False
        hit = self.done.get(key)
        if hit is not None:
            return blob, _moved(hit[1], hit[0], blob)
        if key in self.waiting:
            self.waiting[key].append(blob)
            return True
        self.waiting[key] = []
        return False

    def record(self, blob: Blob, result: BlobResult) -> Iterator[Scanned]:
        yield blob, result
        key = self._key(blob)
        if key is None:
            return
        self.done[key] = (_light(blob), BlobResult(findings=list(result.findings)))
        for other in self.waiting.pop(key, []):
            yield other, _moved(result, blob, other)


def _moved(result: BlobResult, old: Blob, new: Blob) -> BlobResult:
    return BlobResult(findings=[rebase(f, old.origin, new.origin) for f in result.findings])


class BlobPool:
    """Scans blobs in this process or in ``jobs`` forked workers; use as a context manager."""

    def __init__(
        self, matcher: Matcher, limits: Limits, jobs: int = 0, loader: Loader | None = None
    ) -> None:
        self.matcher = matcher
        self.limits = limits
        self.jobs = jobs or os.cpu_count() or 1
        self.loader = loader
        self._pool: cf.ProcessPoolExecutor | None = None
        self._seen = _Seen(matcher.scope_key)

    def __enter__(self) -> BlobPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def scan(self, blobs: Iterable[Blob]) -> Iterator[Scanned]:
        """Each blob with its result, in input order for unique content (duplicates are
        reported as soon as their first copy is done)."""
        fresh = self._fresh(blobs)
        first: list[Blob] = []
        size = 0
        for blob in fresh:
            if isinstance(blob, tuple):
                yield blob
                continue
            if self.jobs <= 1:
                yield from self._seen.record(blob, self._here(blob))
                continue
            first.append(blob)
            size += blob.size
            if len(first) >= PARALLEL_MIN_BLOBS and size >= PARALLEL_MIN_BYTES:
                yield from self._parallel(first, fresh)
                return
        for blob in first:
            yield from self._seen.record(blob, self._here(blob))

    def _here(self, blob: Blob) -> BlobResult:
        return _scan_all([blob], self.matcher, self.limits, self.loader)[0]

    def _fresh(self, blobs: Iterable[Blob]) -> Iterator[Blob | Scanned]:
        """Blobs to scan, and results for content already scanned (copies of content being
        scanned come out of ``_Seen.record`` later)."""
        for blob in blobs:
            known = self._seen.known(blob)
            if known is False:
                yield blob
            elif known is not True:
                yield known

    def _parallel(self, first: list[Blob], rest: Iterator[Blob | Scanned]) -> Iterator[Scanned]:
        pool = self._start()
        inflight: deque[tuple[cf.Future[list[BlobResult]], list[Blob]]] = deque()

        def unique() -> Iterator[Blob]:
            yield from first
            for item in rest:
                if isinstance(item, tuple):
                    ready.append(item)
                else:
                    yield item

        ready: list[Scanned] = []
        for batch in batches(unique(), BATCH_BLOBS, BATCH_BYTES):
            inflight.append((pool.submit(_worker_batch, batch), [_light(b) for b in batch]))
            while len(inflight) > 2 * self.jobs:
                yield from self._collect(inflight.popleft())
            if ready:
                yield from ready
                ready.clear()
        while inflight:
            yield from self._collect(inflight.popleft())
        yield from ready

    def _collect(self, job: tuple[cf.Future[list[BlobResult]], list[Blob]]) -> Iterator[Scanned]:
        future, blobs = job
        for blob, result in zip(blobs, future.result(), strict=True):
            yield from self._seen.record(blob, result)

    def _start(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            # what every worker would load on its first blobs, loaded once before they fork
            self.matcher.warm()
            default_extractors()
            self._pool = process_pool(
                self.jobs, _worker_init, (self.matcher, self.limits, self.loader)
            )
        return self._pool


def process_pool(
    jobs: int, initializer: Callable[..., object], initargs: tuple[object, ...]
) -> cf.ProcessPoolExecutor:
    """``jobs`` worker processes, forked where the platform can (spawned elsewhere), each set
    up by ``initializer(*initargs)``."""
    import concurrent.futures as cf  # only parallel scans need these (keeps hooks fast)
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return cf.ProcessPoolExecutor(
        max_workers=jobs, mp_context=ctx, initializer=initializer, initargs=initargs
    )


def _light(blob: Blob) -> Blob:
    """The blob without its bytes (what the parent keeps while a worker scans it)."""
    return blob if blob.data is None else blob.with_data(None)
