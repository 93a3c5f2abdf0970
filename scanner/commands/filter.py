"""``keyguard filter``: pass a log stream through with every secret redacted.

Speed comes from batching: the input is read in blocks of whole records, the prefilter (Hyperscan
when installed) runs once over a block, a clean block is written through as it came, and only
groups of lines the prefilter flags go through ``Matcher.scan`` and redaction. Every record in
gives exactly one record out, in order; a record that cannot be processed is replaced by a marker
and counted (fail closed), never written unredacted.

Formats (``FORMATS``): ``lines`` (text lines), ``json`` (JSON lines, strings redacted inside),
``fluentd-tsv`` / ``fluentd-json`` / ``fluentd-msgpack`` (Fluentd ``exec_filter`` framings) and
``rsyslog`` (``mmexternal``: one JSON reply per message, ``{}`` when unchanged).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TextIO

from scanner import msgpack
from scanner.commands.common import Settings, build_matcher, build_ruleset, resolve_config
from scanner.errors import SourceError, UserError
from scanner.matcher import Matcher
from scanner.models import Chunk, Finding, Origin
from scanner.redact import Redaction, Span, apply_spans, merge_spans, spans_for_findings
from scanner.rulebook.loader import load_ruleset
from scanner.sources.logs import BLOCK_SIZE, ByteSource, FdSource, FollowSource

FORMATS = ("lines", "json", "fluentd-tsv", "fluentd-json", "fluentd-msgpack", "rsyslog")
RSYSLOG_INPUTS = ("msg", "fulljson")
MARKER = "[keyguard: record dropped: processing error]"
TOO_LONG = "[keyguard: record dropped: longer than --max-line]"
MAX_PASSES = 4

FindingHook = Callable[[Sequence[Finding]], None]
"""Receives the findings of each processed block (the rotation engine hooks in here)."""


class RedactionError(Exception):
    """A text could not be brought to a state without findings."""


@dataclass(slots=True)
class Counters:
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


@dataclass(frozen=True, slots=True)
class FilterOptions:
    fmt: str = "lines"
    redaction: Redaction = field(default_factory=Redaction)
    max_line: int = 1 << 20
    flush_interval: float = 0.05
    block_size: int = BLOCK_SIZE
    group_bytes: int = 16384
    rsyslog_input: str = "msg"
    overlap: int = 8192
    origin: Origin = field(default_factory=lambda: Origin("<stdin>", kind="log"))


class Redactor:
    """Matcher-backed redaction of one text, repeated until the text holds no finding."""

    def __init__(self, matcher: Matcher, policy: Redaction, origin: Origin) -> None:
        self.matcher = matcher
        self.policy = policy
        self.origin = origin
        self._n = len(matcher.ruleset)
        self._decode = matcher.policy.decode_depth > 0

    def is_dirty(self, text: str) -> bool:
        """Whether ``text`` may hold a secret (False is certain; True needs a scan).

        Without decoding: a rule's prefilter hit, in the text or in its escape view (see
        ``_escape_view``). With decoding also a decoder trigger (a keyword's base64/hex form) or
        escapes the matcher always decodes (``%xx``, ``\\u``, ``\\x``), mirroring when
        ``Matcher.scan`` looks inside encoded text."""
        if self._dirty(text):
            return True
        return "\\" in text and self._dirty(_escape_view(text))

    def _dirty(self, text: str) -> bool:
        candidates = self.matcher.prefilter.candidates(text)
        if self._decode:
            return bool(candidates) or "%" in text or "\\u" in text or "\\x" in text
        return any(i < self._n for i in candidates)

    def scan(self, text: str) -> list[Finding]:
        return self.find_spans(text)[1]

    def find_spans(self, text: str) -> tuple[list[Span], list[Finding]]:
        """Secret spans in ``text`` and their findings.

        The matcher sees ``text`` with undecodable bytes as U+FFFD, and, when the text holds
        backslash escapes (JSON or C strings logged as text: ``"token\\nghp_..."``), a second
        view with each two-character escape blanked, so that a secret right after ``\\n`` still
        starts at a word boundary. Both views keep every offset of ``text``."""
        view = _scan_view(text)
        spans: list[Span] = []
        findings: list[Finding] = []
        views = [view, _escape_view(view)] if "\\" in view else [view]
        for candidate in views:
            if not self._dirty(candidate):
                continue
            found = self.matcher.scan(Chunk(candidate, self.origin))
            for span, finding in zip(spans_for_findings(candidate, found), found, strict=True):
                if not any(span.start < s.end and s.start < span.end for s in spans):
                    spans.append(span)
                    findings.append(finding)
        return spans, findings

    def redact(self, text: str, separators: str = "\n") -> tuple[str, list[Finding]]:
        """``text`` with its secrets replaced, and the findings (``chunk_line`` is the line of
        ``text``). Raises ``RedactionError`` when the output still holds findings."""
        found: list[Finding] = []
        for _ in range(MAX_PASSES):
            spans, findings = self.find_spans(text)
            if not findings:
                return text, found
            found.extend(findings)
            text = apply_spans(text, spans, self.policy, separators)
        if self.scan(text):
            raise RedactionError("text still holds findings after redaction")
        return text, found


# Bytes that are not UTF-8 arrive as lone surrogates (surrogateescape). The matcher sees them as
# U+FFFD instead: one character for one, so every offset stays valid in the original text.
_SURROGATE_VIEW = {c: 0xFFFD for c in range(0xDC80, 0xDD00)}


def _scan_view(text: str) -> str:
    return text if text.isascii() else text.translate(_SURROGATE_VIEW)


_TWO_CHAR_ESCAPE = re.compile(r'\\[nrtbfv0"\'/\\]')


def _escape_view(text: str) -> str:
    """``text`` with two-character backslash escapes (``\\n``, ``\\"``, ``\\\\``...) blanked."""
    return _TWO_CHAR_ESCAPE.sub("  ", text)


Report = Callable[[Sequence[tuple[Finding, int]]], None]


class Framer(Protocol):
    def feed(self, data: bytes, final: bool = False) -> bytes:
        """Output for the complete records in ``data`` (and the rest, when ``final``)."""
        ...


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


_JSON_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|.)")
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "/": "/", "\\": "\\"}


