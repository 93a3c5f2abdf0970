"""Wiring for the CLI: build the redactor and the framer for a format, open the streams, pump."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TextIO

from scanner.commands.common import Settings, build_matcher, build_ruleset, resolve_config
from scanner.errors import SourceError, UserError
from scanner.logfilter.findings import FindingHook, FindingLog, Report
from scanner.logfilter.fluentd import MsgpackFramer
from scanner.logfilter.framing import Framer, LineFramer
from scanner.logfilter.options import Control, Counters, FilterOptions, Format, Streams
from scanner.logfilter.pump import FdSink, run_filter
from scanner.logfilter.records import BlockFilter, LineFilter, TsvFilter
from scanner.logfilter.redactor import Redactor
from scanner.logfilter.sources import ByteSource, FdSource, FollowSource
from scanner.logfilter.structured import JsonFilter, RsyslogFilter
from scanner.rulebook.loader import load_ruleset

RecordFactory = Callable[[Redactor, FilterOptions, Counters, Report], BlockFilter]

RECORD_FILTERS: dict[Format, RecordFactory] = {
    Format.LINES: LineFilter,
    Format.FLUENTD_TSV: TsvFilter,
    Format.JSON: JsonFilter,
    Format.FLUENTD_JSON: lambda *a: JsonFilter(*a, compact=True),
    Format.RSYSLOG: lambda r, o, c, p: RsyslogFilter.for_input(
        r, o, c, p, rsyslog_input=o.rsyslog_input
    ),
}
"""The line-framed formats; ``fluentd-msgpack`` has its own framer."""


def build_framer(
    redactor: Redactor,
    options: FilterOptions,
    counters: Counters,
    report: Report,
    control: Control | None = None,
) -> Framer:
    if options.fmt is Format.FLUENTD_MSGPACK:
        return MsgpackFramer(redactor, options, counters, report, control)
    filt = RECORD_FILTERS[options.fmt](redactor, options, counters, report)
    return LineFramer(filt, counters, control)


def build_redactor(settings: Settings, options: FilterOptions, builtin: bool = True) -> Redactor:
    """The redactor for ``settings``; ``builtin=False`` runs only the configured rule files."""
    config = resolve_config(settings)
    if builtin:
        ruleset = build_ruleset(settings, config)
    else:
        ruleset = load_ruleset(
            [*config.rule_paths, *settings.rule_files],
            builtin=False,
            disabled=[*config.disable, *settings.disable],
            only=[*config.only, *settings.only],
        )
    if not len(ruleset):
        raise UserError("no rules selected: nothing to redact with")
    matcher = build_matcher(settings, config, ruleset)
    return Redactor(matcher, options.redaction, options.origin)


def _open_source(streams: Streams, stdin_fd: int, block_size: int) -> tuple[ByteSource, int | None]:
    if streams.input is None:
        return FdSource(stdin_fd, "<stdin>", block_size), None
    if streams.follow:
        return FollowSource(streams.input, from_end=streams.from_end, block_size=block_size), None
    try:
        fd = os.open(streams.input, os.O_RDONLY)
    except OSError as exc:
        raise SourceError(f"{streams.input}: cannot read ({exc.strerror})") from None
    return FdSource(fd, str(streams.input), block_size), fd


def filter_stream(
    settings: Settings,
    options: FilterOptions,
    streams: Streams,
    *,
    stdin_fd: int,
    stdout_fd: int,
    control: Control,
    on_stats: Callable[[Counters], None] | None = None,
    hook: FindingHook | None = None,
    builtin_rules: bool = True,
) -> tuple[bool, Counters]:
    """Run the filter from the CLI's point of view: open the streams, pump, close.
    Returns (False when the downstream pipe closed, counters)."""
    redactor = build_redactor(settings, options, builtin_rules)
    counters = Counters()
    source, own_fd = _open_source(streams, stdin_fd, options.block_size)
    log_stream: TextIO | None = None
    out_fd: int | None = None
    try:
        if streams.findings is not None:
            try:
                log_stream = open(streams.findings, "a", encoding="utf-8")  # noqa: SIM115
            except OSError as exc:
                raise UserError(f"{streams.findings}: cannot write ({exc.strerror})") from None
        if streams.output is not None:
            try:
                flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
                out_fd = os.open(streams.output, flags, 0o644)
            except OSError as exc:
                raise UserError(f"{streams.output}: cannot write ({exc.strerror})") from None
        report = FindingLog(log_stream, source.name, hook)
        framer = build_framer(redactor, options, counters, report, control)
        sink = FdSink(stdout_fd if out_fd is None else out_fd)
        ok = run_filter(source, sink, framer, counters, options, control, on_stats)
        return ok, counters
    finally:
        source.close()
        for fd in (own_fd, out_fd):
            if fd is not None:
                os.close(fd)
        if log_stream is not None:
            log_stream.close()
