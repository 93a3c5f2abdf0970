"""Command line: one module per command, shared options in ``options``; the only package that
prints to the terminal or exits.

Exit codes are ``scanner.errors.ExitCode``: 0 clean, 1 findings (at or above ``--fail-on``),
2 user error, 3 internal error, 4 a rotation failed (with ``--fail-on-rotation-error``),
130 interrupted.
"""

from __future__ import annotations

from scanner.cli.baseline import baseline_group
from scanner.cli.filter import filter_cmd
from scanner.cli.git import git_cmd, install_hook_cmd
from scanner.cli.group import main
from scanner.cli.image import image_cmd
from scanner.cli.org import org_cmd
from scanner.cli.rules import rules_group
from scanner.cli.scan import scan_cmd

for _command in (scan_cmd, git_cmd, image_cmd, filter_cmd, baseline_group, install_hook_cmd):
    main.add_command(_command)
main.add_command(rules_group)
main.add_command(org_cmd)

__all__ = ["main"]
