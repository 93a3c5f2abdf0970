"""Command line: one module per command, loaded when that command runs (``group.COMMANDS``),
shared options in ``options``; the only package that prints to the terminal or exits.

Exit codes are ``scanner.errors.ExitCode``: 0 clean, 1 findings (at or above ``--fail-on``),
2 user error, 3 internal error, 4 a rotation failed (with ``--fail-on-rotation-error``),
130 interrupted.
"""

from __future__ import annotations

from scanner.cli.group import main

__all__ = ["main"]
