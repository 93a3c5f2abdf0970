"""keyguard: a secret-leak scanner and pre-commit guard."""

from __future__ import annotations

from scanner.__about__ import __version__
from scanner.errors import (
    BaselineError,
    ConfigError,
    ExitCode,
    RuleError,
    ScannerError,
    SourceError,
    UserError,
)
from scanner.models import Chunk, Confidence, Finding, Origin, Severity, SourceProblem
from scanner.secret import Secret

__all__ = [
    "BaselineError",
    "Chunk",
    "Confidence",
    "ConfigError",
    "ExitCode",
    "Finding",
    "Origin",
    "RuleError",
    "ScannerError",
    "Secret",
    "Severity",
    "SourceError",
    "SourceProblem",
    "UserError",
    "__version__",
]
