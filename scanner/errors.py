"""Exceptions and exit codes.

Exception tree::

    ScannerError                 base of everything keyguard raises on purpose
    └── UserError                exit 2: something the user can fix
        ├── ConfigError          unreadable or invalid .keyguard.toml / [tool.keyguard]
        ├── RuleError            invalid rule file (carries file, rule id and field)
        ├── SourceError          a scan target is missing, unreadable or not what was asked for
        └── BaselineError        unreadable or invalid baseline

Core code raises these and never exits or prints; only ``scanner/cli/`` maps them to exit codes.
Messages never contain secret values.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    FINDINGS = 1
    USER_ERROR = 2
    INTERNAL_ERROR = 3
    ROTATION_FAILED = 4
    INTERRUPTED = 130


class ScannerError(Exception):
    """Base class of keyguard's own exceptions."""


class UserError(ScannerError):
    """A problem the user can fix: bad flag, bad file, missing target (exit 2)."""


class ConfigError(UserError):
    """The configuration file is unreadable or invalid."""


class RuleError(UserError):
    """A rule file is invalid; the message names the file, the rule id and the field."""

    def __init__(self, file: str, rule_id: str | None, field: str | None, message: str) -> None:
        self.file = file
        self.rule_id = rule_id
        self.field = field
        where = file
        if rule_id:
            where += f": rule {rule_id}"
        if field:
            where += f": `{field}`"
        super().__init__(f"{where}: {message}")


class SourceError(UserError):
    """A scan target is missing, unreadable, or not of the kind asked for."""


class BaselineError(UserError):
    """A baseline or ignore file is unreadable or invalid."""
