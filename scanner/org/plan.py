"""Work units sized by content: unique blobs packed into batches of about ``BATCH_BYTES``.

Each blob id is scanned once across the organisation, read from one repository that holds it
(the first listed); a batch groups its blobs by that repository so a worker reads each group
through one ``cat-file``. A monorepo becomes many batches; a hundred tiny repositories share one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from scanner.org.repos import Where

BATCH_BYTES = 4 << 20
BATCH_BLOBS = 2000

Group = tuple[Where, tuple[tuple[str, str], ...]]
Batch = tuple[Group, ...]


@dataclass(frozen=True, slots=True)
class Planned:
    """A blob to scan: its id, size, the path it is scanned at and the repository read."""

    sha: str
    size: int
    path: str
    where: Where


def batches(
    blobs: Iterable[Planned], max_bytes: int = BATCH_BYTES, max_blobs: int = BATCH_BLOBS
) -> Iterator[Batch]:
    """``blobs`` (in repository order) packed into batches of about ``max_bytes``."""
    groups: list[Group] = []
    current: Where | None = None
    items: list[tuple[str, str]] = []
    size = count = 0
    for blob in blobs:
        if current is not None and blob.where != current:
            groups.append((current, tuple(items)))
            items = []
        current = blob.where
        items.append((blob.sha, blob.path))
        size += max(blob.size, 1)
        count += 1
        if size >= max_bytes or count >= max_blobs:
            groups.append((current, tuple(items)))
            yield tuple(groups)
            groups, items, current, size, count = [], [], None, 0, 0
    if items and current is not None:
        groups.append((current, tuple(items)))
    if groups:
        yield tuple(groups)


@dataclass(slots=True)
class RepoStats:
    """One repository's part of the run: ``status`` is scanned, unchanged or failed."""

    status: str = "pending"
    listed: int = 0
    errors: list[str] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return {"status": self.status, "blobs_listed": self.listed, "errors": list(self.errors)}


@dataclass(slots=True)
class OrgStats:
    """What the org scan did: repositories, blobs listed and deduplicated, tasks, time."""

    repositories: int = 0
    failed: int = 0
    unchanged: int = 0
    listed: int = 0
    unique: int = 0
    known_clean: int = 0
    scanned: int = 0
    rescanned: int = 0
    batches: int = 0
    tasks: int = 0
    workers: int = 0
    runner: str = ""
    list_seconds: float = 0.0
    scan_seconds: float = 0.0
    attribute_seconds: float = 0.0
    per_repo: dict[str, RepoStats] = field(default_factory=dict)

    def repo(self, name: str) -> RepoStats:
        """The stats of repository ``name`` (created on first use)."""
        return self.per_repo.setdefault(name, RepoStats())

    @property
    def shared(self) -> int:
        """Listed blob entries that were copies of a blob another repository also holds."""
        return self.listed - self.unique

    def record(self) -> dict[str, Any]:
        return {
            "repositories": self.repositories,
            "failed": self.failed,
            "unchanged": self.unchanged,
            "blobs_listed": self.listed,
            "blobs_unique": self.unique,
            "blobs_shared": self.shared,
            "blobs_known_clean": self.known_clean,
            "blobs_scanned": self.scanned,
            "blobs_rescanned": self.rescanned,
            "batches": self.batches,
            "tasks": self.tasks,
            "workers": self.workers,
            "runner": self.runner,
            "seconds": {
                "list": round(self.list_seconds, 3),
                "scan": round(self.scan_seconds, 3),
                "attribute": round(self.attribute_seconds, 3),
            },
            "per_repository": {name: r.record() for name, r in self.per_repo.items()},
        }

    def summary(self) -> str:
        return (
            f"{self.repositories} repositories ({self.failed} failed, {self.unchanged} "
            f"unchanged); {self.listed} blobs listed, {self.unique} unique ({self.shared} "
            f"shared copies scanned once); {self.scanned} scanned, {self.rescanned} re-read "
            f"for findings, {self.known_clean} known clean; {self.batches} batches on "
            f"{self.runner} ({self.workers} workers)"
        )
