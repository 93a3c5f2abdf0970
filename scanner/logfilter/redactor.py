"""Matcher-backed redaction of a text: one record, or a block of many lines scanned as one chunk.

Speed comes from calling the matcher once per block of lines (its prefilter and every rule's
confirm step run over the whole block, in C) and mapping the few findings back to their lines.
Decoding is done here rather than inside the matcher: percent-encoded segments of a block are
decoded and scanned together as one chunk (the matcher would scan each segment on its own), and
the full-depth matcher runs only on a block where the prefilter saw a base64/hex trigger.
"""

from __future__ import annotations

import bisect
import re
import string
import urllib.parse
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from scanner.decoders import find_encoded, has_escapes
from scanner.logfilter.keyed import KeyedHit, find_dsn_passwords
from scanner.logfilter.spans import spans_for_findings
from scanner.logfilter.styles import Redaction, Span, apply_spans
from scanner.matcher import Matcher
from scanner.models import Chunk, Confidence, Finding, Origin, Position, Severity, SourceProblem
from scanner.prefilter import Prefilter
from scanner.secret import Secret
from scanner.valuemeasure import shannon_entropy

MAX_PASSES = 4


class RedactionError(Exception):
    """A text could not be brought to a state without findings."""


class RuleTimeout(RedactionError):
    """A rule ran out of time on a text (``windows.REGEX_TIMEOUT``): the text's state is
    unknown, so it must not be written (fail closed)."""

    def __init__(self, problem: SourceProblem) -> None:
        super().__init__(problem.message)
        found = _TIMED_OUT.search(problem.message)
        self.rule_id = found.group(1) if found else None


_TIMED_OUT = re.compile(r"rule (\S+) timed out")  # the matcher's SourceProblem message


class _LastPrefilter:
    """The matcher's prefilter, remembering its answers for the last two texts it saw, so the
    redactor's own checks and the matcher's scan of the same text (and of its unescaped form)
    cost one pass each."""

    def __init__(self, inner: Prefilter) -> None:
        self.inner = inner
        self.name = inner.name
        self._seen: list[tuple[str, Collection[int] | None, frozenset[int]]] = []

    def candidates(self, text: str, scoped: Collection[int] | None = None) -> frozenset[int]:
        for seen, seen_scoped, ids in self._seen:
            if seen is text and seen_scoped == scoped:
                return ids
        ids = self.inner.candidates(text, scoped)
        self._seen = [(text, scoped, ids), *self._seen[:1]]
        return ids

    def locate(
        self, text: str, rules: Collection[int] | None = None
    ) -> dict[int, list[tuple[int, int]]] | None:
        return self.inner.locate(text, rules)

    @property
    def located(self) -> frozenset[int]:
        return self.inner.located

    def trigger_texts(self, indices: Sequence[int]) -> list[str] | None:
        return self.inner.trigger_texts(indices)

    def trigger_lines(self, text: str) -> frozenset[int] | None:
        return self.inner.trigger_lines(text)


# Bytes that are not UTF-8 arrive as lone surrogates (surrogateescape). The matcher sees them as
# U+FFFD instead: one character for one, so every offset stays valid in the original text.
_SURROGATE_VIEW = {c: 0xFFFD for c in range(0xDC80, 0xDD00)}
# escapes the matcher's own unescaping leaves alone, glued to a token (``\bkgt_...``)
_GLUED_ESCAPE = re.compile(r"\\[bfv0](?=[A-Za-z0-9])")
_TWO_CHAR_ESCAPE = re.compile(r'\\[nrtbfv0"\'/\\]')
_URL_RUN = re.compile(r"[A-Za-z0-9._~+/=:@!$&*,;%?-]*")
_URL_CHARS = "".join(sorted(set(string.ascii_letters + string.digits + "._~+/=:@!$&*,;%?-")))
# two escapes in one run of URL characters: only such runs decode to a segment
_PERCENT_PAIR = re.compile(r"%[0-9A-Fa-f]{2}[A-Za-z0-9._~+/=:@!$&*,;?-]*%[0-9A-Fa-f]{2}")
MAX_EXPAND = 512


def scan_view(text: str) -> str:
    return text if text.isascii() else text.translate(_SURROGATE_VIEW)


def escape_view(text: str) -> str:
    """``text`` with two-character backslash escapes (``\\n``, ``\\"``, ``\\\\``...) blanked."""
    return _TWO_CHAR_ESCAPE.sub("  ", text)


@dataclass(frozen=True, slots=True)
class Segment:
    start: int
    end: int
    text: str


