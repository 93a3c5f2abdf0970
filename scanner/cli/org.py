"""``keyguard org MANIFEST``: click wiring, the progress bar and the summary line."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import click

from scanner.cli.options import scanning_from, scanning_options, size_option


@click.command("org")
@click.argument("manifest", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--cluster",
    metavar="ADDRESS",
    help="Run on a Dask cluster (tcp://HOST:PORT of its scheduler; needs keyguard[dask]). "
    "Default: local worker processes, nothing to start.",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite state of earlier runs (default: $XDG_STATE_HOME/keyguard/org.sqlite); "
    "clones go next to it.",
)
@click.option("--full", is_flag=True, help="Ignore the state: scan every blob again.")
@click.option(
    "--progress/--no-progress",
    "show_progress",
    default=None,
    help="Progress bar on stderr (default: when stderr is a terminal; --progress forces it).",
)
@click.option(
    "--batch-size",
    "batch_bytes",
    callback=size_option,
    default=None,
    metavar="SIZE",
    help="Bytes of blobs per task (default 4MiB).",
)
@scanning_options
def org_cmd(
    manifest: Path,
    cluster: str | None,
    state_path: Path | None,
    full: bool,
    show_progress: bool | None,
    batch_bytes: int | None,
    quiet: bool,
    **kwargs: Any,
) -> None:
    """Scan every repository of an organisation (a manifest: one path or clone URL per line,
    or TOML [[repo]] tables), locally or on a Dask cluster, incrementally."""
    from scanner.org.command import OrgOptions
    from scanner.org.command import org as run_org
    from scanner.org.plan import BATCH_BYTES
    from scanner.org.scan import Tuning

    out, settings = scanning_from(quiet, kwargs)
    options = OrgOptions(
        manifest=manifest,
        cluster=cluster,
        state=state_path,
        tuning=Tuning(batch_bytes=batch_bytes or BATCH_BYTES, full=full),
    )
    wanted = sys.stderr.isatty() if show_progress is None else show_progress
    bar = _bar(force=show_progress is True) if wanted and not quiet else None
    echo = out.echo

    def note(line: str) -> None:  # the run is over: the bar goes before the summary
        if bar is not None:
            bar.stop()
        if echo is not None and not quiet:
            echo(line)

    with bar if bar is not None else contextlib.nullcontext():
        progress = _Advance(bar) if bar is not None else None
        code = run_org(options, settings, out, progress, note=note)
    sys.exit(code)


def _bar(force: bool) -> Any:
    """A transient bar on stderr; ``--progress`` draws it even when stderr is not a terminal."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True, force_terminal=True if force else None)
    return Progress(transient=True, console=console)


class _Advance:
    """One bar per phase (listing, scanning, attributing)."""

    LABELS = {"list": "listing repositories", "scan": "scanning blobs", "attribute": "attributing"}

    def __init__(self, bar: Any) -> None:
        self.bar = bar
        self.tasks: dict[str, Any] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase not in self.tasks:
            self.tasks[phase] = self.bar.add_task(self.LABELS.get(phase, phase), total=total)
        self.bar.update(self.tasks[phase], completed=done, total=total)
