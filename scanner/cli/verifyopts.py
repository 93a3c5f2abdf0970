"""The ``--verify`` flags of ``scan``, ``git``, ``image`` and ``org`` (docs/verification.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import click

from scanner.cli.flags import apply, flag

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R", bound="DataclassInstance")
_VERIFY_KEYS = (
    "verify",
    "only_verified",
    "fail_on_verified",
    "verify_timeout",
    "verify_concurrency",
    "verify_rate",
    "verify_cache_ttl",
    "custom_verifiers",
    "verify_connect_databases",
)
_DURATION = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LIMITS = (
    (
        "--verify-timeout",
        click.FloatRange(0.1, 120),
        "Seconds to wait for a provider (default 10).",
    ),
    ("--verify-concurrency", click.IntRange(1, 64), "Requests in flight at once (default 8)."),
    (
        "--verify-rate",
        click.FloatRange(0.1, 100),
        "Requests per second to any one host (default 5).",
    ),
)
"""The numeric ``--verify-*`` limits. None has a click default: unset is None, so that
``verify_from`` can tell a given flag ("needs --verify") and ``ClientOptions`` /
``VerifyOptions`` keep their own defaults."""


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    text = value.strip().lower()
    unit = _DURATION.get(text[-1:], 0)
    number = text[:-1] if unit else text
    try:
        seconds = float(number) * (unit or 1)
    except ValueError:
        raise click.BadParameter(f"not a duration: {value!r} (e.g. 3600, 30m, 24h, 7d)") from None
    if not 0 <= seconds <= 366 * 86400:
        raise click.BadParameter("must be from 0 (no cache) to 366d")
    return seconds


def verify_options(func: F) -> F:
    """``--verify`` and its companions (``scan``, ``git``, ``image``, ``org``;
    docs/verification.md)."""
    return apply(
        func,
        [
            flag(
                "--verify",
                help="Ask each provider whether the found credentials are live (network; off "
                "by default).",
            ),
            flag("--only-verified", help="With --verify: report only live findings."),
            flag(
                "--fail-on-verified", help="With --verify: exit 1 only when a live finding exists."
            ),
            *(click.option(name, type=kind, help=text) for name, kind, text in _LIMITS),
            click.option(
                "--verify-cache-ttl",
                callback=_duration,
                help="Reuse live/invalid answers this long (default 24h; 0: no cache).",
            ),
            flag(
                "--custom-verifiers",
                help="Also run verifiers of the rule files given with --rules (never those of "
                "config files or the scanned tree).",
            ),
            flag(
                "--verify-connect-databases",
                help="With --verify: also verify database URLs (postgres://, mysql://) by "
                "connecting to the host each URL names (needs keyguard[verify-db]).",
            ),
        ],
    )


def verify_from(kwargs: dict[str, Any]) -> Any:
    """Pop the ``--verify`` flags out of a command's ``**kwargs``: ``VerifyOptions`` or None
    (the default: no verification, no network). The test-only routes come from the
    environment here, never from a file."""
    import os

    values = {k: kwargs.pop(k, None) for k in _VERIFY_KEYS}
    if not values["verify"]:
        given = [k for k, v in values.items() if v not in (None, False)]
        if given:
            raise click.UsageError(f"--{given[0].replace('_', '-')} needs --verify")
        return None
    from scanner.verify.http import ClientOptions
    from scanner.verify.routing import Routes
    from scanner.verify.runner import VerifyOptions

    client = _given(
        ClientOptions(routes=Routes.from_env(os.environ)),
        timeout=values["verify_timeout"],
        rate=values["verify_rate"],
    )
    options = VerifyOptions(
        client=client,
        only_verified=bool(values["only_verified"]),
        fail_on_verified=bool(values["fail_on_verified"]),
        custom_verifiers=bool(values["custom_verifiers"]),
        connect_databases=bool(values["verify_connect_databases"]),
    )
    return _given(
        options, concurrency=values["verify_concurrency"], cache_ttl=values["verify_cache_ttl"]
    )


def _given(record: R, **values: Any) -> R:
    """``record`` (a dataclass) with the fields whose flag was given (not None) replaced."""
    return replace(record, **{k: v for k, v in values.items() if v is not None})


def with_verify(out: Any, kwargs: dict[str, Any]) -> Any:
    """``out`` (an ``engine.tail.Output``) with the ``--verify`` options popped from ``kwargs``."""
    return replace(out, verify=verify_from(kwargs))
