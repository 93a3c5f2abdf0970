"""Where findings sit in the text the matcher saw: offsets to spans, offsets to lines."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from scanner.decoders import find_encoded
from scanner.logfilter.styles import Span
from scanner.models import Finding


class LineIndex:
    """Offset → line bounds for one text (only built when a text holds findings)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines: list[int] = []
        pos = text.find("\n")
        while pos != -1:
            self.newlines.append(pos)
            pos = text.find("\n", pos + 1)

    def line_of(self, offset: int) -> int:
        """0-based line index of ``offset``."""
        return bisect.bisect_left(self.newlines, offset)

    def bounds(self, line: int) -> tuple[int, int]:
        start = self.newlines[line - 1] + 1 if line >= 1 else 0
        end = self.newlines[line] if line < len(self.newlines) else len(self.text)
        return start, end


def _offset(finding: Finding) -> int | None:
    raw = dict(finding.extra).get("offset")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def span_for_finding(text: str, finding: Finding, lines: LineIndex) -> Span:
    """Where ``finding`` sits in ``text`` (the text given to the matcher as one chunk).

    A plain finding maps exactly (``extra`` offset + secret length). A finding in decoded text
    maps to the widest encoded segment around its offset. Anything that cannot be mapped
    exactly is widened to its whole line (fail closed).
    """
    secret = finding.secret.reveal()
    offset = _offset(finding)
    if offset is None or not 0 <= offset <= len(text):
        line = min(max(finding.position.chunk_line - 1, 0), len(lines.newlines))
        start, end = lines.bounds(line)
        return Span(start, end, finding.rule_id)
    if finding.decoded is None and text.startswith(secret, offset):
        return Span(offset, offset + len(secret), finding.rule_id)
    start, end = lines.bounds(lines.line_of(offset))
    best: tuple[int, int] | None = None
    for seg in find_encoded(text[start:end], base64_hex=True):
        if seg.start + start <= offset < seg.end + start and (
            best is None or seg.end - seg.start > best[1] - best[0]
        ):
            best = (seg.start + start, seg.end + start)
    if best is not None:
        return Span(best[0], best[1], finding.rule_id)
    return Span(start, end, finding.rule_id)


def spans_for_findings(text: str, findings: Sequence[Finding]) -> list[Span]:
    if not findings:
        return []
    lines = LineIndex(text)
    return [span_for_finding(text, f, lines) for f in findings]
