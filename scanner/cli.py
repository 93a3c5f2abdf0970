"""Command line: click group and commands. The only module that prints or exits.

Exit codes: 0 clean, 1 findings (at or above ``--fail-on``), 2 user error, 3 internal error,
130 interrupted.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from scanner.__about__ import __version__
from scanner.cli_rotation import rotation_echo, rotation_from, rotation_options
from scanner.errors import ExitCode, UserError
from scanner.models import Confidence, Severity

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("text", "json", "jsonl", "sarif", "github")


class UserErrorExit(click.ClickException):
    """Click adapter for ``UserError``: prints one line and exits 2."""

    exit_code = int(ExitCode.USER_ERROR)

    def show(self, file: Any = None) -> None:
        click.echo(f"keyguard: error: {self.format_message()}", err=True)


class KeyguardGroup(click.Group):
    """Maps keyguard's exceptions to exit codes, inside click (so CliRunner sees them too)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            raise UserErrorExit(str(exc)) from None
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("keyguard: interrupted", err=True)
            ctx.exit(int(ExitCode.INTERRUPTED))
        except BrokenPipeError:
            ctx.exit(int(ExitCode.OK))
        except Exception as exc:
            if (ctx.obj or {}).get("debug"):
                traceback.print_exc()
            else:
                name = type(exc).__name__
                click.echo(
                    f"keyguard: internal error: {name}: {_safe(exc)} "
                    "(rerun with --debug for a traceback)",
                    err=True,
                )
            ctx.exit(int(ExitCode.INTERNAL_ERROR))


def _safe(exc: BaseException) -> str:
    """One line of an unexpected exception's text (never a secret: none reach exceptions)."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text[:200]


@click.group(cls=KeyguardGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="keyguard")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """keyguard: find exposed credentials in code, history, notebooks, models, images and logs."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


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


def _size(_ctx: click.Context, _param: click.Parameter, value: str | None) -> int | None:
    from scanner.commands.common import parse_size

    if value is None:
        return None
    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


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
            "--engine",
            type=click.Choice(["auto", "hyperscan", "aho-corasick"]),
            default="auto",
            show_default=True,
            help="Multi-pattern prefilter engine.",
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
            callback=_size,
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
    return func


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
            click.echo(f"keyguard: warning: {message}", err=True)

    return warn


def progress_bar(quiet: bool) -> Any:
    if quiet or not sys.stderr.isatty():
        return None
    from rich.progress import Progress

    return Progress(transient=True, console=None)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--no-ignore", is_flag=True, help="Scan files that .gitignore excludes too.")
@scan_options
@rotation_options
def scan(paths: tuple[str, ...], no_ignore: bool, quiet: bool, **kwargs: Any) -> None:
    """Scan files and directories (archives, notebooks and model files included)."""
    from scanner.commands.scan import scan as run_scan

    search = tuple(Path(p) for p in paths[:1] if Path(p).is_dir())
    rotation = rotation_from(kwargs)
    settings = settings_from(kwargs, search)
    bar = progress_bar(quiet)
    with bar if bar is not None else contextlib.nullcontext():
        progress = None
        if bar is not None:
            progress = functools.partial(_advance, bar, bar.add_task("scanning", total=None))
        code = run_scan(
            paths,
            settings,
            use_ignore=not no_ignore,
            stdout=sys.stdout,
            warn=warner(quiet),
            progress=progress,
            rotation=rotation,
            echo=rotation_echo(quiet),
        )
    sys.exit(code)


def _advance(bar: Any, task: Any, done: int, total: int) -> None:
    bar.update(task, completed=done, total=total)


@main.group()
def rules() -> None:
    """List and check detection rules."""


@rules.command("list")
@click.option(
    "--rules",
    "rule_files",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Extra rule file or directory.",
)
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules_list(rule_files: tuple[Path, ...], fmt: str) -> None:
    """List the rules (built-in plus extra files)."""
    import json

    from scanner.rulebook.loader import load_ruleset

    ruleset = load_ruleset(rule_files)
    if fmt == "json":
        items = [
            {
                "id": r.id,
                "name": r.spec.name,
                "severity": r.spec.severity.label,
                "confidence": r.spec.confidence.label,
                "tags": list(r.spec.tags),
            }
            for r in ruleset
        ]
        click.echo(json.dumps(items, indent=2))
        return
    for r in ruleset:
        click.echo(f"{r.id:<40} {r.spec.severity.label:<8} {r.spec.name}")
    click.echo(f"{len(ruleset)} rules")


@rules.command("check")
@click.argument("files", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--warnings-as-errors", is_flag=True, help="Fail on warnings too.")
def rules_check(files: tuple[Path, ...], warnings_as_errors: bool) -> None:
    """Check rule files (default: the built-in rules): patterns compile, examples behave."""
    from scanner.rulebook.check import check_specs
    from scanner.rulebook.loader import builtin_rules_dir, load_specs

    specs = load_specs(list(files) or [builtin_rules_dir()])
    issues = check_specs(specs)
    for issue in issues:
        click.echo(str(issue), err=True)
    errors = sum(1 for i in issues if i.level == "error")
    warnings = len(issues) - errors
    click.echo(f"{len(specs)} rules checked: {errors} error(s), {warnings} warning(s)")
    if errors or (warnings_as_errors and warnings):
        sys.exit(int(ExitCode.FINDINGS))


from scanner.cli_git import git_cmd as _git_cmd  # noqa: E402

main.add_command(_git_cmd)
from scanner.cli_git import install_hook_cmd as _install_hook_cmd  # noqa: E402

main.add_command(_install_hook_cmd)
from scanner.cli_filter import filter_cmd as _filter_cmd  # noqa: E402

main.add_command(_filter_cmd)
from scanner.cli_image import image as _image  # noqa: E402

main.add_command(_image)
from scanner.cli_baseline import baseline_group as _baseline_group  # noqa: E402

main.add_command(_baseline_group)
