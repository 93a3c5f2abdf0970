"""Chunk → findings: prefilter, confirm each candidate rule with ``regex``, validate, dedupe.

Pure: no I/O, no printing. ``Matcher`` holds only immutable, compiled state and is handed to
worker processes as it is.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from scanner import filters
from scanner.decoders import (
    encoded_triggers,
    find_encoded,
    has_escapes,
    map_offset,
    unescape_backslashes,
)
from scanner.models import Chunk, Confidence, Finding, Position, SourceProblem
from scanner.prefilter import Prefilter, build_prefilter
from scanner.rulebook.compile import CompiledRule, Ruleset
from scanner.secret import Secret
from scanner.validators.offline import CHECKSUMS, meets_requirements, shannon_entropy

if TYPE_CHECKING:
    from regex import Match, Pattern

REGEX_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """What the matcher drops or keeps; built once from flags and config."""

    ignore_inline_allow: bool = False
    decode_depth: int = 2
    allow_values: tuple[Pattern[str], ...] = field(default=(), repr=False)


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
            0 if "generic" in spec.tags else 1,
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
    if "generic" in spec.tags and filters.looks_like_identifier(secret):
        return False, entropy
    lowered = secret.lower()
    if any(word in lowered for word in spec.allow.stopwords):
        return False, entropy
    if any(p.search(secret) for p in rule.allow_patterns):
        return False, entropy
    if any(p.search(secret) for p in policy.allow_values):
        return False, entropy
    return True, entropy


def _keyword_positions(lowered: str, keywords: tuple[str, ...]) -> list[int]:
    positions: list[int] = []
    for kw in keywords:
        pos = lowered.find(kw)
        while pos != -1:
            positions.append(pos)
            pos = lowered.find(kw, pos + 1)
    positions.sort()
    return positions


def _windows(positions: list[int], back: int, forward: int, size: int) -> list[tuple[int, int]]:
    """Merged ``[pos - back, pos + forward)`` windows around keyword positions."""
    merged: list[tuple[int, int]] = []
    for pos in positions:
        start, end = max(0, pos - back), min(size, pos + forward)
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _inside(positions: list[int], regions: list[tuple[int, int]]) -> list[int]:
    starts = [s for s, _ in regions]
    out = []
    for pos in positions:
        i = bisect.bisect_right(starts, pos) - 1
        if i >= 0 and pos < regions[i][1]:
            out.append(pos)
    return out


def _iter_rule_matches(
    rule: CompiledRule,
    text: str,
    lowered: str | None,
    regions: list[tuple[int, int]] | None = None,
) -> Iterator[Match[str]]:
    """Matches of ``rule`` in ``text``, searched only near its keywords.

    Every match contains a keyword and is at most ``window`` characters long, so searching
    ``[keyword - window, keyword + window)`` finds it; anchored rules match *at* a keyword.
    ``regions`` (from the Hyperscan locator) narrow this further: every match lies inside one.
    The result depends only on the text, never on which prefilter engine ran.
    """
    spec = rule.spec
    if lowered is None:  # non-ASCII: lowercasing may shift offsets; search everything
        yield from rule.regex.finditer(text, timeout=REGEX_TIMEOUT)
        return
    merged = _merge(regions) if regions is not None else None
    if spec.anchor_keyword:
        positions = _keyword_positions(lowered, spec.keywords)
        if merged is not None:
            positions = _inside(positions, merged)
        last_end = -1
        for pos in positions:
            end = min(len(text), pos + spec.window)
            m = rule.regex.match(text, pos, end, timeout=REGEX_TIMEOUT)
            if m is not None and m.start() >= last_end:
                last_end = m.end()
                yield m
        return
    if merged is not None:
        windows = _merge([(s, min(len(text), e + spec.window)) for s, e in merged])
    else:
        positions = _keyword_positions(lowered, spec.keywords)
        windows = _windows(positions, spec.window, spec.window, len(text))
        if sum(end - start for start, end in windows) > len(text) // 2:
            windows = [(0, len(text))]
    for start, end in windows:
        yield from rule.regex.finditer(text, start, end, timeout=REGEX_TIMEOUT)


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def assignment_name(text: str, start: int, limit: int = 64) -> str:
    """The identifier around ``start`` (``MISTRAL_API_KEY``, ``acme.apiToken``)."""
    lo = start
    while lo > 0 and start - lo < limit and text[lo - 1] in _NAME_CHARS:
        lo -= 1
    hi = start
    while hi < len(text) and hi - start < limit and text[hi] in _NAME_CHARS:
        hi += 1
    return text[lo:hi]


def name_tokens(name: str) -> list[str]:
    """``MISTRAL_API_KEY`` → mistral, api, key; ``newRelicKey`` → new, relic, key."""
    spaced = _CAMEL.sub("_", name)
    return [t for t in re.split(r"[_.\-]+", spaced.lower()) if t]


def names_known_provider(name: str, providers: frozenset[str]) -> bool:
    tokens = name_tokens(name)
    for i, token in enumerate(tokens):
        if token in providers:
            return True
        if i + 1 < len(tokens) and token + tokens[i + 1] in providers:
            return True
    return False


def _confirm(
    rule: CompiledRule,
    text: str,
    lowered: str | None,
    policy: MatchPolicy,
    regions: list[tuple[int, int]] | None = None,
    providers: frozenset[str] = frozenset(),
    prefixes: tuple[str, ...] = (),
) -> list[_Candidate]:
    out: list[_Candidate] = []
    keywords = rule.spec.keywords
    defer = bool(providers) and "generic" in rule.spec.tags and rule.spec.anchor_keyword
    for m in _iter_rule_matches(rule, text, lowered, regions):
        whole = m.group(0).lower()
        if not any(kw in whole for kw in keywords):
            continue
        if defer and names_known_provider(assignment_name(text, m.start()), providers):
            continue  # a provider we know: its specific rules decide, not the generic one
        secret = m.group(rule.secret_group)
        if not secret:
            continue
        if defer and secret.lower().startswith(prefixes):
            continue  # shaped like a known provider's token that its own rule rejected
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


def _cached_triggers(ruleset: Ruleset, cache_dir: Path | None) -> list[str]:
    """The decoder triggers of ``ruleset``, cached beside the Hyperscan database."""
    path = cache_dir / f"triggers-{ruleset.digest[:24]}.txt" if cache_dir else None
    if path is not None:
        try:
            return path.read_text(encoding="utf-8").split("\n")
        except OSError:
            pass
    triggers = encoded_triggers(keyword_forms(ruleset))
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text("\n".join(triggers), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # a cache is an optimisation
    return triggers


def keyword_forms(ruleset: Ruleset) -> list[str]:
    """Each keyword as its rule's examples spell it, plus lower and upper case."""
    forms: set[str] = set()
    for rule in ruleset:
        texts = [e.text for e in rule.spec.examples]
        for kw in rule.spec.keywords:
            forms.update((kw, kw.upper()))
            for text in texts:
                pos = text.lower().find(kw)
                if pos != -1 and text.isascii():
                    forms.add(text[pos : pos + len(kw)])
                    break
    return sorted(forms)


