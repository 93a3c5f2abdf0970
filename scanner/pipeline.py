"""Wiring only: sources → blobs → chunks → matcher → findings → filters.

``scan_blob`` is the unit of work; ``scan_paths`` spreads file targets over worker processes
(fork: the compiled matcher is inherited, not rebuilt) and returns findings in a deterministic
order.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from scanner.blob import Blob
from scanner.extractors import Budget, Extractor, Limits, expand
from scanner.matcher import Matcher
from scanner.models import Finding, Origin, ScanStats, SourceProblem
from scanner.sources.files import FileTarget, WalkOptions, iter_targets

FindingFilter = Callable[[Finding], str | None]
"""A post-scan filter: returns a reason to drop the finding, or None to keep it."""

ProgressFn = Callable[[int, int], None]


@dataclass(slots=True)
class BlobResult:
    findings: list[Finding] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    bytes: int = 0
    chunks: int = 0
    skipped: int = 0

    def merge(self, other: BlobResult) -> None:
        self.findings.extend(other.findings)
        self.problems.extend(other.problems)
        self.bytes += other.bytes
        self.chunks += other.chunks
        self.skipped += other.skipped


@dataclass(frozen=True, slots=True)
class ScanResult:
    findings: tuple[Finding, ...]
    stats: ScanStats


def scan_blob(
    blob: Blob,
    matcher: Matcher,
    limits: Limits,
    extractors: Sequence[Extractor] | None = None,
) -> BlobResult:
    """Every finding in one blob and in what it contains."""
    result = BlobResult(bytes=blob.size)
    budget = Budget.for_limits(limits)
    try:
        for item in expand(blob, budget, extractors):
            if isinstance(item, SourceProblem):
                result.problems.append(item)
                if item.kind == "skip":
                    result.skipped += 1
                continue
            result.chunks += 1
            result.findings.extend(matcher.scan(item, result.problems))
    except OSError as exc:
        result.problems.append(
            SourceProblem(blob.origin.display, f"cannot read ({exc.strerror or exc}); skipped")
        )
        result.skipped += 1
    except MemoryError:
        result.problems.append(SourceProblem(blob.origin.display, "out of memory; skipped"))
        result.skipped += 1
    except Exception as exc:  # a bug or an input no extractor anticipated: never stop the scan
        result.problems.append(
            SourceProblem(
                blob.origin.display,
                f"internal error while scanning ({type(exc).__name__}); skipped",
            )
        )
        result.skipped += 1
    return result


def scan_target(target: FileTarget, matcher: Matcher, limits: Limits) -> BlobResult:
    blob = Blob.from_path(target.path, Origin(path=target.display), target.size)
    return scan_blob(blob, matcher, limits)


# Worker processes: the matcher is handed over once, by fork, and kept per process.
_worker_state: dict[str, tuple[Matcher, Limits]] = {}


def _worker_init(matcher: Matcher, limits: Limits) -> None:
    _worker_state["ctx"] = (matcher, limits)


def _worker_batch(targets: list[FileTarget]) -> BlobResult:
    matcher, limits = _worker_state["ctx"]
    out = BlobResult()
    for target in targets:
        out.merge(scan_target(target, matcher, limits))
    return out


def _batches(
    targets: Sequence[FileTarget], max_files: int = 64, max_bytes: int = 4 << 20
) -> Iterator[list[FileTarget]]:
    batch: list[FileTarget] = []
    size = 0
    for target in targets:
        batch.append(target)
        size += target.size
        if len(batch) >= max_files or size >= max_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def scan_paths(
    paths: Sequence[str],
    matcher: Matcher,
    *,
    walk: WalkOptions,
    limits: Limits,
    jobs: int = 0,
    filters: Sequence[FindingFilter] = (),
    progress: ProgressFn | None = None,
) -> ScanResult:
    started = time.monotonic()
    targets: list[FileTarget] = []
    total = BlobResult()
    for item in iter_targets(paths, walk):
        if isinstance(item, SourceProblem):
            total.problems.append(item)
            total.skipped += 1
        else:
            targets.append(item)
    jobs = jobs or os.cpu_count() or 1
    total_bytes = sum(t.size for t in targets)
    if jobs <= 1 or len(targets) < 32 or total_bytes < (2 << 20):
        for done, target in enumerate(targets, 1):
            total.merge(scan_target(target, matcher, limits))
            if progress:
                progress(done, len(targets))
    else:
        total.merge(_scan_parallel(targets, matcher, limits, jobs, progress))
    return finish(total, len(targets), matcher.engine, started, filters)


def _scan_parallel(
    targets: Sequence[FileTarget],
    matcher: Matcher,
    limits: Limits,
    jobs: int,
    progress: ProgressFn | None,
) -> BlobResult:
    import concurrent.futures as cf  # only parallel scans need these (keeps the hook fast)
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    out = BlobResult()
    done = 0
    with cf.ProcessPoolExecutor(
        max_workers=jobs, mp_context=ctx, initializer=_worker_init, initargs=(matcher, limits)
    ) as pool:
        futures = [pool.submit(_worker_batch, batch) for batch in _batches(targets)]
        for future, batch in zip(futures, _batches(targets), strict=True):
            out.merge(future.result())
            done += len(batch)
            if progress:
                progress(done, len(targets))
    return out


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per (place, rule, offset): overlapping windows report a match once."""
    seen: set[tuple[str, str, int, int, str]] = set()
    out: list[Finding] = []
    for f in findings:
        key = (f.origin.display, f.rule_id, f.position.line, f.position.column, f.secret.digest())
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def apply_filters(
    findings: Iterable[Finding], filters: Sequence[FindingFilter]
) -> tuple[list[Finding], int]:
    kept: list[Finding] = []
    dropped = 0
    for f in findings:
        if any(flt(f) is not None for flt in filters):
            dropped += 1
        else:
            kept.append(f)
    return kept, dropped


def finish(
    total: BlobResult,
    files: int,
    engine: str,
    started: float,
    filters: Sequence[FindingFilter],
) -> ScanResult:
    findings, suppressed = apply_filters(dedupe(total.findings), filters)
    findings.sort(key=Finding.sort_key)
    stats = ScanStats(
        files=files,
        bytes=total.bytes,
        chunks=total.chunks,
        skipped=total.skipped,
        problems=tuple(p for p in total.problems if p.kind != "skip"),
        suppressed=suppressed,
        seconds=round(time.monotonic() - started, 3),
        engine=engine,
    )
    return ScanResult(tuple(findings), stats)
