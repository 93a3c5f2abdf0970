"""Chunk → findings: prefilter, confirm each candidate rule with ``regex``, validate, dedupe.

Pure: no I/O, no printing. ``Matcher`` holds compiled state (and a bounded memo of name
verdicts that only saves work) and is handed to worker processes as it is.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from scanner import filters
from scanner.backslash import has_escapes, unescape_near_escapes
from scanner.cache import Cache, cache_key
from scanner.decoders import (
    encoded_triggers,
    find_encoded,
)
from scanner.deferral import _NOT_A_PROVIDER, _names_provider, assignment_name
from scanner.models import Chunk, Confidence, Finding, Position, SourceProblem
from scanner.prefilter import Prefilter, build_prefilter
from scanner.rulebook.compile import CompiledRule, Ruleset
from scanner.secret import Secret
from scanner.validators.offline import CHECKSUMS, meets_requirements, shannon_entropy
from scanner.validators.structure import STRUCTURE_CHECKS
from scanner.windows import _iter_rule_matches, _Lowered

if TYPE_CHECKING:
    from regex import Match, Pattern

    from scanner import assignment, filekind
    from scanner.nameshape import Kind

# The confirm stage (``assignment``, ``filekind``, ``nameshape`` and the value-shape tables) is
# imported by the first chunk that has a candidate rule: a staged check whose change names no
# rule never loads it.

_NAME_MEMO = 4096  # names remembered per matcher (``_confirm``'s ``names``)


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
    confidence: Confidence | None = None  # set by the context assessment of generic rules
    parts: tuple[tuple[str, str], ...] = ()  # named groups a verifier uses ({part:NAME})

    def priority(self) -> tuple[int, int, int, int, int]:
        spec = self.rule.spec
        return (
            0 if "generic" in spec.tags else 1,
            int(spec.confidence),
            1 if self.checksum == "valid" else 0,
            len(self.secret),
            -self.rule.index,
        )


def is_valid_secret(
    rule: CompiledRule, secret: str, policy: MatchPolicy, assessed: bool = False
) -> tuple[bool, float]:
    """Offline checks on one candidate secret: entropy, classes, placeholders, allowlists.
    ``assessed``: the context assessment already judged the value's shape (identifiers)."""
    spec = rule.spec
    entropy = shannon_entropy(secret)
    if entropy < spec.min_entropy:
        return False, entropy
    if not meets_requirements(secret, spec.requirements):
        return False, entropy
    if filters.is_placeholder(secret, strict_words=spec.is_generic):
        return False, entropy
    if "generic" in spec.tags and not assessed and filters.looks_like_identifier(secret):
        return False, entropy
    lowered = secret.lower()
    if any(word in lowered for word in spec.allow.stopwords):
        return False, entropy
    if any(p.search(secret) for p in rule.allow_patterns):
        return False, entropy
    if any(p.search(secret) for p in policy.allow_values):
        return False, entropy
    check = STRUCTURE_CHECKS.get(spec.checksum or "")
    if check is not None and not check(secret):
        return False, entropy
    return True, entropy


def _context_mode(rule: CompiledRule) -> str:
    """How a generic rule's matches are judged: ``assignment`` (name, operator, value),
    ``named-value`` (the name is capture group 1), ``cli-password``, or "" (not at all)."""
    tags = rule.spec.tags
    if "generic" not in tags:
        return ""
    for mode in ("assignment", "named-value", "cli-password"):
        if mode in tags:
            return mode
    return ""


def _wanted_kinds(rule: CompiledRule) -> tuple[Kind, ...]:
    from scanner.nameshape import Kind

    tags = rule.spec.tags
    if "password" in tags:
        return (Kind.PASSWORD,)
    if "secret" in tags:
        return (Kind.SECRET, Kind.TOKEN, Kind.KEY, Kind.AUTH)
    return ()


