"""Chunk → findings: prefilter, confirm each candidate rule with ``regex``, validate, dedupe.

Pure: no I/O, no printing. ``Matcher`` holds compiled state (and a bounded memo of name
verdicts that only saves work) and is handed to worker processes as it is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.backslash import has_escapes, unescape_near_escapes
from scanner.cache import Cache, cache_key
from scanner.chunklines import ChunkLines
from scanner.decoders import encoded_triggers, find_encoded
from scanner.models import Chunk, Confidence, Finding, Position, SourceProblem
from scanner.nameregions import RegionMemo
from scanner.pathscope import PathScope
from scanner.prefilter import Prefilter, build_prefilter
from scanner.rulebook.compile import Ruleset
from scanner.ruleclock import RuleClock
from scanner.secret import Secret

if TYPE_CHECKING:
    from regex import Pattern

    from scanner.confirm import _Candidate
    from scanner.nameshape import Kind

# The confirm stage (``confirm`` and what it runs: ``filters``, the value-shape tables,
# ``assignment``, ``filekind``, ``nameshape``) is imported by the first chunk that has a
# candidate rule (or a finding): a staged check whose change names no rule never loads it.


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """What the matcher drops or keeps; built once from flags and config."""

    ignore_inline_allow: bool = False
    decode_depth: int = 2
    allow_values: tuple[Pattern[str], ...] = field(default=(), repr=False)


def _cached_triggers(ruleset: Ruleset, cache_dir: Path | None) -> list[str]:
    """The decoder triggers of ``ruleset``, cached beside the Hyperscan database."""
    cache = Cache(cache_dir) if cache_dir else None
    key = cache_key("triggers", ruleset.digest)
    if cache is not None:
        cached = cache.load_json("triggers", key)
        if isinstance(cached, list) and all(isinstance(t, str) for t in cached):
            return cached
    triggers = encoded_triggers(keyword_forms(ruleset))
    if cache is not None:
        cache.store_json("triggers", key, triggers)
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


def _has_allow_marker(line: str, previous_line: str = "") -> bool:
    """``filters.has_allow_marker``, loaded with the first finding (the confirm stage's)."""
    from scanner.filters import has_allow_marker

    return has_allow_marker(line, previous_line)


def _charge(
    clock: RuleClock,
    rule_id: str,
    seconds: float,
    chunk: Chunk,
    problems: list[SourceProblem] | None,
) -> None:
    """Charge the rule's time in this input; the warning when that used it up."""
    if clock.charge(rule_id, seconds) and problems is not None:
        limit = f"{clock.limit:g} s"
        message = f"rule {rule_id} spent more than {limit} on this input; not run on the rest of it"
        problems.append(SourceProblem(chunk.origin.display, message))


class Matcher:
    def __init__(self, ruleset: Ruleset, prefilter: Prefilter, policy: MatchPolicy) -> None:
        self.ruleset = ruleset
        self.prefilter = prefilter
        self.policy = policy
        # assigned names the context assessment turns down by name alone (a bounded memo)
        self._names: dict[tuple[str, tuple[Kind, ...]], bool] = {}
        self._regions: RegionMemo = {}  # and whole located regions' verdicts (``nameregions``)
        # rules for files known by their path; those without keywords run on every such file
        self._scope = PathScope(ruleset.rules)

    def scope_key(self, path: str) -> str:
        """Which path-scoped rules run on a file at ``path`` ("" for none): two blobs with the
        same content are scanned alike only when this is the same for both."""
        return self._scope.key(path)

    def scoped_rules(self, path: str) -> frozenset[int]:
        """The rules for files known by their path that run on a file at ``path``: the
        prefilter need not look for the others."""
        return self._scope.taking(path)

    @classmethod
    def build(
        cls,
        ruleset: Ruleset,
        policy: MatchPolicy | None = None,
        engine: str = "auto",
        cache_dir: Path | None = None,
        trusted: Ruleset | None = None,
    ) -> Matcher:
        """A matcher with its prefilter (and the decoder triggers) built for ``ruleset``; when
        a config of the scanned tree made ``ruleset`` out of the caller's ``trusted`` rules,
        with theirs, nothing compiled or cached for it (``treeprefilter``)."""
        if trusted is not None and trusted.digest != ruleset.digest:
            from scanner.treeprefilter import tree_prefilter

            prefilter = tree_prefilter(ruleset, trusted, engine, _cached_triggers, cache_dir)
        else:
            prefilter = build_prefilter(
                ruleset, engine, lambda: _cached_triggers(ruleset, cache_dir), cache_dir
            )
        return cls(ruleset, prefilter, policy or MatchPolicy())

    @property
    def engine(self) -> str:
        return self.prefilter.name

    def warm(self) -> None:
        """Load now what the first candidate rule of a chunk loads (the confirm stage's modules,
        the locator database): worker processes forked after this share it rather than each
        loading its own."""
        from scanner import assignment, assignsyntax, filekind, nameshape  # noqa: F401

        if self.prefilter.located:
            self.prefilter.locate("")  # loads the locator (on first use) and finds nothing

    def scan(
        self,
        chunk: Chunk,
        problems: list[SourceProblem] | None = None,
        clock: RuleClock | None = None,
    ) -> list[Finding]:
        """Findings in ``chunk`` and in what decodes from it (up to the policy's depth).
        ``clock``: the time each rule has left in the input ``chunk`` is part of."""
        text = chunk.text
        scoped = self.scoped_rules(chunk.path_for_rules or chunk.origin.path)
        found_ids = self.prefilter.candidates(text, scoped)
        cands = self._candidates(text, chunk, found_ids, problems, clock)
        if has_escapes(text):
            unescaped = unescape_near_escapes(text)
            extra = self._candidates(
                unescaped.text,
                chunk,
                self.prefilter.candidates(unescaped.text, scoped),
                problems,
                clock,
            )
            back = unescaped.original
            extra = [
                replace(
                    c,
                    start=back(c.start),
                    end=back(c.end),
                    shown_from=None if c.shown_from is None else back(c.shown_from),
                )
                for c in extra
            ]
            if cands or extra:  # both empty: nothing to dedupe (the confirm stage stays unloaded)
                from scanner.confirm import _dedupe

                cands = _dedupe(cands + extra)
        findings = self._to_findings(chunk, cands) if cands else []
        if chunk.depth < self.policy.decode_depth and len(text) >= 16:
            seen = {(f.rule_id, f.secret) for f in findings}
            n = len(self.ruleset)
            triggers = sorted(i - n for i in found_ids if i >= n)
            for finding in self._scan_decoded(chunk, triggers, problems, findings, clock):
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
        clock: RuleClock | None = None,
    ) -> list[_Candidate]:
        n = len(self.ruleset)
        path = chunk.path_for_rules or chunk.origin.path
        # path-scoped rules only where their paths take the file (no spec decoded for that);
        # those without keywords are tried on every file their paths take
        scope = self._scope
        taking, scoped = scope.taking(path), scope.indices
        found_ids = found_ids.union(scope.keywordless & taking)
        candidates = sorted(i for i in found_ids if i < n and (i not in scoped or i in taking))
        if not candidates:
            return []
        from scanner import confirm, filekind
        from scanner.windows import _Lowered

        file = filekind.file_context(path)
        if file.skip:  # ``_confirm`` finds nothing for these here: do not locate for them
            mode = confirm._context_mode
            candidates = [i for i in candidates if not mode(self.ruleset.rules[i])]
        # lowercased on demand; a few characters lowercase to two and shift offsets: then
        # rules search without keywords
        lowered = _Lowered(text)
        providers = self.ruleset.providers
        prefixes = self.ruleset.token_prefixes
        to_locate = self.prefilter.located.intersection(candidates)
        regions = self.prefilter.locate(text, to_locate) if to_locate else None
        found: list[_Candidate] = []
        for index in candidates:
            rule = self.ruleset.rules[index]
            if rule.allowed_at(path):
                continue
            spans = None
            if regions is not None and index in to_locate:
                spans = regions.get(index)
                if spans is None:
                    continue  # the locator saw no possible match for this rule
            if clock is not None and clock.over(rule.id):
                continue
            started = time.process_time()
            try:
                found.extend(
                    confirm._confirm(
                        rule,
                        text,
                        lowered,
                        self.policy,
                        spans,
                        providers,
                        prefixes,
                        file,
                        self._names,
                        self._regions,
                    )
                )
            except TimeoutError:
                if problems is not None:
                    problems.append(
                        SourceProblem(chunk.origin.display, f"rule {rule.id} timed out; skipped")
                    )
            if clock is not None:
                _charge(clock, rule.id, time.process_time() - started, chunk, problems)
        return confirm._dedupe(found) if found else []

    def _to_findings(self, chunk: Chunk, cands: list[_Candidate]) -> list[Finding]:
        lines = ChunkLines(chunk)
        out: list[Finding] = []
        marks: dict[tuple[int, bool], bool] = {}  # (line, with the line before): allowed

        def marked(line: int, with_previous: bool) -> bool:
            key = (line, with_previous)
            hit = marks.get(key)
            if hit is None:
                prev = lines.line_text(line - 1) if with_previous and line > 1 else ""
                hit = marks[key] = _has_allow_marker(lines.line_text(line), prev)
            return hit

        for cand in cands:
            rel_line, column = lines.locate(cand.start)
            shown_line, shown_column = rel_line, column
            if cand.shown_from is not None:
                shown_line, shown_column = lines.locate(cand.shown_from)
            rel_end_line, end_column = lines.locate(cand.end)
            if not self.policy.ignore_inline_allow and (
                marked(shown_line, True) or (shown_line != rel_line and marked(rel_line, False))
            ):
                continue
            confidence = cand.confidence or cand.rule.spec.confidence
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
                        line=lines.display_line(shown_line),
                        column=shown_column if decoded is None else chunk.first_column,
                        end_line=lines.display_line(rel_end_line),
                        end_column=end_column if decoded is None else chunk.first_column,
                        chunk_line=rel_line,
                    ),
                    secret=Secret(cand.secret),
                    entropy=round(cand.entropy, 3),
                    checksum=cand.checksum,
                    decoded=decoded,
                    extra=(("offset", str(chunk.offset + cand.start)),),
                    parts=tuple((k, Secret(v)) for k, v in cand.parts),
                )
            )
        return out

    def _scan_decoded(
        self,
        chunk: Chunk,
        triggers: list[int],
        problems: list[SourceProblem] | None,
        raw: list[Finding],
        clock: RuleClock | None = None,
    ) -> list[Finding]:
        """Findings in encoded segments of ``chunk``; base64 and hex segments only where the
        prefilter saw ``triggers`` (encoded keywords), and only those that hold one. A rule that
        already matched the segment as it is written (``pass%23word`` in a URL) is not reported
        again for its decoded form."""
        raw_at = [(int(dict(f.extra)["offset"]), f.rule_id) for f in raw]
        out: list[Finding] = []
        lines: ChunkLines | None = None
        near = self.prefilter.trigger_texts(triggers) if triggers else []
        for seg in find_encoded(chunk.text, base64_hex=bool(triggers), near=near):
            if lines is None:
                lines = ChunkLines(chunk)
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
            lo, hi = chunk.offset + seg.start, chunk.offset + seg.end
            seen_raw = {rule for at, rule in raw_at if lo <= at < hi}
            for finding in self.scan(child, problems, clock):
                if finding.rule_id in seen_raw:
                    continue
                if not self.policy.ignore_inline_allow and _has_allow_marker(
                    lines.line_text(rel_line)
                ):
                    continue
                out.append(finding)
        return out
