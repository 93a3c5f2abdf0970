"""Line-framed record formats: text lines and Fluentd ``tsv`` (``LineFilter``), the shared
block machinery (``BlockFilter``), and the redaction of an over-long line in windows.

A block (whole records) is cut into groups of about ``group_bytes``; each group is scanned as
one chunk and its findings mapped back to lines. A group that cannot be processed (a rule out
of time, a failed redaction) is retried line by line, and a line that still fails becomes the
fail-closed marker: one record out for every record in, in order, never a record unredacted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from scanner.logfilter.findings import Report
from scanner.logfilter.jsonwalk import decode_text, encode_text
from scanner.logfilter.options import MARKER, Counters, FilterOptions
from scanner.logfilter.redactor import RedactionError, Redactor, RuleTimeout
from scanner.logfilter.styles import apply_spans, merge_spans
from scanner.models import Finding


def iter_groups(text: str, size: int) -> Iterator[str]:
    """``text`` cut after a newline about every ``size`` characters."""
    start = 0
    while start < len(text):
        cut = text.find("\n", start + size)
        end = len(text) if cut == -1 else cut + 1
        yield text[start:end]
        start = end


class BlockFilter:
    """Base of the line-framed formats: a block in, its output out."""

    separators = "\n"
    windowed = False

    def __init__(
        self, redactor: Redactor, options: FilterOptions, counters: Counters, report: Report
    ) -> None:
        self.redactor = redactor
        self.options = options
        self.counters = counters
        self.report = report

    # -- per format -----------------------------------------------------------------------------
    def group(self, text: str, first: int) -> str:
        """Output for whole lines ``text``; ``first`` is the number of its first record."""
        raise NotImplementedError

    def redact_record(self, line: str, record: int) -> str:
        """Output for one record that may hold a secret."""
        raise NotImplementedError

    def is_dirty(self, line: str) -> bool:
        return self.redactor.is_dirty(line)

    def clean_line(self, line: str) -> str:
        return line

    def marker(self, reason: str = MARKER) -> str:
        return reason

    # -- shared ---------------------------------------------------------------------------------
    def process(self, block: bytes, first: int) -> bytes:
        """Output for ``block`` (whole records, each ending in a newline except perhaps the last
        at end of input)."""
        text = decode_text(block)
        out: list[str] = []
        record = first
        for group in iter_groups(text, self.options.group_bytes):
            try:
                out.append(self.group(group, record))
            except RuleTimeout as exc:
                out.append(self.per_line(group, record, exc.rule_id))
            except Exception:
                out.append(self.per_line(group, record))
            record += group.count("\n")
        return encode_text("".join(out))

    def per_line(self, group: str, first: int, slow_rule: str | None = None) -> str:
        """``group`` line by line. After rule ``slow_rule`` ran out of time on the group, a
        single line it may match is the one that stalled it: that line becomes the marker at
        once instead of stalling the rule a second time."""
        lines = group.split("\n")
        ends = group.endswith("\n")
        if ends:
            lines.pop()
        culprit = -1
        if slow_rule is not None:
            suspects = [
                i for i, line in enumerate(lines) if self.redactor.may_match(line, slow_rule)
            ]
            culprit = suspects[0] if len(suspects) == 1 else -1
        out = [
            self.line(line, first + i) if i != culprit else self.failed_line()
            for i, line in enumerate(lines)
        ]
        return "\n".join(out) + ("\n" if ends else "")

    def failed_line(self) -> str:
        self.counters.errors += 1
        return self.marker()

    def line(self, line: str, record: int) -> str:
        """One record on its own; the marker when it cannot be processed."""
        try:
            if not self.is_dirty(line):
                return self.clean_line(line)
            out = self.redact_record(line, record)
            if "\n" in out:
                raise RedactionError("a record turned into several")
            encode_text(out)  # one that cannot be written is the marker, not the stream's end
            return out
        except Exception:
            return self.failed_line()

    def count(self, findings: Sequence[Finding], records: Sequence[int]) -> None:
        if findings:
            self.counters.redactions += len(findings)
            self.report(list(zip(findings, records, strict=True)))


class LineFilter(BlockFilter):
    """Text lines: secrets replaced in place; long lines redacted in windows."""

    windowed = True

    def group(self, text: str, first: int) -> str:
        new, findings, lines = self.redactor.redact_lines(text, self.separators)
        self.count(findings, [first + i for i in lines])
        return new

    def redact_record(self, line: str, record: int) -> str:
        new, findings = self.redactor.redact(line, self.separators)
        self.count(findings, [record] * len(findings))
        return new

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
        self.count([*findings, *more], [record] * (len(findings) + len(more)))
        return head, text[cut:]


class TsvFilter(LineFilter):
    """Fluentd ``tsv`` framing: fields joined by tabs; a redaction never removes a tab."""

    separators = "\n\t"
