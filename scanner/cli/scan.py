"""``keyguard scan PATH...``: click wiring only."""

from __future__ import annotations

import contextlib
import functools
import sys
from pathlib import Path
from typing import Any

import click

from scanner.cli.options import progress_bar, scanning_from, scanning_options


@click.command("scan")
@click.argument("paths", nargs=-1, required=True)
@click.option("--no-ignore", is_flag=True, help="Scan files that .gitignore excludes too.")
@scanning_options
def scan_cmd(paths: tuple[str, ...], no_ignore: bool, quiet: bool, **kwargs: Any) -> None:
    """Scan files and directories (archives, notebooks and model files included)."""
    from scanner.commands.scan import scan as run_scan

    search = tuple(Path(p) for p in paths[:1] if Path(p).is_dir())
    out, settings = scanning_from(quiet, kwargs, search)
    bar = progress_bar(quiet)
    with bar if bar is not None else contextlib.nullcontext():
        progress = None
        if bar is not None:
            progress = functools.partial(_advance, bar, bar.add_task("scanning", total=None))
        code = run_scan(paths, settings, out, use_ignore=not no_ignore, progress=progress)
    sys.exit(code)


def _advance(bar: Any, task: Any, done: int, total: int) -> None:
    bar.update(task, completed=done, total=total or None)