def _is_code_reference(text: str, start: int, end: int, secret: str) -> bool:
    """A secret that is a word-shaped name used as code: ``BedrockAwsAuth(``,
    ``AxisOrder.AUTHORITY``, ``.models.secret``: followed by a call, attribute or index,
    or preceded by an attribute dot."""
    if not filters.looks_like_identifier(secret) and not filters.is_enum_member(secret):
        return False
    after = text[end : end + 1]
    before = text[start - 1 : start] if start else ""
    return after in ("(", ".", "[") or before == "." or filters.is_enum_member(secret)


def _confirm(
    rule: CompiledRule,
    text: str,
    lowered: str | None | _Lowered,
    policy: MatchPolicy,
    regions: list[tuple[int, int]] | None = None,
    providers: frozenset[str] = frozenset(),
    prefixes: tuple[str, ...] = (),
    file: filekind.FileContext | None = None,
    names: dict[tuple[str, tuple[Kind, ...]], bool] | None = None,
) -> list[_Candidate]:
    """``names`` remembers which assigned names the context assessment turns down by the name
    alone (``cache_key``, ``token_type``): logs repeat a few names on every line."""
    from scanner import assignment
    from scanner.nameshape import Kind, name_info, names_non_secret

    out: list[_Candidate] = []
    keywords = rule.spec.keywords
    defer = bool(providers) and "generic" in rule.spec.tags and rule.spec.anchor_keyword
    mode = _context_mode(rule)
    if mode and file is not None and file.skip:
        return out  # lock files, translation catalogs, minified bundles: no generic findings
    want = _wanted_kinds(rule) if mode else ()
    providers = providers - _NOT_A_PROVIDER if defer else providers
    memo = names if mode == "assignment" else None

    def refused(pos: int) -> bool:
        """``assess`` starts by classifying the setting name at the match and drops the match
        when the name is turned down: decide that first, from memory (an anchored rule's
        match starts at its keyword, so before its regex runs)."""
        assert memo is not None
        lo, hi = assignment.name_span(text, pos)
        name_key = (text[lo:hi], want)
        verdict = memo.get(name_key)
        if verdict is None:
            info = name_info(name_key[0])
            verdict = bool(info.reason) or info.kind is Kind.NONE
            verdict = verdict or bool(want and info.kind not in want)
            if len(memo) >= _NAME_MEMO:
                memo.clear()
            memo[name_key] = verdict
        return verdict

    early = refused if memo is not None and rule.spec.anchor_keyword else None
    for m in _iter_rule_matches(rule, text, lowered, regions, early):
        if memo is not None and early is None and refused(m.start()):
            continue
        whole = m.group(0).lower()
        if not any(kw in whole for kw in keywords):
            continue
        secret = m.group(rule.secret_group)
        if not secret:
            continue
        start, end = m.span(rule.secret_group)
        confidence: Confidence | None = None
        if mode:
            assessment = _assess(mode, text, m, rule.secret_group, file, want)
            if assessment is None:
                continue
            secret, start, end = assessment.value, assessment.start, assessment.end
            confidence = assessment.confidence
            # passwords have no provider format to defer to
            defer_here = defer and assessment.kind is not Kind.PASSWORD
        else:
            defer_here = defer
        if defer_here and _names_provider(assignment_name(text, m.start()), providers):
            continue  # a provider we know: its specific rules decide, not the generic one
        if defer_here and secret.lower().startswith(prefixes):
            continue  # shaped like a known provider's token that its own rule rejected
        ok, entropy = is_valid_secret(rule, secret, policy, assessed=confidence is not None)
        if not ok:
            continue
        if confidence is None and _is_code_reference(text, start, end, secret):
            continue
        # a provider rule that recognises the key by a nearby provider word (no keyword inside
        # the secret itself): ``acme_request_id = <uuid>``, ``acme_commit: <sha>`` are not keys
        lowered_secret = secret.lower()
        if (
            not mode
            and not any(kw in lowered_secret for kw in keywords)
            and names_non_secret(text[max(0, start - 96) : start])
        ):
            continue
        checksum = None
        if rule.spec.checksum:
            checksum = "valid" if CHECKSUMS[rule.spec.checksum](secret) else "invalid"
        parts = _verify_parts(rule, m) if m.re.groupindex else ()
        out.append(_Candidate(rule, start, end, secret, entropy, checksum, confidence, parts))
    return out


