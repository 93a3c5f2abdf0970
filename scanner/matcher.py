"""Chunk → findings: prefilter, confirm each candidate rule with ``regex``, validate, dedupe.

Pure: no I/O, no printing. ``Matcher`` holds only immutable, compiled state and is handed to
worker processes as it is.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

import regex

from scanner import filters
from scanner.decoders import find_encoded
from scanner.models import Chunk, Confidence, Finding, Position, SourceProblem
from scanner.prefilter import Prefilter
from scanner.rulebook.compile import CompiledRule, Ruleset
from scanner.secret import Secret
from scanner.validators.offline import CHECKSUMS, meets_requirements, shannon_entropy

REGEX_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """What the matcher drops or keeps; built once from flags and config."""

    ignore_inline_allow: bool = False
    decode_depth: int = 2
    allow_values: tuple[regex.Pattern[str], ...] = field(default=(), repr=False)


@dataclass(frozen=True, slots=True)
class _Candidate:
    rule: CompiledRule
    start: int
    end: int
    secret: str
    entropy: float
    checksum: str | None

    def priority(self) -> tuple[int, int, int, int, int]:
        spec = self.rule.spec
        return (
            0 if spec.is_generic else 1,
            int(spec.confidence),
            1 if self.checksum == "valid" else 0,
            len(self.secret),
            -self.rule.index,
        )


def is_valid_secret(rule: CompiledRule, secret: str, policy: MatchPolicy) -> tuple[bool, float]:
    """Offline checks on one candidate secret: entropy, classes, placeholders, allowlists."""
    spec = rule.spec
    entropy = shannon_entropy(secret)
    if entropy < spec.min_entropy:
        return False, entropy
    if not meets_requirements(secret, spec.requirements):
        return False, entropy
    if filters.is_placeholder(secret, strict_words=spec.is_generic):
        return False, entropy
    lowered = secret.lower()
    if any(word in lowered for word in spec.allow.stopwords):
        return False, entropy
    if any(p.search(secret) for p in rule.allow_patterns):
        return False, entropy
    if any(p.search(secret) for p in policy.allow_values):
        return False, entropy
    return True, entropy


def _confirm(rule: CompiledRule, text: str, policy: MatchPolicy) -> list[_Candidate]:
    out: list[_Candidate] = []
    keywords = rule.spec.keywords
    for m in rule.regex.finditer(text, timeout=REGEX_TIMEOUT):
        whole = m.group(0).lower()
        if not any(kw in whole for kw in keywords):
            continue
        secret = m.group(rule.secret_group)
        if not secret:
            continue
        ok, entropy = is_valid_secret(rule, secret, policy)
        if not ok:
            continue
        checksum = None
        if rule.spec.checksum:
            checksum = "valid" if CHECKSUMS[rule.spec.checksum](secret) else "invalid"
        start, end = m.span(rule.secret_group)
        out.append(_Candidate(rule, start, end, secret, entropy, checksum))
    return out


def _dedupe(cands: Iterable[_Candidate]) -> list[_Candidate]:
    """Keep one candidate per secret span: specific rules win over generic ones."""
    kept: list[_Candidate] = []
    for cand in sorted(cands, key=lambda c: c.priority(), reverse=True):
        if not any(cand.start < k.end and k.start < cand.end for k in kept):
            kept.append(cand)
    return sorted(kept, key=lambda c: (c.start, c.rule.index))


class _Lines:
    """Offset → (line, column) for one chunk, built lazily."""

    def __init__(self, chunk: Chunk) -> None:
        self.chunk = chunk
        text = chunk.text
        self.newlines: list[int] = []
        pos = text.find("\n")
        while pos != -1:
            self.newlines.append(pos)
            pos = text.find("\n", pos + 1)

    def locate(self, offset: int) -> tuple[int, int]:
        """Chunk-relative line (1-based) and column (1-based) of ``offset``."""
        idx = bisect.bisect_left(self.newlines, offset)
        if idx == 0:
            return 1, offset + self.chunk.first_column
        return idx + 1, offset - self.newlines[idx - 1]

    def line_text(self, rel_line: int) -> str:
        text = self.chunk.text
        start = self.newlines[rel_line - 2] + 1 if rel_line >= 2 else 0
        end = self.newlines[rel_line - 1] if rel_line - 1 < len(self.newlines) else len(text)
        return text[start:end]

    def display_line(self, rel_line: int) -> int:
        lmap = self.chunk.line_map
        if lmap:
            return lmap[min(rel_line, len(lmap)) - 1]
        return self.chunk.first_line + rel_line - 1


class Matcher:
    def __init__(self, ruleset: Ruleset, prefilter: Prefilter, policy: MatchPolicy) -> None:
        self.ruleset = ruleset
        self.prefilter = prefilter
        self.policy = policy

    @property
    def engine(self) -> str:
        return self.prefilter.name

    def scan(self, chunk: Chunk, problems: list[SourceProblem] | None = None) -> list[Finding]:
        """Findings in ``chunk`` and in what decodes from it (up to the policy's depth)."""
        findings = self._scan_plain(chunk, problems)
        if chunk.depth < self.policy.decode_depth and len(chunk.text) >= 16:
            seen = {(f.rule_id, f.secret) for f in findings}
            for finding in self._scan_decoded(chunk, problems):
                if (finding.rule_id, finding.secret) not in seen:
                    seen.add((finding.rule_id, finding.secret))
                    findings.append(finding)
        return findings

    def _scan_plain(self, chunk: Chunk, problems: list[SourceProblem] | None) -> list[Finding]:
        n = len(self.ruleset)
        candidates = sorted(i for i in self.prefilter.candidates(chunk.text) if i < n)
        if not candidates:
            return []
        path = chunk.path_for_rules or chunk.origin.path
        found: list[_Candidate] = []
        for index in candidates:
            rule = self.ruleset.rules[index]
            if rule.allow_paths and any(p.search(path) for p in rule.allow_paths):
                continue
            try:
                found.extend(_confirm(rule, chunk.text, self.policy))
            except TimeoutError:
                if problems is not None:
                    problems.append(
                        SourceProblem(chunk.origin.display, f"rule {rule.id} timed out; skipped")
                    )
        if not found:
            return []
        return self._to_findings(chunk, _dedupe(found))

    def _to_findings(self, chunk: Chunk, cands: list[_Candidate]) -> list[Finding]:
        lines = _Lines(chunk)
        out: list[Finding] = []
        for cand in cands:
            rel_line, column = lines.locate(cand.start)
            rel_end_line, end_column = lines.locate(cand.end)
            if not self.policy.ignore_inline_allow:
                prev = lines.line_text(rel_line - 1) if rel_line > 1 else ""
                if filters.has_allow_marker(lines.line_text(rel_line), prev):
                    continue
            confidence = cand.rule.spec.confidence
            if cand.checksum == "invalid":
                confidence = Confidence.LOW
            decoded = chunk.origin.detail_dict().get("decoded")
            out.append(
                Finding(
                    rule_id=cand.rule.id,
                    description=cand.rule.spec.name,
                    severity=cand.rule.spec.severity,
                    confidence=confidence,
                    origin=chunk.origin,
                    position=Position(
                        line=lines.display_line(rel_line),
                        column=column if decoded is None else chunk.first_column,
                        end_line=lines.display_line(rel_end_line),
                        end_column=end_column if decoded is None else chunk.first_column,
                        chunk_line=rel_line,
                    ),
                    secret=Secret(cand.secret),
                    entropy=round(cand.entropy, 3),
                    checksum=cand.checksum,
                    decoded=decoded,
                    extra=(("offset", str(chunk.offset + cand.start)),),
                )
            )
        return out

    def _scan_decoded(self, chunk: Chunk, problems: list[SourceProblem] | None) -> list[Finding]:
        out: list[Finding] = []
        lines: _Lines | None = None
        for seg in find_encoded(chunk.text):
            if lines is None:
                lines = _Lines(chunk)
            rel_line, column = lines.locate(seg.start)
            line = lines.display_line(rel_line)
            child = Chunk(
                text=seg.text,
                origin=chunk.origin.with_detail(decoded=seg.kind),
                first_line=line,
                first_column=column,
                line_map=(line,) * (seg.text.count("\n") + 1),
                offset=chunk.offset + seg.start,
                depth=chunk.depth + 1,
                path_for_rules=chunk.path_for_rules,
            )
            for finding in self.scan(child, problems):
                if not self.policy.ignore_inline_allow and filters.has_allow_marker(
                    lines.line_text(rel_line)
                ):
                    continue
                out.append(finding)
        return out
