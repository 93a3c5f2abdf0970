"""Options and helpers shared by the scanning commands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from scanner.cli.flags import Decorator, apply, choice, file_option, flag, repeatable, shown
from scanner.cli.rotation import command_output, rotation_options
from scanner.cli.verifyopts import verify_options, with_verify
from scanner.escape import terminal_safe
from scanner.models import Confidence, Severity
from scanner.reporters import REPORTERS

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
FORMATS = tuple(REPORTERS)


def _parsed(parse: Callable[[str], T]) -> Callable[[click.Context, click.Parameter, str], T]:
    """A click callback: the option's value through ``parse``, a ``ValueError`` a usage error."""

    def callback(_ctx: click.Context, _param: click.Parameter, value: str) -> T:
        try:
            return parse(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    return callback


def size_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> int | None:
    from scanner.commands.common import parse_size

    if value is None:
        return None
    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


RULE_OPTIONS = [
    file_option(
        "--config",
        "config_path",
        help="Config file (default: .keyguard.toml or [tool.keyguard] in pyproject.toml).",
    ),
    repeatable(
        "--rules",
        "rule_files",
        type=click.Path(exists=True, path_type=Path),
        help="Extra rule file or directory (repeatable).",
    ),
    repeatable(
        "--disable-rule", "disable", help="Rule id to turn off; `prefix*` allowed (repeatable)."
    ),
    repeatable(
        "--only-rule", "only", help="Run only this rule id; `prefix*` allowed (repeatable)."
    ),
    choice(
        "--engine",
        choices=["auto", "hyperscan", "aho-corasick"],
        default="auto",
        help="Multi-pattern prefilter engine.",
    ),
]
"""Which config and rules a command runs with: ``--config``, ``--rules``, ``--disable-rule``,
``--only-rule``, ``--engine`` (every scanning command and ``filter``)."""


def decode_depth_option(most: int, default: int) -> Decorator:
    """``--decode-depth``: how many levels of encoded text a command looks inside (``scan``,
    ``git``, ``image`` and ``filter`` differ only in the range and the default)."""
    return shown(
        "--decode-depth",
        type=click.IntRange(0, most),
        default=default,
        help="Decode base64/hex/percent/escaped text this many levels deep (0: off, fastest).",
    )


def rule_options(func: F) -> F:
    return apply(func, RULE_OPTIONS)


def scan_options(func: F) -> F:
    """Options shared by every scanning command (``scan``, ``git``, ``image``)."""
    options = [
        choice(
            "--format",
            "-f",
            "report_format",
            choices=FORMATS,
            default="text",
            help="Report format.",
        ),
        file_option("--output", "-o", help="Write the report to FILE instead of stdout."),
        flag("--show-secrets", help="Print secrets in full (reports mask them by default)."),
        shown(
            "--fail-on",
            default="info",
            callback=_parsed(Severity.parse),
            help="Exit 1 only for findings at or above this severity.",
        ),
        shown(
            "--min-severity",
            default="low",
            callback=_parsed(Severity.parse),
            help="Report findings at or above this severity. Identifiers and keys their"
            " providers publish to clients (Stripe pk_live_, Sentry DSNs, Mapbox pk.) are info:"
            " --min-severity info reports them too.",
        ),
        shown(
            "--min-confidence",
            default="low",
            callback=_parsed(Confidence.parse),
            help="Drop findings below this confidence (low, medium, high).",
        ),
        decode_depth_option(most=5, default=2),
        flag(
            "--ignore-inline-allow",
            help="Report findings even on lines marked keyguard:allow (audits).",
        ),
        click.option(
            "--all-copies/--collapse-copies",
            default=True,
            help="Report every copy of a value (the default: each is a place to clean), or"
            " only the first copy of a value repeated in test, example or documentation files"
            " of one directory.",
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
        file_option("--baseline", help="Hide findings recorded in this baseline file."),
        flag("--strict", help="Exit 2 when any input could not be scanned."),
        flag("--quiet", "-q", help="No warnings or progress on stderr."),
        click.option("--color/--no-color", default=None, help="Colour the text report."),
    ]
    return rule_options(apply(func, options))


def scanning_options(func: F) -> F:
    """Every option of a scanning command (``scan``, ``git``, ``image``, ``org``): the scan
    options, then rotation's, then ``--verify`` and its companions (that order in ``--help``)."""
    return apply(func, [scan_options, rotation_options, verify_options])


def scanning_from(
    quiet: bool, kwargs: dict[str, Any], search_dirs: tuple[Path, ...] = ()
) -> tuple[Any, Any]:
    """Pop a scanning command's options out of ``kwargs``: where its results go (an
    ``engine.tail.Output`` with rotation and ``--verify`` options) and its ``Settings``."""
    out = with_verify(command_output(quiet, kwargs), kwargs)
    return out, settings_from(kwargs, search_dirs)


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