class Matcher:
    def __init__(self, ruleset: Ruleset, prefilter: Prefilter, policy: MatchPolicy) -> None:
        self.ruleset = ruleset
        self.prefilter = prefilter
        self.policy = policy

    @classmethod
    def build(
        cls,
        ruleset: Ruleset,
        policy: MatchPolicy | None = None,
        engine: str = "auto",
        cache_dir: Path | None = None,
    ) -> Matcher:
        """A matcher with its prefilter (and the decoder triggers) built for ``ruleset``."""
        triggers = _cached_triggers(ruleset, cache_dir)
        prefilter = build_prefilter(ruleset, engine, triggers, cache_dir)
        return cls(ruleset, prefilter, policy or MatchPolicy())

    @property
    def engine(self) -> str:
        return self.prefilter.name

    def scan(self, chunk: Chunk, problems: list[SourceProblem] | None = None) -> list[Finding]:
        """Findings in ``chunk`` and in what decodes from it (up to the policy's depth)."""
        text = chunk.text
        found_ids = self.prefilter.candidates(text)
        cands = self._candidates(text, chunk, found_ids, problems)
        if has_escapes(text):
            unescaped, anchors = unescape_backslashes(text)
            extra = self._candidates(
                unescaped, chunk, self.prefilter.candidates(unescaped), problems
            )
            cands = _dedupe(
                cands
                + [
                    replace(c, start=map_offset(anchors, c.start), end=map_offset(anchors, c.end))
                    for c in extra
                ]
            )
        findings = self._to_findings(chunk, cands) if cands else []
        if chunk.depth < self.policy.decode_depth and len(text) >= 16:
            seen = {(f.rule_id, f.secret) for f in findings}
            triggered = any(i >= len(self.ruleset) for i in found_ids)
            for finding in self._scan_decoded(chunk, triggered, problems):
                if (finding.rule_id, finding.secret) not in seen:
                    seen.add((finding.rule_id, finding.secret))
                    findings.append(finding)
        return findings

    def _candidates(
        self,
        text: str,
        chunk: Chunk,
        found_ids: frozenset[int],
        problems: list[SourceProblem] | None,
    ) -> list[_Candidate]:
        n = len(self.ruleset)
        candidates = sorted(i for i in found_ids if i < n)
        if not candidates:
            return []
        path = chunk.path_for_rules or chunk.origin.path
        lower = text.lower()
        # a few characters lowercase to two, and shift offsets: then search without keywords
        lowered = lower if len(lower) == len(text) else None
        providers = self.ruleset.providers
        prefixes = self.ruleset.token_prefixes
        located = self.prefilter.located
        regions = self.prefilter.locate(text) if located.intersection(candidates) else None
        found: list[_Candidate] = []
        for index in candidates:
            rule = self.ruleset.rules[index]
            if rule.allow_paths and any(p.search(path) for p in rule.allow_paths):
                continue
            spans = None
            if regions is not None and index in located:
                spans = regions.get(index)
                if spans is None:
                    continue  # the locator saw no possible match for this rule
            try:
                found.extend(_confirm(rule, text, lowered, self.policy, spans, providers, prefixes))
            except TimeoutError:
                if problems is not None:
                    problems.append(
                        SourceProblem(chunk.origin.display, f"rule {rule.id} timed out; skipped")
                    )
        return _dedupe(found) if found else []

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

    def _scan_decoded(
        self, chunk: Chunk, triggered: bool, problems: list[SourceProblem] | None
    ) -> list[Finding]:
        out: list[Finding] = []
        lines: _Lines | None = None
        for seg in find_encoded(chunk.text, base64_hex=triggered):
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
