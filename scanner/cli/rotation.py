"""The rotation flags shared by ``scan``, ``git``, ``image`` and ``filter`` (see docs/rotation.md).

Use::

    @main.command()
    @scan_options
    @rotation_options
    def mycommand(quiet: bool, **kwargs):
        rotation = rotation_from(kwargs)        # pops the rotation flags
        settings = settings_from(kwargs)
        ...
        summary = scanner.rotation.run(findings, config, rotation, warn, rotation_echo(quiet))
        code = summary.exit_code(code)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from scanner.cli.flags import apply, file_option, flag

if TYPE_CHECKING:  # the engine (and its HTTP clients) loads only when rotation runs
    from scanner.engine.tail import Output
    from scanner.rotation.engine import RotationOptions

F = TypeVar("F", bound=Callable[..., Any])
_KEYS = ("rotate", "rotation_plan", "fail_on_rotation_error", "rotation_state", "rotation_audit")


def rotation_options(func: F) -> F:
    """Add ``--rotate``, ``--rotation-plan``, ``--fail-on-rotation-error``, ``--rotation-state``
    and ``--rotation-audit`` to a command."""
    return apply(
        func,
        [
            flag(
                "--rotate",
                help="Rotate leaked secrets that match a [[rotation]] entry (changes them!).",
            ),
            click.option(
                "--rotation-plan/--no-rotation-plan",
                default=None,
                help="Print which secret would be rotated and how (default when rotation is "
                "configured).",
            ),
            flag("--fail-on-rotation-error", help="Exit 4 when a rotation failed."),
            file_option(
                "--rotation-state",
                help="Rotation state file (default: .keyguard-rotation-state.json).",
            ),
            file_option(
                "--rotation-audit",
                help="Rotation audit log, JSONL (default: .keyguard-rotation-audit.jsonl).",
            ),
        ],
    )


def rotation_from(kwargs: dict[str, Any]) -> RotationOptions | None:
    """Pop the rotation flags out of a command's ``**kwargs``; None when none was given (the
    defaults), so that commands load the rotation engine only when it can matter."""
    values = {k: kwargs.pop(k, None) for k in _KEYS}
    if not any(values.values()) and values["rotation_plan"] is None:
        return None
    from scanner.rotation.engine import RotationOptions

    return RotationOptions(
        rotate=bool(values["rotate"]),
        plan=values["rotation_plan"],
        fail_on_error=bool(values["fail_on_rotation_error"]),
        state_file=values["rotation_state"],
        audit_file=values["rotation_audit"],
    )


def rotation_echo(quiet: bool) -> Callable[[str], None]:
    """Plan and outcome lines go to stderr (the report owns stdout)."""

    from scanner.escape import terminal_safe

    def echo(message: str) -> None:
        if not quiet:
            click.echo(f"keyguard: {terminal_safe(message)}", err=True)

    return echo


def command_output(quiet: bool, kwargs: dict[str, Any]) -> Output:
    """Where a scanning command's results go (pops the rotation flags out of ``kwargs``)."""
    import sys

    from scanner.cli.options import warner
    from scanner.engine.tail import Output

    return Output(
        stdout=sys.stdout,
        warn=warner(quiet),
        echo=rotation_echo(quiet),
        rotation=rotation_from(kwargs),
    )
