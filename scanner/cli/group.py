"""The ``keyguard`` click group: maps keyguard's exceptions to exit codes (see ``ExitCode``)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import MappingProxyType
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


COMMANDS: Mapping[str, str] = MappingProxyType(
    {
        "baseline": "scanner.cli.baseline:baseline_group",
        "filter": "scanner.cli.filter:filter_cmd",
        "git": "scanner.cli.git:git_cmd",
        "image": "scanner.cli.image:image_cmd",
        "install-hook": "scanner.cli.git:install_hook_cmd",
        "org": "scanner.cli.org:org_cmd",
        "rules": "scanner.cli.rules:rules_group",
        "scan": "scanner.cli.scan:scan_cmd",
    }
)
"""Each command and where it is declared: a command's module (and what it imports to declare
its options) loads only when that command runs, or for ``keyguard --help``."""


class KeyguardGroup(click.Group):
    """Maps keyguard's exceptions to exit codes, inside click (so CliRunner sees them too);
    loads each command's module on first use (``COMMANDS``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is not None:
            return command
        where = COMMANDS.get(cmd_name)
        if where is None:
            return None
        module, _, attr = where.partition(":")
        loaded = getattr(importlib.import_module(module), attr)
        assert isinstance(loaded, click.Command)
        return loaded

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
                import traceback

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
