"""The ``keyguard`` click group: maps keyguard's exceptions to exit codes (see ``ExitCode``)."""

from __future__ import annotations

import traceback
from typing import Any

import click

from scanner.__about__ import __version__
from scanner.errors import ExitCode, UserError
from scanner.escape import terminal_safe


class UserErrorExit(click.ClickException):
    """Click adapter for ``UserError``: prints one line and exits 2."""

    exit_code = int(ExitCode.USER_ERROR)

    def show(self, file: Any = None) -> None:
        click.echo(f"keyguard: error: {terminal_safe(self.format_message())}", err=True)


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
    return terminal_safe(text[:200])


@click.group(cls=KeyguardGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="keyguard")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """keyguard: find exposed credentials in code, history, notebooks, models, images and logs."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
