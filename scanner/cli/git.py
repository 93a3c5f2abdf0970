"""``keyguard git`` and ``keyguard install-hook``: click wiring only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from scanner.cli.options import scanning_from, scanning_options
from scanner.sources.gitwatch import IDLE_SECONDS


@click.command("git")
@click.argument("repo", required=False, default=".")
@click.option("--branch", metavar="REF", help="Scan the history reachable from REF only.")
@click.option(
    "--since",
    metavar="REV",
    help="Scan the commits in REV..HEAD only (CI on a pull request: --since origin/main).",
)
@click.option("--staged", is_flag=True, help="Scan the index against HEAD (the pre-commit check).")
@click.option(
    "--whole-files",
    is_flag=True,
    help="With --staged: report secrets anywhere in staged files, not only on changed lines.",
)
@click.option(
    "--pre-push",
    "pre_push",
    is_flag=True,
    hidden=True,
    help="Read git's pre-push ref lines from stdin and scan the commits being pushed.",
)
@click.option(
    "--git-timeout",
    "git_timeout",
    type=click.FloatRange(min=1),
    default=IDLE_SECONDS,
    show_default=True,
    metavar="SECONDS",
    help="Stop a git process that makes no progress for this long (a repository that makes "
    "git read a FIFO) and report it.",
)
@scanning_options
def git_cmd(
    repo: str,
    branch: str | None,
    since: str | None,
    staged: bool,
    whole_files: bool,
    pre_push: bool,
    git_timeout: float,
    quiet: bool,
    **kwargs: Any,
) -> None:
    """Scan a git repository: all history (default), --branch, --since, or --staged."""
    from scanner.commands.git import GitTarget
    from scanner.commands.git import git as run_git

    chosen = [
        name
        for name, on in (
            ("--staged", staged),
            ("--branch", branch),
            ("--since", since),
            ("--pre-push", pre_push),
        )
        if on
    ]
    if len(chosen) > 1:
        raise click.UsageError(f"{chosen[0]} and {chosen[1]} cannot be combined")
    if whole_files and not staged:
        raise click.UsageError("--whole-files only applies with --staged")
    lines = tuple(sys.stdin.read().splitlines()) if pre_push else None
    out, settings = scanning_from(quiet, kwargs)
    target = GitTarget(
        repo=repo,
        branch=branch,
        since=since,
        staged=staged,
        whole_files=whole_files,
        pre_push=lines,
        git_timeout=git_timeout,
    )
    code = run_git(target, settings, out)
    sys.exit(code)


@click.command("install-hook")
@click.argument("repo", required=False, default=".", type=click.Path(file_okay=False))
@click.option(
    "--pre-push",
    "pre_push",
    is_flag=True,
    help="Install a pre-push hook (scans the commits being pushed) instead of pre-commit.",
)
@click.option(
    "--force", is_flag=True, help="Overwrite an existing hook that keyguard did not write."
)
def install_hook_cmd(repo: str, pre_push: bool, force: bool) -> None:
    """Write a plain git hook that runs keyguard (pre-commit by default)."""
    from scanner.hooks import install_hook

    path = install_hook(Path(repo), pre_push=pre_push, force=force)
    click.echo(f"keyguard: installed {path}")
