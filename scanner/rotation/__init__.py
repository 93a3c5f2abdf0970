"""Rotation hook: take leaked credentials out of circulation (``[[rotation]]``, ``--rotate``).

Every scanning command calls ``run(findings, config, options, warn, echo)`` once its findings are
final, and applies ``summary.exit_code(status)`` to its own exit status. See docs/rotation.md.
"""

from __future__ import annotations

from scanner.rotation.base import Provider, RotationError, RotationRequest, Target
from scanner.rotation.config import RotationEntry, parse_rotation
from scanner.rotation.engine import (
    PROVIDERS,
    ROTATION_ERROR_EXIT,
    ActionResult,
    RotationOptions,
    RotationSummary,
    run,
)
from scanner.rotation.state import RotationStateError

__all__ = [
    "PROVIDERS",
    "ROTATION_ERROR_EXIT",
    "ActionResult",
    "Provider",
    "RotationEntry",
    "RotationError",
    "RotationOptions",
    "RotationRequest",
    "RotationStateError",
    "RotationSummary",
    "Target",
    "parse_rotation",
    "run",
]
