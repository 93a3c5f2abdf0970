"""Per-blob and whole-scan results, and the end of every scan: dedupe, suppress, sort, count."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from scanner.assessment_repeats import REPEATED, collapse_repeats
from scanner.models import Finding, Origin, ScanStats, SourceProblem

FindingFilter = Callable[[Finding], str | None]
"""A suppression: returns a reason to drop the finding, or None to keep it."""


@dataclass(slots=True)
class BlobResult:
    """What scanning one blob (or a batch of them) produced."""

    findings: list[Finding] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    bytes: int = 0
    chunks: int = 0
    skipped: int = 0

    def merge(self, other: BlobResult, findings: bool = True) -> None:
        """Add ``other``'s counts and problems (and its findings unless ``findings`` is False:
        sources that attribute findings themselves, such as git history)."""
        if findings:
            self.findings.extend(other.findings)
        self.problems.extend(other.problems)
        self.bytes += other.bytes
        self.chunks += other.chunks
        self.skipped += other.skipped

    def __reduce__(
        self,
    ) -> tuple[type[BlobResult], tuple[list[Finding], list[SourceProblem], int, int, int]]:
        # the fields in order: a worker's results cross to the parent about four times
        # cheaper than through the slots dataclass's generic state
        return BlobResult, (self.findings, self.problems, self.bytes, self.chunks, self.skipped)

    def problem(self, item: SourceProblem) -> None:
        self.problems.append(item)
        if item.kind == "skip":
            self.skipped += 1


@dataclass(frozen=True, slots=True)
class ScanResult:
    findings: tuple[Finding, ...]
    stats: ScanStats


def rebase(finding: Finding, old: Origin, new: Origin) -> Finding:
    """``finding`` (found under ``old``) as if found under ``new`` (the same content elsewhere)."""
    o = finding.origin
    origin = Origin(
        new.path,
        new.members + o.members[len(old.members) :],
        new.detail + o.detail[len(old.detail) :],
        new.kind,
    )
    return replace(finding, origin=origin)


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
    kept, by_source = suppress(findings, filters)
    return kept, sum(by_source.values())


def suppress(
    findings: Iterable[Finding], filters: Sequence[FindingFilter]
) -> tuple[list[Finding], dict[str, int]]:
    """The findings no filter drops, and how many each suppression source (the first filter
    that names a reason) dropped."""
    kept: list[Finding] = []
    by_source: dict[str, int] = {}
    for f in findings:
        reason = next((r for r in (flt(f) for flt in filters) if r is not None), None)
        if reason is None:
            kept.append(f)
        else:
            by_source[reason] = by_source.get(reason, 0) + 1
    return kept, by_source


def _counts(*parts: Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    total: dict[str, int] = {}
    for part in parts:
        for source, count in part:
            total[source] = total.get(source, 0) + count
    return tuple(sorted(total.items()))


def finish(
    total: BlobResult,
    files: int,
    engine: str,
    started: float,
    filters: Sequence[FindingFilter],
    *,
    all_copies: bool = True,
) -> ScanResult:
    """The scan's result: findings deduplicated and suppressed, copies of a fixture value
    collapsed when not ``all_copies`` (``--collapse-copies``), sorted, with the counts."""
    findings, by_source = suppress(dedupe(total.findings), filters)
    findings, repeats = (findings, 0) if all_copies else collapse_repeats(findings)
    if repeats:
        by_source[REPEATED] = repeats
    suppressed = sum(by_source.values())
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
        suppressed_by=_counts(by_source.items()),
    )
    return ScanResult(tuple(findings), stats)


def merge_results(first: ScanResult, second: ScanResult) -> ScanResult:
    """Two scan results as one (findings re-sorted, stats added)."""
    a, b = first.stats, second.stats
    stats = ScanStats(
        files=a.files + b.files,
        bytes=a.bytes + b.bytes,
        chunks=a.chunks + b.chunks,
        skipped=a.skipped + b.skipped,
        problems=a.problems + b.problems,
        suppressed=a.suppressed + b.suppressed,
        seconds=round(a.seconds + b.seconds, 3),
        engine=a.engine or b.engine,
        suppressed_by=_counts(a.suppressed_by, b.suppressed_by),
    )
    findings = sorted((*first.findings, *second.findings), key=Finding.sort_key)
    return ScanResult(tuple(findings), stats)
