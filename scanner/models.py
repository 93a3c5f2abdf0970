"""Records that flow through the pipeline: Origin → Chunk → Match → Finding."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Self

from scanner.secret import Secret


class _Level(enum.IntEnum):
    """An ordered level that config files and flags name in words (``high``, ``medium``...)."""

    @classmethod
    def parse(cls, text: str) -> Self:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(level.label for level in cls)
            raise ValueError(f"unknown {cls.__name__.lower()} {text!r} (one of {names})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


class Severity(_Level):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


class Confidence(_Level):
    LOW = 1
    MEDIUM = 2
    HIGH = 3


@dataclass(frozen=True, slots=True)
class Origin:
    """Where content was seen.

    ``path`` is the path as the user gave it joined with the relative path; ``members`` the chain
    of containers inside it (archive members, image layers, model members), so that the display
    path is ``path!member!member``; ``detail`` free-form provenance (commit, cell, layer, key, ...).
    """

    path: str
    members: tuple[str, ...] = ()
    detail: tuple[tuple[str, str], ...] = ()
    kind: str = "file"

    @property
    def display(self) -> str:
        return "!".join((self.path, *self.members))

    def child(self, member: str, **detail: str) -> Origin:
        return Origin(
            path=self.path,
            members=(*self.members, member),
            detail=self.detail + tuple(detail.items()),
            kind=self.kind,
        )

    def with_detail(self, **detail: str) -> Origin:
        return Origin(self.path, self.members, self.detail + tuple(detail.items()), self.kind)

    def detail_dict(self) -> dict[str, str]:
        return dict(self.detail)


@dataclass(frozen=True, slots=True)
class Chunk:
    """Text to match, with where it came from.

    ``first_line`` is the line (1-based) of the chunk's first character in the displayed file;
    ``line_map``, when set, gives the displayed-file line for each chunk line (notebook cells).
    ``offset`` is the character offset of the chunk in a larger text (windows of big files).
    ``depth`` counts decoding passes (base64 inside base64...).
    """

    text: str
    origin: Origin
    first_line: int = 1
    first_column: int = 1
    line_map: tuple[int, ...] | None = None
    offset: int = 0
    depth: int = 0
    path_for_rules: str = ""


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """A per-item problem: the item is skipped (or partly scanned) and the scan goes on."""

    where: str
    message: str
    kind: str = "warning"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int
    end_line: int
    end_column: int
    chunk_line: int


class VerifyStatus(enum.Enum):
    """What ``--verify`` learnt about a finding (docs/verification.md)."""

    LIVE = "live"  # the provider accepted the credential
    INVALID = "invalid"  # the provider rejected it (also revoked)
    UNKNOWN = "unknown"  # no verifier, or an ambiguous answer
    ERROR = "error"  # network error, timeout, throttled after retries


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of verifying one finding; ``detail`` never holds the secret."""

    status: VerifyStatus
    verifier: str = ""
    detail: str = ""

    def record(self) -> dict[str, str]:
        return {"status": self.status.value, "verifier": self.verifier, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class RotationStatus:
    """What the rotation run did about a finding's secret (by fingerprint): ``status`` is
    planned, rotated, skipped, failed or no-target; ``detail`` never holds the secret."""

    status: str
    provider: str = ""
    target: str = ""
    detail: str = ""

    def record(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Finding:
    """One occurrence of a secret found by a rule."""

    rule_id: str
    description: str
    severity: Severity
    confidence: Confidence
    origin: Origin
    position: Position
    secret: Secret
    entropy: float
    checksum: str | None = None
    decoded: str | None = None
    extra: tuple[tuple[str, str], ...] = ()
    parts: tuple[tuple[str, Secret], ...] = ()
    """Named groups of the match a verifier asks for (``{part:NAME}``), masked like the secret."""
    verification: Verification | None = None
    """Set by ``--verify`` only."""
    rotation: RotationStatus | None = None
    """Set by the engine tail when rotation ran (plan or ``--rotate``) for this secret."""

    @property
    def fingerprint(self) -> str:
        return self.secret.fingerprint()

    @property
    def path(self) -> str:
        return self.origin.display

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.origin.display, self.position.line, self.position.column, self.rule_id)


@dataclass(frozen=True, slots=True)
class ScanStats:
    files: int = 0
    bytes: int = 0
    chunks: int = 0
    skipped: int = 0
    problems: tuple[SourceProblem, ...] = ()
    suppressed: int = 0
    seconds: float = 0.0
    engine: str = ""
    suppressed_by: tuple[tuple[str, int], ...] = ()
    """(suppression source, findings it hid), sorted by source: what each allow list,
    baseline, ``.keyguardignore`` and the ``keyguard:allow`` markers suppressed."""