def percent_segments(text: str) -> list[Segment]:
    """Runs of URL characters around ``%xx`` escapes (at most ``MAX_EXPAND`` characters on
    either side of an escape) holding at least two escapes, decoded: the segments the matcher's
    decoder finds, found here with C-level scans instead of a loop per character."""
    spans: list[tuple[int, int]] = []
    last_end = -1
    for m in _PERCENT_PAIR.finditer(text):
        start, end = m.span()
        if start < last_end:
            continue
        # the run of URL characters that ends at ``start`` (at most ``MAX_EXPAND`` of them)
        before = text[max(0, start - MAX_EXPAND) : start]
        lo = start - len(before) + len(before.rstrip(_URL_CHARS))
        right = _URL_RUN.match(text, end, end + MAX_EXPAND)
        last_end = right.end() if right else end
        spans.append((lo, last_end))
    raw = [text[lo:hi] for lo, hi in spans]
    out = [Segment(lo, hi, t) for (lo, hi), t in zip(spans, _unquote_all(raw), strict=True)]
    # a form-encoded query also as the matcher's decoder reads it: ``+`` a blank
    out += [
        Segment(lo, hi, urllib.parse.unquote_plus(t))
        for (lo, hi), t in zip(spans, raw, strict=True)
        if "+" in t
    ]
    return out


_NEWLINE_ESCAPE = re.compile(r"%0[aA]")


def _unquote_all(raw: list[str]) -> list[str]:
    """``urllib.parse.unquote`` of each text, in one call when no text encodes a newline."""
    if not raw:
        return []
    joined = "\n".join(raw)
    if _NEWLINE_ESCAPE.search(joined) is None:
        decoded = urllib.parse.unquote(joined).split("\n")
        if len(decoded) == len(raw):
            return decoded
    return [urllib.parse.unquote(t) for t in raw]


