"""``keyguard rules check``: every rule compiles, has a capture group, and its examples behave,
alone and among all the rules checked, and in other syntaxes than the one they were written in.

Backs the CLI command (users check their own rule files with it) and the test suite.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.errors import RuleError
from scanner.hsdb import compiles_with
from scanner.hsform import hyperscan_form, loosen
from scanner.matcher import Matcher, MatchPolicy
from scanner.models import Chunk, Finding, Origin
from scanner.prefilter import AhoCorasickPrefilter, HyperscanPrefilter, default_cache_dir
from scanner.rulebook.compile import Ruleset, compile_rule
from scanner.rulebook.schema import Example, RuleSpec

if TYPE_CHECKING:
    from regex import Pattern


@dataclass(frozen=True, slots=True)
class CheckIssue:
    level: str  # "error" | "warning"
    source: str
    rule_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.source}: rule {self.rule_id}: {self.message}"


def scan_text(matcher: Matcher, text: str, path: str = "example.txt") -> list[Finding]:
    return matcher.scan(Chunk(text=text, origin=Origin(path=path), path_for_rules=path))


def example_path(example: Example) -> str:
    """Where an example is scanned: its own ``path`` (path-scoped rules), else a neutral name."""
    return example.path or "example.txt"


def single_rule_matcher(spec: RuleSpec) -> Matcher:
    ruleset = Ruleset([compile_rule(spec, 0)])
    return Matcher(ruleset, AhoCorasickPrefilter(ruleset), MatchPolicy())


def check_spec(spec: RuleSpec, hyperscan_ok: bool | None = None) -> list[CheckIssue]:
    issues: list[CheckIssue] = []

    def add(level: str, message: str) -> None:
        issues.append(CheckIssue(level, spec.source, spec.id, message))

    try:
        matcher = single_rule_matcher(spec)
    except RuleError as exc:
        add("error", str(exc).split(": ", 1)[-1])
        return issues
    if matcher.ruleset.rules[0].regex.groups == 0:
        add("warning", "pattern has no capture group; the whole match is the secret")
    if not (_hyperscan_ok(spec) if hyperscan_ok is None else hyperscan_ok):
        add(
            "warning",
            "pattern does not compile in Hyperscan as it is (too large or unsupported): the"
            " database then compiles rule by rule, several times slower; give it a `prefilter`",
        )
    if spec.located and not _locatable(spec.pattern):
        add(
            "warning",
            "pattern is located (keyword-anchored or tagged `located`) but does not compile as"
            " a start-of-match Hyperscan pattern (too large): its matches are not located, and"
            " each keyword is tried with the regex instead; shorten its alternations",
        )
    for i, example in enumerate(spec.examples):
        if spec.paths and example.path is None:
            add("error", f"example {i + 1} has no `path` (the rule runs only at its `paths`)")
            continue
        found = [
            f
            for f in scan_text(matcher, example.text, example_path(example))
            if f.rule_id == spec.id
        ]
        if spec.paths and any(
            f.rule_id == spec.id for f in scan_text(matcher, example.text, "elsewhere/notes.txt")
        ):
            add("error", f"example {i + 1} matches outside the rule's `paths`")
        if not found:
            add("error", f"example {i + 1} does not match")
        elif example.secret is not None and example.secret not in {
            f.secret.reveal() for f in found
        }:
            add("error", f"example {i + 1}: extracted secret differs from the expected one")
    outside = _outside_prefilter(spec, matcher.ruleset.rules[0].regex)
    if outside is None:
        add("error", "prefilter does not compile")
    for i in outside or ():
        add("error", f"example {i + 1}: its match does not contain a match of `prefilter`")
    # a path-scoped rule's negatives are files at its first example's path
    negative_path = example_path(spec.examples[0]) if spec.examples else "example.txt"
    for i, negative in enumerate(spec.negative_examples):
        if any(f.rule_id == spec.id for f in scan_text(matcher, negative, negative_path)):
            add("error", f"negative example {i + 1} matches")
    if len(spec.negative_examples) == 0:
        add("warning", "no negative examples")
    if spec.verify is not None:
        from scanner.verify.checks import verifier_issues

        own = [
            f
            for e in spec.examples
            for f in scan_text(matcher, e.text, example_path(e))
            if f.rule_id == spec.id
        ]
        for message in verifier_issues(spec, own):
            add("error", message)
    return issues


def _outside_prefilter(spec: RuleSpec, pattern: Pattern[str]) -> list[int] | None:
    """Examples (0-based) whose match holds no match of the rule's ``prefilter``: Hyperscan,
    which runs only the prefilter, would never hand that text to the pattern. None when the
    prefilter does not compile."""
    if spec.prefilter is None:
        return []
    import regex

    try:
        loose = regex.compile(spec.prefilter, regex.ASCII | regex.VERSION0)
    except regex.error:
        return None
    missed = []
    for i, example in enumerate(spec.examples):
        m = pattern.search(example.text)
        if m is not None and loose.search(example.text, m.start(), m.end()) is None:
            missed.append(i)
    return missed


def check_pack(specs: Sequence[RuleSpec]) -> list[CheckIssue]:
    """Every check of ``keyguard rules check``: rule by rule, then the syntax variants. The
    pack's prefilter is built (or read from the cache) once: it also tells which patterns
    Hyperscan did not take as they are, so the pack is not compiled a second time for that."""
    try:
        ruleset = Ruleset.from_specs(specs)
    except RuleError:
        return check_specs(specs)  # reported rule by rule; the syntax check needs the pack
    matcher = Matcher.build(ruleset, MatchPolicy(), "auto", cache_dir=default_cache_dir())
    rejected = None  # the Aho-Corasick engine compiles nothing: check_specs asks Hyperscan
    if isinstance(matcher.prefilter, HyperscanPrefilter):
        rejected = {ruleset.rules[i].id for i in matcher.prefilter.approximated}
    return check_specs(specs, rejected) + check_syntaxes(specs, matcher)


def check_specs(
    specs: Sequence[RuleSpec], rejected_ids: set[str] | None = None
) -> list[CheckIssue]:
    """Rule by rule. ``rejected_ids``: the rules whose pattern the pack's Hyperscan database
    did not take as it is (found by compiling the pack here when not given)."""
    issues: list[CheckIssue] = []
    seen: dict[str, str] = {}
    if rejected_ids is None:
        forms = [hyperscan_form(s).decode("utf-8") for s in specs]
        rejected_ids = {specs[i].id for i in _hyperscan_rejects(forms)}
    for spec in specs:
        if spec.id in seen:
            issues.append(
                CheckIssue("error", spec.source, spec.id, f"duplicate id (also in {seen[spec.id]})")
            )
        seen.setdefault(spec.id, spec.source)
        # only the patterns the whole-pack compile singled out are compiled alone
        issues.extend(check_spec(spec, hyperscan_ok=None if spec.id in rejected_ids else True))
    return issues


def _yaml(text: str) -> str:
    return "settings:\n  value: |\n    " + text.replace("\n", "\n    ") + "\n"


def _notebook(text: str) -> str:
    cells = [{"cell_type": "code", "source": [line + "\n" for line in text.split("\n")]}]
    return json.dumps({"cells": cells})


SYNTAXES: dict[str, Callable[[str], str]] = {
    "env": lambda text: text,
    "json": lambda text: json.dumps({"config": text}),
    "yaml": _yaml,
    "python": lambda text: "CONFIG = " + repr(text) + "\n",
    "notebook": _notebook,
    "log": lambda text: "2026-11-28T10:00:00Z INFO worker[42]: loaded " + text.replace("\n", " "),
}
"""How an example is re-written in other syntaxes: a value in a JSON document, a YAML block
scalar, a Python string literal, a notebook cell (escaped JSON), a log line."""

MIN_SYNTAX_RECALL = 0.97


def syntax_misses(specs: Sequence[RuleSpec], matcher: Matcher) -> dict[str, tuple[int, list[str]]]:
    """Per syntax: how many positive examples (with an expected secret) were tried, and the
    rule ids whose example was not found again (by that rule or any other on the same secret)."""
    out: dict[str, tuple[int, list[str]]] = {}
    for syntax, wrap in SYNTAXES.items():
        total, missed = 0, []
        for spec in specs:
            for example in spec.examples:
                if example.secret is None or example.path is not None:
                    continue  # a file format known by its path is not written in syntaxes
                total += 1
                found = {_bare(f.secret.reveal()) for f in scan_text(matcher, wrap(example.text))}
                expected = _bare(example.secret)
                if not any(expected in s or s in expected for s in found):
                    missed.append(spec.id)
        out[syntax] = (total, missed)
    return out


_LAYOUT = re.compile(r"\\[nrt]|\s")


def _bare(secret: str) -> str:
    """``secret`` without its layout: a multi-line key keeps the indentation of a YAML block or
    the ``\\n`` escapes of a JSON string it is written in."""
    return _LAYOUT.sub("", secret)


def check_syntaxes(specs: Sequence[RuleSpec], matcher: Matcher | None = None) -> list[CheckIssue]:
    """An error per syntax in which fewer than ``MIN_SYNTAX_RECALL`` of the examples survive
    (``matcher``: the pack's own, else built here)."""
    if matcher is None:
        try:
            ruleset = Ruleset.from_specs(specs)
        except RuleError:
            return []  # reported rule by rule by check_specs
        matcher = Matcher.build(ruleset, MatchPolicy(), "auto", cache_dir=default_cache_dir())
    issues: list[CheckIssue] = []
    for syntax, (total, missed) in syntax_misses(specs, matcher).items():
        if total and len(missed) > (1 - MIN_SYNTAX_RECALL) * total:
            shown = ", ".join(sorted(set(missed))[:10])
            message = f"{len(missed)}/{total} examples not found when written as {syntax} ({shown})"
            issues.append(CheckIssue("error", "syntax variants", "*", message))
    return issues


def _hyperscan_rejects(patterns: Sequence[str]) -> set[int]:
    """Indexes of the patterns (each a rule's ``hyperscan_form``, as the database holds it)
    that do not compile in Hyperscan, found by compiling them together and halving the group
    that fails (one compile in the common case)."""
    try:
        import hyperscan
    except ImportError:
        return set()
    flags = hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY

    def compiles(indexes: list[int]) -> bool:
        try:
            db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            db.compile(
                expressions=[patterns[i].encode() for i in indexes],
                ids=indexes,
                flags=[flags] * len(indexes),
            )
        except Exception:  # hyperscan.error
            return False
        return True

    def rejects(indexes: list[int]) -> set[int]:
        if not indexes or compiles(indexes):
            return set()
        if len(indexes) == 1:
            return set(indexes)
        half = len(indexes) // 2
        return rejects(indexes[:half]) | rejects(indexes[half:])

    return rejects(list(range(len(patterns))))


def _hyperscan_ok(spec: RuleSpec) -> bool:
    """The rule's form in the Hyperscan database (``hyperscan_form``: its prefilter, the
    macros' cheaper forms, gaps kept within a line) compiles alone, as the database needs."""
    try:
        import hyperscan
    except ImportError:
        return True
    flags = hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY
    return compiles_with(hyperscan, hyperscan_form(spec), flags)


def _locatable(pattern: str) -> bool:
    """The pattern, loosened as the prefilter does, compiles in the prefilter's start-of-match
    (locator) database; True where Hyperscan is not installed."""
    try:
        import hyperscan
    except ImportError:
        return True
    return compiles_with(hyperscan, loosen(pattern).encode(), hyperscan.HS_FLAG_SOM_LEFTMOST)
