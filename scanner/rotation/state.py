"""The rotation state file (which fingerprints were rotated) and the JSONL audit log.

Neither ever holds a secret: fingerprints are salted digests, targets are names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scanner.errors import UserError
from scanner.safewrite import append_text, replace_file

STATE_VERSION = 1
DEFAULT_STATE_FILE = Path(".keyguard-rotation-state.json")
DEFAULT_AUDIT_FILE = Path(".keyguard-rotation-audit.jsonl")


class RotationStateError(UserError):
    """The state file exists but cannot be read: refuse to rotate (it could rotate twice)."""


class RotationState:
    """Rotated fingerprints, loaded once and saved (atomically) after each success."""

    def __init__(self, path: Path, rotated: dict[str, dict[str, Any]]) -> None:
        self.path = path
        self.rotated = rotated

    @classmethod
    def load(cls, path: Path) -> RotationState:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path, {})
        except (OSError, UnicodeDecodeError) as exc:
            raise RotationStateError(f"{path}: cannot read rotation state ({exc})") from None
        try:
            data = json.loads(text)
        except ValueError:
            raise RotationStateError(f"{path}: rotation state is not valid JSON") from None
        rotated = data.get("rotated") if isinstance(data, dict) else None
        if not isinstance(rotated, dict) or data.get("version") != STATE_VERSION:
            raise RotationStateError(f"{path}: not a keyguard rotation state (version 1) file")
        return cls(path, {str(k): dict(v) for k, v in rotated.items() if isinstance(v, dict)})

    def get(self, fingerprint: str) -> Mapping[str, Any] | None:
        return self.rotated.get(fingerprint)

    def record(self, fingerprint: str, info: dict[str, Any]) -> None:
        self.rotated[fingerprint] = info
        data = {"version": STATE_VERSION, "rotated": dict(sorted(self.rotated.items()))}
        try:
            replace_file(self.path, json.dumps(data, indent=2, sort_keys=True) + "\n")
        except OSError as exc:
            raise RotationStateError(f"{self.path}: cannot write rotation state ({exc})") from None


class AuditLog:
    """Append-only JSONL: one record per action attempt and result."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, record: Mapping[str, Any]) -> None:
        try:
            append_text(self.path, json.dumps(record, sort_keys=True) + "\n")
        except OSError as exc:
            raise RotationStateError(
                f"{self.path}: cannot write rotation audit log ({exc})"
            ) from None

    def touch(self) -> None:
        """Fail before any change when the log cannot be written."""
        try:
            append_text(self.path, "")
        except OSError as exc:
            raise RotationStateError(
                f"{self.path}: cannot write rotation audit log ({exc})"
            ) from None
