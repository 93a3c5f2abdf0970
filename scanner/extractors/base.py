"""The extractor seam: turn a blob into nested blobs, text chunks and problems."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from scanner.blob import Blob
from scanner.models import Chunk, SourceProblem


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on nested content, per top-level input."""

    max_depth: int = 4
    max_file_size: int = 100 * 1024 * 1024
    max_member_size: int = 64 * 1024 * 1024
    max_total_bytes: int = 512 * 1024 * 1024
    max_ratio: int = 200
    max_members: int = 100_000
    max_rule_seconds: float = 30.0  # CPU time one rule may spend confirming in one input


@dataclass(slots=True)
class Budget:
    """Bytes and members still allowed for one top-level input (a per-scan local, not global)."""

    limits: Limits
    bytes_left: int = 0
    members_left: int = 0
    exhausted: bool = field(default=False)

    @classmethod
    def for_limits(cls, limits: Limits) -> Budget:
        return cls(limits, limits.max_total_bytes, limits.max_members)

    def take(self, nbytes: int) -> bool:
        """Charge ``nbytes`` and one member; False when the budget would be exceeded."""
        if nbytes > self.bytes_left or self.members_left <= 0:
            self.exhausted = True
            return False
        self.bytes_left -= nbytes
        self.members_left -= 1
        return True


Item = Blob | Chunk | SourceProblem


class Extractor(Protocol):
    """Recognises one kind of content and yields what is inside it."""

    name: str

    def accepts(self, blob: Blob, head: bytes) -> bool: ...

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]: ...
