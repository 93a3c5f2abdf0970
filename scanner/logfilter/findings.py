"""The side channel: ``--findings FILE`` (one JSON line per redacted secret, never the secret)
and the hook the rotation engine plugs into."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TextIO

from scanner.models import Finding

FindingHook = Callable[[Sequence[Finding]], None]
"""Receives the findings of each processed block (the rotation engine hooks in here)."""

Report = Callable[[Sequence[tuple[Finding, int]]], None]
"""Receives (finding, record number) pairs as records are redacted."""


class FindingLog:
    """``--findings FILE``: one JSON line per finding (rule, fingerprint, time, line; never
    the secret) plus the hook for the rotation engine."""

    def __init__(self, stream: TextIO | None, source: str, hook: FindingHook | None = None) -> None:
        self.stream = stream
        self.source = source
        self.hook = hook
        self.hook_errors = 0

    def __call__(self, items: Sequence[tuple[Finding, int]]) -> None:
        if self.stream is not None:
            now = datetime.now(UTC).isoformat(timespec="milliseconds")
            for finding, line in items:
                record = {
                    "time": now,
                    "rule": finding.rule_id,
                    "severity": finding.severity.label,
                    "fingerprint": finding.fingerprint,
                    "source": self.source,
                    "line": line,
                }
                self.stream.write(json.dumps(record) + "\n")
            self.stream.flush()
        if self.hook is not None:
            try:
                self.hook([f for f, _ in items])
            except Exception:
                self.hook_errors += 1
