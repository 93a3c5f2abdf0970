"""``RuleSpec`` → ``CompiledRule``; a ``Ruleset`` holds compiled rules and is picklable."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from scanner.errors import RuleError
from scanner.rulebook.genericwords import GENERIC_WORDS, NOT_PROVIDERS

if TYPE_CHECKING:
    from regex import Pattern

    from scanner.rulebook.schema import RuleSpec

# A start from the rule table (``rulebook.table``) builds no ``RuleSpec``: the schema and the
# checksum validators load with the first spec parsed or decoded, not here.

# ASCII semantics for \w, \b, \s and case folding: the same as the Hyperscan prefilter sees.


class CompiledRule:
    """A rule ready to run. The regex compiles on first use (hundreds of built-in rules, few of
    which a small scan needs); ``compile_rule`` compiles eagerly to validate users' files. A
    built-in rule from the rule table (``rulebook.table``) decodes its full ``spec`` on first use
    too: ``id``, ``keywords``, ``tags`` and ``fingerprint`` are all a start needs."""

    __slots__ = (
        "_allow_paths",
        "_allow_patterns",
        "_entry",
        "_regex",
        "_spec",
        "fingerprint",
        "id",
        "index",
        "keywords",
        "paths",
        "secret_group",
        "tags",
        "_scope",
        "_builtin",
    )

    def __init__(self, spec: RuleSpec, index: int, secret_group: int) -> None:
        self._spec: RuleSpec | None = spec
        self._entry: DeferredSpec | None = None
        self.id = spec.id
        self.keywords = spec.keywords
        self.tags = spec.tags
        self.paths = spec.paths
        self._scope: tuple[Any, ...] | None = None
        self._builtin = False  # from the rule table (trusted patterns, the standard ``re``)
        self.fingerprint = spec_fingerprint(spec)
        self.index = index
        self.secret_group = secret_group
        self._regex: Pattern[str] | None = None
        self._allow_patterns: tuple[Pattern[str], ...] | None = None
        self._allow_paths: tuple[Pattern[str], ...] | None = None

    @classmethod
    def deferred(cls, entry: DeferredSpec, index: int) -> CompiledRule:
        """A rule whose spec ``entry.load()`` builds when first needed."""
        rule = cls.__new__(cls)
        rule._spec = None
        rule._entry = entry
        rule.id = entry.id
        rule.keywords = entry.keywords
        rule.tags = entry.tags
        rule.paths = entry.paths
        rule._scope = None
        rule._builtin = True
        rule.fingerprint = entry.fingerprint
        rule.index = index
        rule.secret_group = entry.secret_group
        rule._regex = None
        rule._allow_patterns = None
        rule._allow_paths = None
        return rule

    def __repr__(self) -> str:
        return f"CompiledRule({self.id!r})"

    @property
    def spec(self) -> RuleSpec:
        spec = self._spec
        if spec is None:
            assert self._entry is not None
            spec = self._spec = self._entry.load()
            self._entry = None
        return spec

    @property
    def regex(self) -> Pattern[str]:
        if self._regex is None:
            self._regex = compile_pattern(self.spec)
        return self._regex

    @property
    def allow_patterns(self) -> tuple[Pattern[str], ...]:
        if self._allow_patterns is None:
            self._allow_patterns = _compile_aux(
                self.spec, "allow.patterns", self.spec.allow.patterns
            )
        return self._allow_patterns

    def runs_on(self, path: str) -> bool:
        """Whether the rule applies to a file at ``path`` (a rule with ``paths`` runs only on
        files whose path matches one of them)."""
        if not self.paths:
            return True
        return bounded_search(self.path_patterns(), path)

    def path_patterns(self) -> tuple[Any, ...]:
        """The rule's ``paths`` compiled (``_compile_paths``): standard ``re`` patterns for a
        built-in rule, ``regex`` ones (searched with a timeout) for any other."""
        if self._scope is None:
            self._scope = _compile_paths(self)
        return self._scope

    def allowed_at(self, path: str) -> bool:
        """Whether the rule's ``allow.paths`` drop its findings at ``path``."""
        return bool(self.allow_paths) and bounded_search(self.allow_paths, path)

    @property
    def allow_paths(self) -> tuple[Pattern[str], ...]:
        if self._allow_paths is None:
            self._allow_paths = _compile_aux(self.spec, "allow.paths", self.spec.allow.paths)
        return self._allow_paths


