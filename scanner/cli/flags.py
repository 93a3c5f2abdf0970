"""Builders for the click options the commands declare.

A command lists its options as a table; each entry says only what is particular to it (names,
help, default) while the shapes that recur (a file path, an on/off flag, a value whose default
``--help`` shows, a choice) are written once here::

    @click.command()
    @options(
        file_option("--output", "-o", help="Write here instead of stdout."),
        flag("--quiet", "-q", help="No counters."),
    )
    def cmd(output: Path | None, quiet: bool) -> None: ...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
Decorator = Callable[[Any], Any]


def apply(func: F, decorators: Sequence[Decorator]) -> F:
    """``func`` under ``decorators``, the first one outermost (first in ``--help``)."""
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def options(*decorators: Decorator) -> Callable[[F], F]:
    """One decorator for a table of options (see ``apply``)."""

    def decorate(func: F) -> F:
        return apply(func, decorators)

    return decorate


def file_option(*decls: str, help: str, **attrs: Any) -> Decorator:
    """A path to a file (not a directory); None when not given."""
    return click.option(*decls, type=click.Path(dir_okay=False, path_type=Path), help=help, **attrs)


def flag(*decls: str, help: str) -> Decorator:
    """An on/off flag, off by default."""
    return click.option(*decls, is_flag=True, help=help)


def shown(*decls: str, default: Any, help: str, **attrs: Any) -> Decorator:
    """An option whose default ``--help`` shows."""
    return click.option(*decls, default=default, show_default=True, help=help, **attrs)


def choice(*decls: str, choices: Sequence[str], default: str, help: str) -> Decorator:
    """One of ``choices``, the default shown."""
    return shown(*decls, type=click.Choice(list(choices)), default=default, help=help)


def repeatable(*decls: str, help: str, **attrs: Any) -> Decorator:
    """An option given any number of times; a tuple of its values."""
    return click.option(*decls, multiple=True, help=help, **attrs)
