"""Findings built by hand, for tests of what runs after detection (verification, rotation)."""

from __future__ import annotations

from scanner.models import Confidence, Finding, Origin, Position, Severity
from scanner.secret import Secret


def make_finding(
    rule_id: str,
    secret: str,
    *,
    path: str = "app.env",
    members: tuple[str, ...] = (),
    line: int = 1,
    column: int = 1,
    detail: tuple[tuple[str, str], ...] = (),
    parts: tuple[tuple[str, str], ...] = (),
    description: str = "synthetic finding",
    entropy: float = 4.0,
) -> Finding:
    """A high-severity, high-confidence finding of ``secret`` at ``path:line:column`` (ending
    on the same line). ``members`` is the chain of containers inside ``path`` (archive members,
    image layers), ``detail`` the origin's provenance (``lease_id``, ...), ``parts`` the
    match's named groups."""
    return Finding(
        rule_id=rule_id,
        description=description,
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        origin=Origin(path, members, detail),
        position=Position(line, column, line, column + len(secret), line),
        secret=Secret(secret),
        entropy=entropy,
        parts=tuple((name, Secret(value)) for name, value in parts),
    )