class DeferredSpec(Protocol):
    """A rule known by its head (``rulebook.table.RuleEntry``); ``load`` builds its spec."""

    @property
    def id(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def keywords(self) -> tuple[str, ...]: ...
    @property
    def tags(self) -> tuple[str, ...]: ...
    @property
    def paths(self) -> tuple[str, ...]: ...
    @property
    def secret_group(self) -> int: ...
    @property
    def fingerprint(self) -> str: ...

    def load(self) -> RuleSpec: ...


def spec_fingerprint(spec: RuleSpec) -> str:
    """What the compiled prefilter and the decoder triggers depend on, hashed: the rule-set
    digest (their cache key) is a digest of these."""
    digest = hashlib.sha256()
    digest.update(spec.id.encode() + b"\0" + spec.pattern.encode("utf-8", "surrogatepass") + b"\0")
    digest.update("\0".join(spec.keywords).encode("utf-8", "surrogatepass") + b"\1")
    texts = "\0".join(e.text for e in spec.examples)
    digest.update(texts.encode("utf-8", "surrogatepass") + b"\2")
    digest.update(b"anchor" if spec.anchor_keyword else b"-")
    digest.update(b"located" if spec.located else b"-")
    digest.update(b"\3" + (spec.prefilter or "").encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


def compile_pattern(spec: RuleSpec) -> Pattern[str]:
    import regex  # loaded on the first rule that needs confirming, not at start-up

    try:
        return regex.compile(spec.pattern, regex.ASCII | regex.VERSION0)
    except regex.error as exc:
        raise RuleError(spec.source, spec.id, "pattern", f"does not compile: {exc}") from None


def make_rule(spec: RuleSpec, index: int, *, eager: bool = True) -> CompiledRule:
    """``spec`` ready to run; ``eager`` compiles (and so validates) its patterns now."""
    from scanner.rulebook.schema import count_groups
    from scanner.validators.offline import CHECKSUMS

    if eager:
        groups = compile_pattern(spec).groups
    else:
        groups = spec.groups if spec.groups >= 0 else count_groups(spec.pattern)
    group = spec.secret_group if spec.secret_group is not None else (1 if groups else 0)
    if group > groups:
        raise RuleError(
            spec.source,
            spec.id,
            "secret_group",
            f"{group} exceeds the pattern's {groups} group(s)",
        )
    if spec.checksum and spec.checksum not in CHECKSUMS:
        known = ", ".join(sorted(CHECKSUMS))
        raise RuleError(spec.source, spec.id, "checksum", f"unknown checksum (one of {known})")
    rule = CompiledRule(spec, index, group)
    if eager:
        _ = (rule.regex, rule.allow_patterns, rule.allow_paths)
    return rule


def _compiled(spec: RuleSpec | DeferredSpec, index: int, trusted: frozenset[str]) -> CompiledRule:
    """A deferred spec (a rule-table entry: it has ``load``) decodes on first use; a ``RuleSpec``
    compiles now unless its source is ``trusted``. Told apart without ``isinstance(spec,
    RuleSpec)``, which would load the schema on every start."""
    if hasattr(spec, "load"):
        return CompiledRule.deferred(cast("DeferredSpec", spec), index)
    return make_rule(spec, index, eager=spec.source not in trusted)


def compile_rule(spec: RuleSpec, index: int) -> CompiledRule:
    return make_rule(spec, index, eager=True)


PATH_TIMEOUT = 0.1
"""Seconds one auxiliary pattern (``paths``, ``allow.paths``, ``allow.patterns``) of a user's or
a scanned tree's rule may take on one path or secret: a pattern that backtracks without end
(``(a+)+$``) then does not match, and the scan goes on."""


def bounded_search(patterns: tuple[Any, ...], path: str) -> bool:
    """Whether one of ``patterns`` is found in ``path`` (or a secret). The built-in rules' path
    patterns are the standard ``re``'s; the others are ``regex``'s, searched with
    ``PATH_TIMEOUT``."""
    for p in patterns:
        try:
            found = (
                p.search(path)
                if isinstance(p, re.Pattern)
                else p.search(path, timeout=PATH_TIMEOUT)
            )
        except TimeoutError:
            continue
        if found:
            return True
    return False


def _compile_paths(rule: CompiledRule) -> tuple[Any, ...]:
    """A rule's ``paths`` compiled. A built-in rule's (from the rule table) with the standard
    ``re``, already loaded and without decoding the spec: a start-up asks every blob's path;
    any other rule's with ``regex``, whose searches can be given a timeout."""
    if rule._entry is not None or rule._builtin:
        try:
            return tuple(re.compile(p) for p in rule.paths)
        except re.error:
            pass
    return _compile_aux(rule.spec, "paths", rule.paths)


def _compile_aux(spec: RuleSpec, where: str, patterns: tuple[str, ...]) -> tuple[Pattern[str], ...]:
    """``spec``'s ``where`` list (``allow.patterns``, ``allow.paths``) compiled; a
    ``RuleError`` naming the field for a pattern that does not compile."""
    import regex

    try:
        return tuple(regex.compile(p, regex.ASCII | regex.VERSION0) for p in patterns)
    except regex.error as exc:
        raise RuleError(spec.source, spec.id, where, f"does not compile: {exc}") from None


class Ruleset:
    """Compiled rules, in a fixed order; picklable for worker processes."""

    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        self.rules: tuple[CompiledRule, ...] = tuple(rules)
        self._by_id = {r.id: r for r in self.rules}
        self._providers: frozenset[str] | None = None
        self._prefixes: tuple[str, ...] | None = None
        digest = hashlib.sha256()
        for r in self.rules:
            digest.update(r.fingerprint.encode("ascii", "replace") + b"\0")
        self.digest = digest.hexdigest()

    @classmethod
    def from_specs(
        cls, specs: Iterable[RuleSpec | DeferredSpec], *, trusted: frozenset[str] = frozenset()
    ) -> Ruleset:
        """Compile ``specs``; those whose ``source`` is in ``trusted`` (the built-in rules,
        checked by the test suite) compile lazily, on first use. Deferred specs (the built-in
        rule table) are trusted and decode on first use."""
        specs = list(specs)
        seen: dict[str, str] = {}
        for spec in specs:
            if spec.id in seen:
                raise RuleError(
                    spec.source, spec.id, "id", f"duplicate id (also in {seen[spec.id]})"
                )
            seen[spec.id] = spec.source
        return cls([_compiled(s, i, trusted) for i, s in enumerate(specs)])

    @property
    def providers(self) -> frozenset[str]:
        """Provider names that specific rules cover: the first part of their ids and their
        alphabetic keywords (``mistral``, ``influx``), minus words that name no provider."""
        if self._providers is None:
            names: set[str] = set()
            for r in self.rules:
                family = r.id.split(".", 1)[0]
                if "generic" in r.tags or family in NOT_PROVIDERS:
                    continue
                names.add(family)
                names.update(k for k in r.keywords if k.isalpha() and len(k) >= 4)
            self._providers = frozenset(names - GENERIC_WORDS)
        return self._providers

    @property
    def token_prefixes(self) -> tuple[str, ...]:
        """Keywords of specific rules that look like token prefixes (``ghp_``, ``glcbt-``)."""
        if self._prefixes is None:
            found: set[str] = set()
            for r in self.rules:
                if "generic" in r.tags:
                    continue
                for k in r.keywords:
                    stem = k[:-1]
                    if len(k) < 4 or k.isalpha() or k[-1] not in "_-." or "/" in k:
                        continue
                    if stem in GENERIC_WORDS or (stem.isalpha() and len(k) < 6):
                        continue
                    found.add(k)
            self._prefixes = tuple(sorted(found))
        return self._prefixes

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Iterator[CompiledRule]:
        return iter(self.rules)

    def get(self, rule_id: str) -> CompiledRule | None:
        return self._by_id.get(rule_id)

    def __getstate__(self) -> dict[str, object]:
        return {"specs": [r.spec for r in self.rules]}

    def __setstate__(self, state: dict[str, object]) -> None:
        specs = state["specs"]
        assert isinstance(specs, list)
        self.__init__([make_rule(s, i, eager=False) for i, s in enumerate(specs)])  # type: ignore[misc]
