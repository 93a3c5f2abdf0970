"""Options and helpers shared by the scanning commands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from scanner.escape import terminal_safe
from scanner.models import Confidence, Severity

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("text", "json", "jsonl", "sarif", "github")


def _severity(_ctx: click.Context, _param: click.Parameter, value: str) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _confidence(_ctx: click.Context, _param: click.Parameter, value: str) -> Confidence:
    try:
        return Confidence.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def size_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> int | None:
    from scanner.commands.common import parse_size

    if value is None:
        return None
    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


RULE_OPTIONS = [
    click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Config file (default: .keyguard.toml or [tool.keyguard] in pyproject.toml).",
    ),
    click.option(
        "--rules",
        "rule_files",
        multiple=True,
        type=click.Path(exists=True, path_type=Path),
        help="Extra rule file or directory (repeatable).",
    ),
    click.option(
        "--disable-rule",
        "disable",
        multiple=True,
        help="Rule id to turn off; `prefix*` allowed (repeatable).",
    ),
    click.option(
        "--only-rule",
        "only",
        multiple=True,
        help="Run only this rule id; `prefix*` allowed (repeatable).",
    ),
    click.option(
        "--engine",
        type=click.Choice(["auto", "hyperscan", "aho-corasick"]),
        default="auto",
        show_default=True,
        help="Multi-pattern prefilter engine.",
    ),
]
"""Which config and rules a command runs with: ``--config``, ``--rules``, ``--disable-rule``,
``--only-rule``, ``--engine`` (every scanning command and ``filter``)."""


def rule_options(func: F) -> F:
    for option in reversed(RULE_OPTIONS):
        func = option(func)
    return func


def scan_options(func: F) -> F:
    """Options shared by every scanning command (``scan``, ``git``, ``image``)."""
    options = [
        click.option(
            "--format",
            "-f",
            "report_format",
            type=click.Choice(FORMATS),
            default="text",
            show_default=True,
            help="Report format.",
        ),
        click.option(
            "--output",
            "-o",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write the report to FILE instead of stdout.",
        ),
        click.option(
            "--show-secrets",
            is_flag=True,
            help="Print secrets in full (reports mask them by default).",
        ),
        click.option(
            "--fail-on",
            default="info",
            show_default=True,
            callback=_severity,
            help="Exit 1 only for findings at or above this severity.",
        ),
        click.option(
            "--min-confidence",
            default="low",
            show_default=True,
            callback=_confidence,
            help="Drop findings below this confidence (low, medium, high).",
        ),
        click.option(
            "--decode-depth",
            type=click.IntRange(0, 5),
            default=2,
            show_default=True,
            help="Decode base64/hex/percent/escaped text this many levels deep.",
        ),
        click.option(
            "--ignore-inline-allow",
            is_flag=True,
            help="Report findings even on lines marked keyguard:allow (audits).",
        ),
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(0, 256),
            default=0,
            help="Worker processes (default: all cores).",
        ),
        click.option(
            "--max-file-size",
            callback=size_option,
            help="Skip files larger than this (e.g. 20MB; default 100MB).",
        ),
        click.option(
            "--baseline",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Hide findings recorded in this baseline file.",
        ),
        click.option("--strict", is_flag=True, help="Exit 2 when any input could not be scanned."),
        click.option("--quiet", "-q", is_flag=True, help="No warnings or progress on stderr."),
        click.option("--color/--no-color", default=None, help="Colour the text report."),
    ]
    for option in reversed(options):
        func = option(func)
    return rule_options(func)


def settings_from(kwargs: dict[str, Any], search_dirs: tuple[Path, ...] = ()) -> Any:
    from scanner.commands.common import Settings

    color = kwargs.pop("color")
    if color is None:
        color = sys.stdout.isatty() and kwargs.get("output") is None
    keys = set(Settings.__dataclass_fields__) - {"color", "search_dirs"}
    values = {k: kwargs.pop(k) for k in list(kwargs) if k in keys}
    return Settings(**values, color=color, search_dirs=search_dirs)


def warner(quiet: bool) -> Callable[[str], None]:
    def warn(message: str) -> None:
        if not quiet:
            # names in warnings come from the scanned tree: no escape sequences reach the tty
            click.echo(f"keyguard: warning: {terminal_safe(message)}", err=True)

    return warn


def progress_bar(quiet: bool) -> Any:
    if quiet or not sys.stderr.isatty():
        return None
    from rich.progress import Progress

    return Progress(transient=True, console=None)
