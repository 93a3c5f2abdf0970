"""What the filter is told (formats, options, streams) and what it counts."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from pathlib import Path

from scanner.logfilter.styles import Redaction
from scanner.models import Origin

BLOCK_SIZE = 1 << 20
MARKER = "[keyguard: record dropped: processing error]"
TOO_LONG = "[keyguard: record dropped: longer than --max-line]"
FLUENTD_EXTRA = "pip install 'keyguard[fluentd]'"


class Format(enum.Enum):
    """Record framings of the stream (``--format``)."""

    LINES = "lines"
    JSON = "json"
    FLUENTD_TSV = "fluentd-tsv"
    FLUENTD_JSON = "fluentd-json"
    FLUENTD_MSGPACK = "fluentd-msgpack"
    RSYSLOG = "rsyslog"


class RsyslogInput(enum.Enum):
    """What rsyslog ``mmexternal`` sends (its ``interface.input``)."""

    MSG = "msg"
    FULLJSON = "fulljson"


@dataclass(frozen=True, slots=True)
class FilterOptions:
    fmt: Format = Format.LINES
    redaction: Redaction = field(default_factory=Redaction)
    max_line: int = 1 << 20
    flush_interval: float = 0.05
    block_size: int = BLOCK_SIZE
    group_bytes: int = 65536
    rsyslog_input: RsyslogInput = RsyslogInput.MSG
    overlap: int = 8192
    origin: Origin = field(default_factory=lambda: Origin("<stdin>", kind="log"))
    jobs: int = 0  # processes for large blocks of text lines (``logfilter.parallel``); 0: CPUs

    def __post_init__(self) -> None:
        # accept the flag spellings ("json", "fulljson") as well as the enum members
        object.__setattr__(self, "fmt", Format(self.fmt))
        object.__setattr__(self, "rsyslog_input", RsyslogInput(self.rsyslog_input))


@dataclass(frozen=True, slots=True)
class Streams:
    """Where the filter reads and writes (``None``: stdin / stdout)."""

    input: Path | None = None
    follow: bool = False
    from_end: bool = False
    output: Path | None = None
    findings: Path | None = None


@dataclass(slots=True)
class Counters:
    """Running totals of one filter run (shown on SIGUSR1 and at exit)."""

    lines: int = 0
    bytes: int = 0
    redactions: int = 0
    errors: int = 0
    started: float = field(default_factory=time.monotonic)

    def summary(self) -> str:
        secs = max(time.monotonic() - self.started, 1e-9)
        return (
            f"{self.lines} lines, {self.bytes} bytes, {self.redactions} redactions, "
            f"{self.errors} errors ({self.lines / secs:,.0f} lines/s)"
        )


class Interrupted(BaseException):
    """Raised by the CLI's signal handlers while a record is being scanned, after a stop was
    requested and its grace period ran out: the records in flight become markers."""


@dataclass(slots=True)
class Control:
    """Flags set from signal handlers and looked at between blocks.

    ``stop``: finish what has arrived and end. ``expired``: the stop's grace period is over;
    records not yet scanned become markers. ``scanning``: a record is being scanned now (a
    handler may raise ``Interrupted``). ``stats``: print the counters."""

    stop: bool = False
    stats: bool = False
    expired: bool = False
    scanning: bool = False
