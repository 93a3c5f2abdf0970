"""``keyguard baseline create|update``: click wiring only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from scanner.cli.options import scan_options, settings_from, warner


@click.group("baseline")
def baseline_group() -> None:
    """Record current findings so that scans hide them (adopting the gate on an existing repo)."""


@baseline_group.command("create")
@click.argument("paths", nargs=-1)
@click.option(
    "--git",
    "use_git",
    is_flag=True,
    help="Record the findings of the git history of the repository at PATH (default .).",
)
@click.option("--branch", metavar="REF", help="With --git: only the history reachable from REF.")
@scan_options
def baseline_create(
    paths: tuple[str, ...], use_git: bool, branch: str | None, quiet: bool, **kwargs: Any
) -> None:
    """Scan PATHS (default .) or, with --git, the history, and write the baseline file
    (--output, default .keyguard-baseline.json)."""
    from scanner.baseline import DEFAULT_BASELINE
    from scanner.commands.baseline import create, source_for

    if branch and not use_git:
        raise click.UsageError("--branch only applies with --git")
    output = kwargs.get("output") or Path(DEFAULT_BASELINE)
    settings = settings_from(kwargs)
    source = source_for(paths, use_git, branch)
    code, baseline = create(source, output, settings, warn=warner(quiet))
    if not quiet:
        click.echo(f"keyguard: wrote {output} ({len(baseline)} finding(s))", err=True)
    sys.exit(code)


@baseline_group.command("update")
@click.argument("baseline_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@scan_options
def baseline_update(baseline_file: Path | None, quiet: bool, **kwargs: Any) -> None:
    """Rescan what the baseline was made from and drop the entries that are fixed."""
    from scanner.baseline import DEFAULT_BASELINE
    from scanner.commands.baseline import update

    path = baseline_file or kwargs.get("baseline") or Path(DEFAULT_BASELINE)
    settings = settings_from(kwargs)
    kept, removed = update(path, settings, warn=warner(quiet))
    if not quiet:
        click.echo(f"keyguard: {path}: kept {kept}, removed {removed} fixed finding(s)", err=True)
    sys.exit(0)
