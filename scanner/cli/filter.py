"""``keyguard filter``: the click command (signals, stderr counters, exit status).

Signals: SIGTERM and SIGINT ask the filter to finish what has arrived and end; if that takes
longer than ``STOP_GRACE`` seconds (a rule stuck on a pathological line), or a second signal
comes, the records still being scanned are replaced by the fail-closed marker. SIGUSR1 prints
the counters.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import click

from scanner.cli.flags import choice, file_option, flag, options, shown
from scanner.cli.options import decode_depth_option, rule_options, size_option
from scanner.cli.rotation import rotation_echo, rotation_from, rotation_options
from scanner.errors import ExitCode, UserError
from scanner.logfilter.options import Control, Format, Interrupted, RsyslogInput
from scanner.logfilter.styles import DEFAULT_SALT, Redaction, RedactStyle

SALT_ENV = "KEYGUARD_REDACT_SALT"
STOP_GRACE = 2.0


@click.command("filter")
@options(
    file_option("--input", "-i", "input_path", help="Read this file instead of stdin."),
    flag(
        "--follow",
        "-F",
        help="With --input: keep reading as the file grows, across rotation (like tail -F).",
    ),
    flag("--from-end", help="With --follow: start at the current end of file."),
    file_option("--output", "-o", help="Append to this file instead of writing to stdout."),
    choice(
        "--format",
        "-f",
        "fmt",
        choices=[f.value for f in Format],
        default="lines",
        help="Record framing of the stream.",
    ),
    choice(
        "--rsyslog-input",
        choices=["msg", "fulljson"],
        default="msg",
        help="What mmexternal sends (its interface.input).",
    ),
    choice(
        "--redact",
        "style",
        choices=[s.value for s in RedactStyle],
        default="mask",
        help="mask: [REDACTED:rule]; hash: [REDACTED:rule:hash]; partial: keep 4 chars.",
    ),
    click.option(
        "--hash-salt",
        envvar=SALT_ENV,
        default=DEFAULT_SALT,
        show_default=False,
        help=f"Salt for --redact hash (default: a fixed salt; env {SALT_ENV}).",
    ),
    file_option(
        "--findings",
        "findings_path",
        help="Append one JSON line per finding (rule, fingerprint, time, line) here.",
    ),
    shown(
        "--flush-interval",
        type=click.FloatRange(0.0, 60.0),
        default=0.05,
        help="Longest time (s) busy input is batched before output.",
    ),
    shown(
        "--max-line",
        default="1MiB",
        callback=size_option,
        help="Longest record held in memory; longer lines are redacted in windows.",
    ),
    rule_options,
    shown(
        "--builtin-rules/--no-builtin-rules",
        default=True,
        help="Run the built-in rules (off: only --rules files and config rules).",
    ),
    decode_depth_option(most=3, default=1),
    flag("--quiet", "-q", help="No counters on stderr (implied by --format rsyslog)."),
    rotation_options,
)
def filter_cmd(
    input_path: Path | None,
    follow: bool,
    from_end: bool,
    output: Path | None,
    fmt: str,
    rsyslog_input: str,
    style: str,
    hash_salt: str,
    findings_path: Path | None,
    flush_interval: float,
    max_line: int,
    builtin_rules: bool,
    quiet: bool,
    **kwargs: Any,
) -> None:
    """Copy a log stream (stdin or --input) to stdout with every secret redacted.

    One record out per record in, in order; counters go to stderr at exit and on SIGUSR1.
    """
    from scanner.commands.common import Settings
    from scanner.logfilter.options import Counters, FilterOptions, Streams
    from scanner.logfilter.service import filter_stream

    if follow and input_path is None:
        raise UserError("--follow needs --input FILE")
    if max_line < 4096:
        raise UserError("--max-line must be at least 4KiB")
    rotation = rotation_from(kwargs)
    settings = Settings(ignore_inline_allow=True, **kwargs)
    options = FilterOptions(
        fmt=Format(fmt),
        redaction=Redaction(RedactStyle(style), hash_salt),
        max_line=max_line,
        flush_interval=flush_interval,
        rsyslog_input=RsyslogInput(rsyslog_input),
    )
    if options.overlap * 2 > options.max_line:
        options = dataclasses.replace(options, overlap=options.max_line // 4)
    streams = Streams(input_path, follow, from_end, output, findings_path)
    control = Control()

    def print_stats(counters: Counters) -> None:
        click.echo(f"keyguard filter: {counters.summary()}", err=True)

    if fmt == "rsyslog":
        quiet = True  # mmexternal reads the program's stderr as replies too: keep it silent
    hook = _rotation_hook(settings, rotation, quiet)
    _install_signals(control)
    ok, counters = filter_stream(
        settings,
        options,
        streams,
        stdin_fd=sys.stdin.fileno(),
        stdout_fd=sys.stdout.fileno(),
        control=control,
        on_stats=None if quiet else print_stats,
        hook=hook,
        builtin_rules=builtin_rules,
    )
    if not ok:
        _quiet_stdout()
    if not quiet:
        print_stats(counters)
    sys.exit(int(ExitCode.OK))


def _install_signals(control: Control) -> None:
    def expire() -> None:
        control.expired = True
        if control.scanning:
            raise Interrupted

    def on_stop(_sig: int, _frame: FrameType | None) -> None:
        if control.stop:
            expire()  # a second signal: stop waiting for the records in flight
            return
        control.stop = True
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, STOP_GRACE)

    def on_alarm(_sig: int, _frame: FrameType | None) -> None:
        expire()

    def on_usr1(_sig: int, _frame: FrameType | None) -> None:
        control.stats = True

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, on_alarm)
    if hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, on_usr1)


def _rotation_hook(settings: Any, rotation: Any, quiet: bool) -> Any:
    """Hand each block's findings to the rotation engine when rotation is configured."""
    from scanner.commands.common import resolve_config

    config = resolve_config(settings)
    if not config.rotation and rotation is None:
        return None
    from scanner.rotation import RotationOptions, parse_rotation
    from scanner.rotation import run as run_rotation

    options = rotation or RotationOptions()

    parse_rotation(config.rotation, config.source)  # a bad entry is a user error now, not later

    def warn(message: str) -> None:
        if not quiet:
            click.echo(f"keyguard: warning: {message}", err=True)

    echo = rotation_echo(quiet)

    def hook(findings: Any) -> None:
        run_rotation(findings, config, options, warn, echo)

    return hook


def _quiet_stdout() -> None:
    """After the reader of stdout went away: point stdout at /dev/null so that the
    interpreter's final flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