def _unescape(m: re.Match[str]) -> str:
    esc = m.group(0)
    if esc[1] == "u":
        return chr(int(esc[2:], 16))
    return _SIMPLE.get(esc[1], " ")


def json_view(text: str) -> str:
    """JSON text with string escapes undone, for the prefilter (not for redaction)."""
    return _JSON_ESCAPE.sub(_unescape, text) if "\\" in text else text


class LineFilter:
    """Text lines; also the base of the other line-framed formats."""

    separators = "\n"
    windowed = True

    def __init__(
        self, redactor: Redactor, options: FilterOptions, counters: Counters, report: Report
    ):
        self.redactor = redactor
        self.options = options
        self.counters = counters
        self.report = report
        # the last block held a secret: skip the whole-block check, go to groups at once
        self._dirty_hint = False

    # -- per format hooks ---------------------------------------------------------------------
    def view(self, text: str) -> str:
        return text

    def clean_output(self, block: bytes) -> bytes:
        return block

    def marker(self, reason: str = MARKER) -> str:
        return reason

    def redact_record(self, line: str, record: int) -> str:
        new, findings = self.redactor.redact(line, self.separators)
        self._count(findings, record)
        return new

    # -- shared machinery -----------------------------------------------------------------------
    def _count(self, findings: Sequence[Finding], record: int, per_line: bool = False) -> None:
        if findings:
            self.counters.redactions += len(findings)
            line = (
                (lambda f: record + f.position.chunk_line - 1) if per_line else (lambda f: record)
            )
            self.report([(f, line(f)) for f in findings])

    def process(self, block: bytes, first: int) -> bytes:
        """Output for ``block`` (whole records, each ending in a newline except perhaps the last
        at end of input); ``first`` is the number of its first record.

        One prefilter pass over the block; when it flags something, groups of about
        ``group_bytes`` are checked again and only flagged groups are scanned and redacted."""
        text = _decode(block)
        size = self.options.group_bytes
        if not self._dirty_hint and not self.redactor.is_dirty(self.view(text)):
            return self.clean_output(block)
        self._dirty_hint = False
        out: list[str] = []
        start, counted, record = 0, 0, first
        while start < len(text):
            cut = text.find("\n", start + size)
            end = len(text) if cut == -1 else cut + 1
            group = text[start:end]
            if self.redactor.is_dirty(self.view(group)):
                self._dirty_hint = True
                record += text.count("\n", counted, start)
                counted = start
                lines = group.split("\n")
                if group.endswith("\n"):
                    lines.pop()
                    out.append("\n".join(self._group(lines, record)) + "\n")
                else:
                    out.append("\n".join(self._group(lines, record)))
            else:
                out.append(self.clean_text(group))
            start = end
        return _encode("".join(out))

    def clean_text(self, group: str) -> str:
        return group

    def _group(self, lines: list[str], first: int) -> list[str]:
        group = "\n".join(lines)
        if type(self).redact_record is LineFilter.redact_record and len(lines) > 1:
            try:
                new, findings = self.redactor.redact(group, self.separators)
                result = new.split("\n")
                if len(result) == len(lines):
                    self._count(findings, first, per_line=True)
                    return result
            except Exception:  # noqa: S110 - retried line by line below
                pass
        return [
            self._line(line, first + j)
            if self.redactor.is_dirty(self.view(line))
            else self.clean_lines([line])[0]
            for j, line in enumerate(lines)
        ]

    def clean_lines(self, lines: list[str]) -> list[str]:
        return lines

    def _line(self, line: str, record: int) -> str:
        try:
            out = self.redact_record(line, record)
            if "\n" in out:
                raise RedactionError("a record turned into several")
            return out
        except Exception:
            self.counters.errors += 1
            return self.marker()

    def window(self, text: str, record: int) -> tuple[str, str]:
        """Redact the head of an over-long line: (output now, text kept for the next window).
        The last ``overlap`` characters are kept back unless a secret crosses into them."""
        found, findings = self.redactor.find_spans(text)
        spans = merge_spans(found)
        cut = len(text) - self.options.overlap
        for span in spans:
            if span.start < cut < span.end:
                cut = span.end
        kept = [s for s in spans if s.end <= cut]
        head = apply_spans(text[:cut], kept, self.redactor.policy, self.separators)
        head, more = self.redactor.redact(head, self.separators)
        self._count([*findings, *more], record)
        return head, text[cut:]


