"""``keyguard image PATH...``: docker-archive tarballs and OCI layouts, with no container engine.

Identical file content met in several layers (or images) is matched once, keyed by its sha256,
and its findings are reported at every place it appears.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from scanner.blob import Blob
from scanner.commands.common import (
    Settings,
    build_filters,
    build_limits,
    build_matcher,
    build_ruleset,
    exit_status,
    resolve_config,
    write_report,
)
from scanner.errors import ExitCode, SourceError
from scanner.extractors import Limits
from scanner.matcher import Matcher
from scanner.models import Finding, Origin, SourceProblem
from scanner.pipeline import BlobResult, FindingFilter, ScanResult, finish, scan_blob
from scanner.rotation import RotationOptions
from scanner.rotation import run as run_rotation
from scanner.sources.images import Item, iter_image_items, open_store

Warn = Callable[[str], None]


def rebase(finding: Finding, old: Origin, new: Origin) -> Finding:
    """``finding`` (found under ``old``) as if found under ``new`` (same content elsewhere)."""
    o = finding.origin
    origin = Origin(
        new.path,
        new.members + o.members[len(old.members) :],
        new.detail + o.detail[len(old.detail) :],
        new.kind,
    )
    return Finding(
        finding.rule_id,
        finding.description,
        finding.severity,
        finding.confidence,
        origin,
        finding.position,
        finding.secret,
        finding.entropy,
        finding.checksum,
        finding.decoded,
        finding.extra,
    )


Key = tuple[bytes, str]
BATCH_BYTES = 4 << 20


def content_key(blob: Blob) -> Key:
    """sha256 of the content, plus the name suffix (the name picks the extractor)."""
    suffix = blob.lower_name.rpartition(".")[2] if "." in blob.name else ""
    return hashlib.sha256(blob.data or b"").digest(), suffix


@dataclass(slots=True)
class ContentCache:
    """Findings per file content; copies met while the first one is being scanned wait."""

    seen: dict[Key, tuple[Origin, list[Finding]]] = field(default_factory=dict)
    waiting: dict[Key, list[Origin]] = field(default_factory=dict)

    def lookup(self, key: Key, origin: Origin) -> list[Finding] | None:
        """The findings at ``origin`` when the content is known (or queued); None to scan it."""
        hit = self.seen.get(key)
        if hit is not None:
            old, findings = hit
            return [rebase(f, old, origin) for f in findings]
        if key in self.waiting:
            self.waiting[key].append(origin)
            return []
        self.waiting[key] = []
        return None

    def store(self, key: Key, origin: Origin, findings: list[Finding]) -> list[Finding]:
        """Record a scanned content; returns its findings at the places that waited for it."""
        self.seen[key] = (origin, findings)
        return [rebase(f, origin, o) for o in self.waiting.pop(key, []) for f in findings]


_worker_state: dict[str, tuple[Matcher, Limits]] = {}


def _worker_init(matcher: Matcher, limits: Limits) -> None:
    _worker_state["ctx"] = (matcher, limits)


def _scan_batch(blobs: list[Blob]) -> list[BlobResult]:
    matcher, limits = _worker_state["ctx"]
    return [scan_blob(blob, matcher, limits) for blob in blobs]


Scanned = tuple[Key, Origin, BlobResult]


class BlobScanner:
    """Scans layer files in this process (``jobs`` <= 1) or in forked workers, in batches, with
    a bounded number of batches in flight (memory stays bounded whatever the image size)."""

    def __init__(self, matcher: Matcher, limits: Limits, jobs: int) -> None:
        self.matcher, self.limits, self.jobs = matcher, limits, jobs
        self.pool: cf.ProcessPoolExecutor | None = None
        if jobs > 1:
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            self.pool = cf.ProcessPoolExecutor(
                max_workers=jobs,
                mp_context=ctx,
                initializer=_worker_init,
                initargs=(matcher, limits),
            )
        self.batch: list[tuple[Key, Blob]] = []
        self.size = 0
        self.inflight: deque[tuple[cf.Future[list[BlobResult]], list[tuple[Key, Origin]]]]
        self.inflight = deque()

    def add(self, key: Key, blob: Blob) -> Iterator[Scanned]:
        if self.pool is None:
            yield key, blob.origin, scan_blob(blob, self.matcher, self.limits)
            return
        self.batch.append((key, blob))
        self.size += blob.size
        if len(self.batch) >= 64 or self.size >= BATCH_BYTES:
            self._submit()
        while len(self.inflight) > 2 * self.jobs:
            yield from self._collect()

    def finish(self) -> Iterator[Scanned]:
        if self.batch:
            self._submit()
        while self.inflight:
            yield from self._collect()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def _submit(self) -> None:
        assert self.pool is not None
        blobs = [blob for _, blob in self.batch]
        meta = [(key, blob.origin) for key, blob in self.batch]
        self.inflight.append((self.pool.submit(_scan_batch, blobs), meta))
        self.batch, self.size = [], 0

    def _collect(self) -> Iterator[Scanned]:
        future, meta = self.inflight.popleft()
        for (key, origin), result in zip(meta, future.result(), strict=True):
            yield key, origin, result


def scan_items(
    items: Iterable[Item], matcher: Matcher, cache: ContentCache, scanner: BlobScanner
) -> tuple[BlobResult, int]:
    """Match what the image code yields; returns the total and the number of layer files."""
    total = BlobResult()
    files = 0

    def done(key: Key, origin: Origin, result: BlobResult) -> None:
        total.merge(result)
        total.findings.extend(cache.store(key, origin, list(result.findings)))

    for item in items:
        if isinstance(item, SourceProblem):
            total.problems.append(item)
            if item.kind == "skip":
                total.skipped += 1
        elif isinstance(item, Blob):
            files += 1
            key = content_key(item)
            known = cache.lookup(key, item.origin)
            if known is not None:
                total.findings.extend(known)
                continue
            for scanned in scanner.add(key, item):
                done(*scanned)
        else:
            total.chunks += 1
            total.bytes += len(item.text)
            total.findings.extend(matcher.scan(item, total.problems))
    for scanned in scanner.finish():
        done(*scanned)
    return total, files


def _guarded(items: Iterator[Item], where: str) -> Iterator[Item]:
    """Read errors below the image code (a file removed mid-scan, no memory) end this input only."""
    try:
        yield from items
    except OSError as exc:
        yield SourceProblem(
            where, f"cannot read ({exc.strerror or type(exc).__name__}); rest skipped"
        )
    except MemoryError:
        yield SourceProblem(where, "out of memory; rest skipped")


def scan_images(
    paths: Sequence[str],
    matcher: Matcher,
    *,
    limits: Limits,
    filters: Sequence[FindingFilter] = (),
    jobs: int = 0,
) -> ScanResult:
    """Every image input in ``paths`` (image tars, OCI layout directories)."""
    started = time.monotonic()
    scanner = BlobScanner(matcher, limits, jobs or os.cpu_count() or 1)
    try:
        total, files = _scan_inputs(paths, matcher, limits, scanner)
    finally:
        scanner.close()
    return finish(total, files, matcher.engine, started, filters)


def _scan_inputs(
    paths: Sequence[str], matcher: Matcher, limits: Limits, scanner: BlobScanner
) -> tuple[BlobResult, int]:
    total = BlobResult()
    cache = ContentCache()
    files = 0
    for given in paths:
        path = Path(given)
        if not path.exists():
            total.problems.append(SourceProblem(given, "no such file or directory", "missing"))
            continue
        store = open_store(path, given)
        if isinstance(store, SourceProblem):
            total.problems.append(store)
            continue
        items = _guarded(iter_image_items(store, Origin(given), limits), given)
        result, count = scan_items(items, matcher, cache, scanner)
        total.merge(result)
        files += count
    return total, files


def merge_results(first: ScanResult, second: ScanResult) -> ScanResult:
    """Two scan results as one (findings re-sorted, stats added)."""
    a, b = first.stats, second.stats
    stats = type(a)(
        files=a.files + b.files,
        bytes=a.bytes + b.bytes,
        chunks=a.chunks + b.chunks,
        skipped=a.skipped + b.skipped,
        problems=a.problems + b.problems,
        suppressed=a.suppressed + b.suppressed,
        seconds=round(a.seconds + b.seconds, 3),
        engine=a.engine or b.engine,
    )
    findings = sorted((*first.findings, *second.findings), key=Finding.sort_key)
    return ScanResult(tuple(findings), stats)


def image(
    paths: Sequence[str],
    settings: Settings,
    *,
    stdout: TextIO,
    warn: Warn,
    rotation: RotationOptions | None = None,
    echo: Warn | None = None,
) -> int:
    config = resolve_config(settings)
    ruleset = build_ruleset(settings, config)
    matcher = build_matcher(settings, config, ruleset)
    limits = build_limits(settings, config)
    filters = build_filters(settings, config)
    result = scan_images(paths, matcher, limits=limits, filters=filters, jobs=settings.jobs)
    missing = [p for p in result.stats.problems if p.kind == "missing"]
    for problem in result.stats.problems:
        warn(str(problem))
    if missing and len(missing) == len(paths):
        raise SourceError(f"{missing[0].where}: no such file or directory")
    rotated = run_rotation(result.findings, config, rotation or RotationOptions(), warn, echo)
    write_report(result.findings, result.stats, settings, ruleset, stdout)
    if missing:
        return int(ExitCode.USER_ERROR)
    return rotated.exit_code(exit_status(result.findings, result.stats, settings))