def _verify_parts(rule: CompiledRule, m: Match[str]) -> tuple[tuple[str, str], ...]:
    """The named groups ``{part:NAME}`` of the rule's verifier asks for, or, for a rule
    verified by code (no ``[rules.verify]`` table), every named group (``--verify``)."""
    verify = rule.spec.verify
    names = sorted(verify.parts() if verify is not None else m.re.groupindex)
    return tuple((n, m.group(n)) for n in names if m.group(n))


def _assess(
    mode: str,
    text: str,
    m: Match[str],
    group: int,
    file: filekind.FileContext | None,
    want: tuple[Kind, ...],
) -> assignment.Assessment | None:
    from scanner import assignment, filekind

    fc = file if file is not None else filekind.FileContext("unknown")
    start, end = m.span(group)
    if mode == "assignment":
        return assignment.assess(text, m.start(), start, file=fc, want=want, value_end=end)
    if mode == "named-value":
        quote = text[start - 1 : start] if start else ""
        return assignment.assess_named(text, m.group(1), start, end, quote, file=fc)
    return assignment.assess_cli_password(text, start, end, file=fc)


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


class Matcher:
    def __init__(self, ruleset: Ruleset, prefilter: Prefilter, policy: MatchPolicy) -> None:
        self.ruleset = ruleset
        self.prefilter = prefilter
        self.policy = policy
        # assigned names the context assessment turns down by name alone (a bounded memo)
        self._names: dict[tuple[str, tuple[Kind, ...]], bool] = {}

    @classmethod
    def build(
        cls,
        ruleset: Ruleset,
        policy: MatchPolicy | None = None,
        engine: str = "auto",
        cache_dir: Path | None = None,
    ) -> Matcher:
        """A matcher with its prefilter (and the decoder triggers) built for ``ruleset``."""
        prefilter = build_prefilter(
            ruleset, engine, lambda: _cached_triggers(ruleset, cache_dir), cache_dir
        )
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
            unescaped = unescape_near_escapes(text)
            extra = self._candidates(
                unescaped.text, chunk, self.prefilter.candidates(unescaped.text), problems
            )
            back = unescaped.original
            extra = [replace(c, start=back(c.start), end=back(c.end)) for c in extra]
            cands = _dedupe(cands + extra)
        findings = self._to_findings(chunk, cands) if cands else []
        if chunk.depth < self.policy.decode_depth and len(text) >= 16:
            seen = {(f.rule_id, f.secret) for f in findings}
            n = len(self.ruleset)
            triggers = sorted(i - n for i in found_ids if i >= n)
            for finding in self._scan_decoded(chunk, triggers, problems):
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
        from scanner import filekind

        path = chunk.path_for_rules or chunk.origin.path
        file = filekind.file_context(path)
        # lowercased on demand; a few characters lowercase to two and shift offsets: then
        # rules search without keywords
        lowered = _Lowered(text)
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
                found.extend(
                    _confirm(
                        rule,
                        text,
                        lowered,
                        self.policy,
                        spans,
                        providers,
                        prefixes,
                        file,
                        self._names,
                    )
                )
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
                    parts=tuple((k, Secret(v)) for k, v in cand.parts),
                )
            )
        return out

    def _scan_decoded(
        self, chunk: Chunk, triggers: list[int], problems: list[SourceProblem] | None
    ) -> list[Finding]:
        """Findings in encoded segments of ``chunk``; base64 and hex segments only where the
        prefilter saw ``triggers`` (encoded keywords), and only those that hold one."""
        out: list[Finding] = []
        lines: _Lines | None = None
        near = self.prefilter.trigger_texts(triggers) if triggers else []
        for seg in find_encoded(chunk.text, base64_hex=bool(triggers), near=near):
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