class TsvFilter(LineFilter):
    """Fluentd ``tsv`` framing: fields joined by tabs; a redaction never removes a tab."""

    separators = "\n\t"


class JsonFilter(LineFilter):
    """JSON lines: strings (keys and values) redacted inside the parsed value; key order,
    duplicate keys and number spellings kept; a record that is not JSON is redacted as text."""

    windowed = False

    def __init__(self, *args: Any, compact: bool | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.compact = compact

    def view(self, text: str) -> str:
        return json_view(text)

    def marker(self, reason: str = MARKER) -> str:
        return json.dumps({"message": reason})

    def redact_record(self, line: str, record: int) -> str:
        if not self.redactor.is_dirty(json_view(line)):
            return line
        try:
            value = json.loads(line, **_RAW_HOOKS)
        except ValueError:
            return super().redact_record(line, record)
        found: list[Finding] = []
        new = _walk(value, self.redactor, found)
        if not found:
            return line
        self._count(found, record)
        compact = self.compact if self.compact is not None else '": ' not in line
        return _dump(new, compact)


class RsyslogFilter(LineFilter):
    """rsyslog ``mmexternal``: per message, ``{}`` when unchanged, else ``{"msg": "..."}``."""

    windowed = False

    def __init__(self, *args: Any, fulljson: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fulljson = fulljson

    def view(self, text: str) -> str:
        return json_view(text) if self.fulljson else text

    def process(self, block: bytes, first: int) -> bytes:
        out = super().process(block, first)
        return out if out.endswith(b"\n") else out + b"\n"

    def clean_output(self, block: bytes) -> bytes:
        return b"{}\n" * (block.count(b"\n") + (0 if block.endswith(b"\n") else 1))

    def clean_text(self, group: str) -> str:
        return "{}\n" * (group.count("\n") + (0 if group.endswith("\n") else 1))

    def clean_lines(self, lines: list[str]) -> list[str]:
        return ["{}"] * len(lines)

    def marker(self, reason: str = MARKER) -> str:
        return json.dumps({"msg": reason})

    def redact_record(self, line: str, record: int) -> str:
        msg: Any = line
        if self.fulljson:
            if not self.redactor.is_dirty(json_view(line)):
                return "{}"
            data = json.loads(line)
            msg = data.get("msg") if isinstance(data, dict) else None
        if not isinstance(msg, str):
            return "{}"
        new, findings = self.redactor.redact(msg, "")
        if not findings:
            return "{}"
        self._count(findings, record)
        return json.dumps({"msg": new}, ensure_ascii=False)


class RawNumber(str):
    """A JSON number kept as it was spelled."""


_RAW_HOOKS: dict[str, Any] = {
    "object_pairs_hook": msgpack.Pairs,
    "parse_float": RawNumber,
    "parse_int": RawNumber,
    "parse_constant": RawNumber,
}


def _walk(node: Any, redactor: Redactor, found: list[Finding]) -> Any:
    """``node`` with every string (map keys too) redacted; ``found`` collects findings."""
    if isinstance(node, RawNumber):
        return node
    if isinstance(node, str):
        new, findings = redactor.redact(node, "")
        found.extend(findings)
        return new
    if isinstance(node, bytes):
        new, findings = redactor.redact(_decode(node), "")
        found.extend(findings)
        return _encode(new) if findings else node
    if isinstance(node, msgpack.Pairs):
        return msgpack.Pairs(
            (_walk(k, redactor, found), _walk(v, redactor, found)) for k, v in node
        )
    if isinstance(node, list):
        return [_walk(item, redactor, found) for item in node]
    return node


def _strings(node: Any, out: list[str]) -> None:
    """Every string (and text-like binary) inside ``node``, in order."""
    if isinstance(node, str):
        out.append(node)
    elif isinstance(node, bytes):
        out.append(_decode(node))
    elif isinstance(node, msgpack.Pairs):
        for key, value in node:
            _strings(key, out)
            _strings(value, out)
    elif isinstance(node, list):
        for item in node:
            _strings(item, out)


def _dump(node: Any, compact: bool) -> str:
    item, key = (",", ":") if compact else (", ", ": ")
    if isinstance(node, RawNumber):
        return str.__str__(node)
    if isinstance(node, msgpack.Pairs):
        inner = item.join(
            json.dumps(k, ensure_ascii=False) + key + _dump(v, compact) for k, v in node
        )
        return "{" + inner + "}"
    if isinstance(node, list):
        return "[" + item.join(_dump(v, compact) for v in node) + "]"
    return json.dumps(node, ensure_ascii=False)


class LineFramer:
    """Splits a byte stream into whole lines for a ``LineFilter``; bounds a line's memory by
    ``max_line`` (windowed redaction for text lines, a marker for the other formats)."""

    def __init__(self, filt: LineFilter, counters: Counters) -> None:
        self.filt = filt
        self.counters = counters
        self.max_line = filt.options.max_line
        self.pending = b""
        self.skipping = False  # dropping the rest of an over-long record

    def feed(self, data: bytes, final: bool = False) -> bytes:
        out: list[bytes] = []
        data = self.pending + data
        self.pending = b""
        if self.skipping:
            nl = data.find(b"\n")
            if nl == -1:
                return b""
            self.skipping = False
            data = data[nl + 1 :]
        cut = data.rfind(b"\n") + 1
        whole, rest = data[:cut], data[cut:]
        if final and rest:
            whole, rest = data, b""
        if whole:
            out.append(self._process(whole))
        if len(rest) > self.max_line:
            out.append(self._long(rest))
        else:
            self.pending = rest
        return b"".join(out)

    def _process(self, block: bytes) -> bytes:
        first = self.counters.lines + 1
        records = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
        try:
            out = self.filt.process(block, first)
        except Exception:
            out = self._per_line(block, first)
        self.counters.lines += records
        return out

    def _per_line(self, block: bytes, first: int) -> bytes:
        parts = block.split(b"\n")
        ends = block.endswith(b"\n")
        if ends:
            parts.pop()
        out = []
        for i, part in enumerate(parts):
            try:
                out.append(self.filt.process(part + b"\n", first + i).rstrip(b"\n"))
            except Exception:
                self.counters.errors += 1
                out.append(_encode(self.filt.marker()))
        return b"\n".join(out) + (b"\n" if ends else b"")

    def _long(self, rest: bytes) -> bytes:
        record = self.counters.lines + 1
        if not self.filt.windowed:
            self.counters.errors += 1
            self.counters.lines += 1
            self.skipping = True
            return _encode(self.filt.marker(TOO_LONG)) + b"\n"
        out: list[bytes] = []
        while len(rest) > self.max_line:
            window, rest = rest[: self.max_line], rest[self.max_line :]
            try:
                head, keep = self.filt.window(_decode(window), record)
            except Exception:
                self.counters.errors += 1
                self.counters.lines += 1
                self.skipping = True
                return b"".join(out) + _encode(MARKER) + b"\n"
            out.append(_encode(head))
            rest = _encode(keep) + rest
        self.pending = rest
        return b"".join(out)


class MsgpackFramer:
    """Fluentd ``msgpack`` framing: a stream of MessagePack objects, one per record."""

    def __init__(
        self, redactor: Redactor, options: FilterOptions, counters: Counters, report: Report
    ):
        self.redactor = redactor
        self.options = options
        self.counters = counters
        self.report = report
        self.pending = b""

    def feed(self, data: bytes, final: bool = False) -> bytes:
        buf = self.pending + data
        items: list[tuple[bytes, Any]] = []
        broken = False
        pos = 0
        while pos < len(buf):
            try:
                obj, end = msgpack.decode(buf, pos)
            except msgpack.NeedMoreData:
                break
            except (msgpack.MsgpackError, ValueError, TypeError):
                broken = True  # no way to find the next record: drop the rest
                pos = len(buf)
                break
            items.append((buf[pos:end], obj))
            pos = end
        out = [self._batch(items[i : i + 128]) for i in range(0, len(items), 128)]
        if broken:
            out.append(self._marker())
        rest = buf[pos:]
        if rest and (final or len(rest) > self.options.max_line):
            out.append(self._marker(TOO_LONG if not final else MARKER))
            rest = b""
        self.pending = rest
        return b"".join(out)

    def _batch(self, items: list[tuple[bytes, Any]]) -> bytes:
        """One prefilter pass over every string of the batch; records one by one only when it
        flags something."""
        texts: list[str] = []
        for _, obj in items:
            _strings(obj, texts)
        if not self.redactor.is_dirty("\n".join(texts)):
            self.counters.lines += len(items)
            return b"".join(raw for raw, _ in items)
        return b"".join(self._record(raw, obj) for raw, obj in items)

    def _marker(self, reason: str = MARKER) -> bytes:
        self.counters.errors += 1
        self.counters.lines += 1
        return msgpack.encode({"message": reason})

    def _record(self, raw: bytes, obj: Any) -> bytes:
        self.counters.lines += 1
        record = self.counters.lines
        try:
            found: list[Finding] = []
            new = _walk(obj, self.redactor, found)
            if not found:
                return raw
            self.counters.redactions += len(found)
            self.report([(f, record) for f in found])
            return msgpack.encode(new)
        except Exception:
            self.counters.errors += 1
            return msgpack.encode({"message": MARKER})


def build_framer(
    redactor: Redactor, options: FilterOptions, counters: Counters, report: Report
) -> Framer:
    fmt = options.fmt
    if fmt == "fluentd-msgpack":
        return MsgpackFramer(redactor, options, counters, report)
    filt: LineFilter
    if fmt == "lines":
        filt = LineFilter(redactor, options, counters, report)
    elif fmt == "fluentd-tsv":
        filt = TsvFilter(redactor, options, counters, report)
    elif fmt in ("json", "fluentd-json"):
        compact = True if fmt == "fluentd-json" else None
        filt = JsonFilter(redactor, options, counters, report, compact=compact)
    elif fmt == "rsyslog":
        fulljson = options.rsyslog_input == "fulljson"
        filt = RsyslogFilter(redactor, options, counters, report, fulljson=fulljson)
    else:
        raise ValueError(f"unknown filter format {fmt!r}")
    return LineFramer(filt, counters)


class FindingLog:
    """``--findings FILE``: one JSON line per finding (rule, fingerprint, time, line; never
    the secret) plus the hook for the rotation engine."""

    def __init__(self, stream: TextIO | None, source: str, hook: FindingHook | None = None):
        self.stream = stream
        self.source = source
        self.hook = hook
        self.hook_errors = 0

    def __call__(self, items: Sequence[tuple[Finding, int]]) -> None:
        if self.stream is not None:
            now = datetime.now(UTC).isoformat(timespec="milliseconds")
            for finding, line in items:
                record = {
                    "time": now,
                    "rule": finding.rule_id,
                    "severity": finding.severity.label,
                    "fingerprint": finding.fingerprint,
                    "source": self.source,
                    "line": line,
                }
                self.stream.write(json.dumps(record) + "\n")
            self.stream.flush()
        if self.hook is not None:
            try:
                self.hook([f for f, _ in items])
            except Exception:
                self.hook_errors += 1


class Sink(Protocol):
    def write(self, data: bytes) -> None: ...


class FdSink:
    """Writes whole buffers to a descriptor (``BrokenPipeError`` when the reader is gone)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]


class StreamSink:
    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def write(self, data: bytes) -> None:
        self.stream.write(data)
        self.stream.flush()


@dataclass(slots=True)
class Control:
    """Flags set from signal handlers and looked at between blocks."""

    stop: bool = False
    stats: bool = False


def run_filter(
    source: ByteSource,
    sink: Sink,
    framer: Framer,
    counters: Counters,
    options: FilterOptions,
    control: Control | None = None,
    on_stats: Callable[[Counters], None] | None = None,
) -> bool:
    """Pump ``source`` through ``framer`` into ``sink`` until end of input or a stop request.
    Returns False when the downstream pipe closed (a quiet end), True otherwise."""
    control = control or Control()
    idle = max(min(options.flush_interval, 0.2), 0.001)
    try:
        eof = False
        while not eof:
            if control.stats and on_stats is not None:
                control.stats = False
                on_stats(counters)
            if control.stop:
                break
            data = source.read(0.2)
            if data is None:
                continue
            if not data:
                break
            parts, eof = _gather(source, data, options.block_size, idle)
            counters.bytes += sum(len(p) for p in parts)
            sink.write(framer.feed(b"".join(parts)))
        if control.stop:
            sink.write(framer.feed(_drain(source, counters)))
        sink.write(framer.feed(b"", final=True))
    except BrokenPipeError:
        return False
    return True


def _gather(source: ByteSource, first: bytes, limit: int, idle: float) -> tuple[list[bytes], bool]:
    """``first`` plus what arrives without a pause, up to ``limit`` bytes or ``idle`` seconds."""
    parts = [first]
    size = len(first)
    deadline = time.monotonic() + idle
    while size < limit and time.monotonic() < deadline:
        more = source.read(0.0)
        if more is None:
            break
        if not more:
            return parts, True
        parts.append(more)
        size += len(more)
    return parts, False


def _drain(source: ByteSource, counters: Counters, limit: int = 64 << 20) -> bytes:
    """What is already waiting in the input when a stop is requested (bounded)."""
    parts: list[bytes] = []
    size = 0
    while size < limit:
        more = source.read(0.0)
        if not more:
            break
        parts.append(more)
        size += len(more)
    counters.bytes += size
    return b"".join(parts)


@dataclass(frozen=True, slots=True)
class Streams:
    """Where the filter reads and writes (``None``: stdin / stdout)."""

    input: Path | None = None
    follow: bool = False
    from_end: bool = False
    output: Path | None = None
    findings: Path | None = None


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
        framer = build_framer(redactor, options, counters, report)
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