class Redactor:
    """Finds and replaces secrets in texts with one matcher, repeating until none is left."""

    def __init__(self, matcher: Matcher, policy: Redaction, origin: Origin) -> None:
        self.policy = policy
        self.origin = origin
        self.prefilter = _LastPrefilter(matcher.prefilter)
        self.deep = Matcher(matcher.ruleset, self.prefilter, matcher.policy)
        self.plain = Matcher(
            matcher.ruleset, self.prefilter, replace(matcher.policy, decode_depth=0)
        )
        self._n = len(matcher.ruleset)
        self._decode = matcher.policy.decode_depth > 0
        # the rules of files known by their path that the prefilter looks for: as the
        # matchers do for chunks from ``origin``, so that they share its answers
        self._scoped = self.plain.scoped_rules(origin.path)

    def warm(self) -> None:
        """Load now what the first scan loads (``Matcher.warm``, the lines of triggers):
        worker processes forked after this share it instead of each loading its own."""
        self.plain.warm()
        if self._decode:
            self.prefilter.trigger_lines("")

    # -- finding -------------------------------------------------------------------------------
    def is_dirty(self, text: str) -> bool:
        """Whether ``text`` may hold a secret (False is certain; True needs a scan)."""
        view = scan_view(text)
        ids = self.prefilter.candidates(view, self._scoped)
        if any(i < self._n for i in ids) or find_dsn_passwords(view):
            return True
        if self._decode and (ids or "%" in view):
            return True
        return "\\" in view and (has_escapes(view) or _GLUED_ESCAPE.search(view) is not None)

    def find_spans(self, text: str) -> tuple[list[Span], list[Finding]]:
        """Secret spans in ``text`` and their findings (offsets are those of ``text``).
        Raises ``RuleTimeout`` when a rule ran out of time on it."""
        view = scan_view(text)
        spans: list[Span] = []
        findings: list[Finding] = []
        self._add(spans, findings, view, self._scan(view))
        if self._decode:
            self._add_decoded(spans, findings, view)
        if "\\" in view and _GLUED_ESCAPE.search(view) is not None:
            blanked = escape_view(view)
            self._add(spans, findings, blanked, self._scan(blanked))
        for hit in find_dsn_passwords(view):
            self._keep(spans, findings, Span(hit.start, hit.end, hit.rule_id), view, hit)
        return spans, findings

    def _scan(self, view: str) -> list[Finding]:
        if not self.prefilter.candidates(view, self._scoped) and "\\" not in view:
            return []
        problems: list[SourceProblem] = []
        found = self.plain.scan(Chunk(view, self.origin), problems)
        if problems:
            raise RuleTimeout(problems[0])
        return found

    def _segments(self, view: str) -> list[Segment]:
        """Encoded segments of ``view`` the matcher would decode: percent runs always, base64
        and hex only on the lines where the prefilter saw a trigger (an encoded keyword)."""
        segments = percent_segments(view) if "%" in view else []
        if not any(i >= self._n for i in self.prefilter.candidates(view, self._scoped)):
            return segments
        marked = self.prefilter.trigger_lines(view)
        start = 0
        for index, line in enumerate(view.split("\n")):
            if (index in marked) if marked is not None else self._has_trigger(line):
                for seg in find_encoded(line, base64_hex=True):
                    if seg.kind != "percent":
                        segments.append(Segment(start + seg.start, start + seg.end, seg.text))
            start += len(line) + 1
        return segments

    def _has_trigger(self, line: str) -> bool:
        return any(i >= self._n for i in self.prefilter.candidates(line, self._scoped))

    def _add_decoded(self, spans: list[Span], findings: list[Finding], view: str) -> None:
        """Every encoded segment of ``view`` decoded, and all of them scanned as one chunk; a
        secret inside a segment redacts the whole segment."""
        segments = self._segments(view)
        if not segments:
            return
        starts: list[int] = []
        pos = 0
        for seg in segments:
            starts.append(pos)
            pos += len(seg.text) + 1
        joined = "\n".join(seg.text for seg in segments)
        origin = self.origin.with_detail(decoded="encoded")
        problems: list[SourceProblem] = []
        found = self.deep.scan(Chunk(joined, origin, depth=1), problems)
        if problems:
            raise RuleTimeout(problems[0])
        for finding in found:
            offset = int(dict(finding.extra).get("offset", "0"))
            seg = segments[max(bisect.bisect_right(starts, offset) - 1, 0)]
            self._keep(spans, findings, Span(seg.start, seg.end, finding.rule_id), view, finding)

    def _add(
        self, spans: list[Span], findings: list[Finding], view: str, found: Sequence[Finding]
    ) -> None:
        for span, finding in zip(spans_for_findings(view, found), found, strict=True):
            self._keep(spans, findings, span, view, finding)

    def _keep(
        self,
        spans: list[Span],
        findings: list[Finding],
        span: Span,
        view: str,
        found: Finding | KeyedHit,
    ) -> None:
        if any(span.start < s.end and s.start < span.end for s in spans):
            return
        spans.append(span)
        if isinstance(found, KeyedHit):
            found = keyed_finding(found, view[found.start : found.end], self.origin)
        findings.append(found)

    def may_match(self, text: str, rule_id: str) -> bool:
        """Whether the prefilter names rule ``rule_id`` for ``text``."""
        ids = self.prefilter.candidates(scan_view(text), self._scoped)
        return any(i < self._n and self.deep.ruleset.rules[i].id == rule_id for i in ids)

    # -- replacing -----------------------------------------------------------------------------
    def redact(self, text: str, separators: str = "\n") -> tuple[str, list[Finding]]:
        """``text`` with its secrets replaced, and the findings. Raises ``RedactionError``
        when the output still holds findings."""
        found: list[Finding] = []
        for _ in range(MAX_PASSES):
            spans, findings = self.find_spans(text)
            if not findings:
                return text, found
            found.extend(findings)
            text = apply_spans(text, spans, self.policy, separators)
        if self.find_spans(text)[1]:
            raise RedactionError("text still holds findings after redaction")
        return text, found

    def redact_lines(
        self, text: str, separators: str = "\n"
    ) -> tuple[str, list[Finding], list[int]]:
        """``text`` (many lines) scanned as one chunk: the redacted text, the findings and, for
        each finding, the 0-based index of its line. Redacted lines are checked again one by
        one until they hold nothing (``redact``)."""
        spans, findings = self.find_spans(text)
        if not spans:
            return text, [], []
        line_of = [text.count("\n", 0, span.start) for span in spans]
        new = apply_spans(text, spans, self.policy, separators)
        lines = new.split("\n")
        more: list[Finding] = []
        more_lines: list[int] = []
        for index in sorted(set(line_of)):
            lines[index], again = self.redact(lines[index], separators)
            more.extend(again)
            more_lines.extend([index] * len(again))
        return "\n".join(lines), [*findings, *more], [*line_of, *more_lines]


def keyed_finding(hit: KeyedHit, secret: str, origin: Origin) -> Finding:
    """A finding for a value recognised by its key (``keyed``), shaped like a matcher's."""
    return Finding(
        rule_id=hit.rule_id,
        description="Secret value under a key that names a secret",
        severity=Severity.HIGH,
        confidence=Confidence.MEDIUM,
        origin=origin,
        position=Position(1, hit.start + 1, 1, hit.end + 1, 1),
        secret=Secret(secret),
        entropy=round(shannon_entropy(secret), 3),
        extra=(("offset", str(hit.start)),),
    )
