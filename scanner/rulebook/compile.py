"""``RuleSpec`` → ``CompiledRule``; a ``Ruleset`` holds compiled rules and is picklable."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import regex

from scanner.errors import RuleError
from scanner.rulebook.schema import RuleSpec
from scanner.validators.offline import CHECKSUMS

# ASCII semantics for \w, \b, \s and case folding: the same as the Hyperscan prefilter sees.
REGEX_FLAGS = regex.ASCII | regex.VERSION0


@dataclass(frozen=True, slots=True)
class CompiledRule:
    spec: RuleSpec
    index: int
    regex: regex.Pattern[str] = field(repr=False)
    secret_group: int
    allow_patterns: tuple[regex.Pattern[str], ...] = field(repr=False)
    allow_paths: tuple[regex.Pattern[str], ...] = field(repr=False)

    @property
    def id(self) -> str:
        return self.spec.id


def compile_pattern(spec: RuleSpec) -> regex.Pattern[str]:
    try:
        return regex.compile(spec.pattern, REGEX_FLAGS)
    except regex.error as exc:
        raise RuleError(spec.source, spec.id, "pattern", f"does not compile: {exc}") from None


def compile_rule(spec: RuleSpec, index: int) -> CompiledRule:
    pattern = compile_pattern(spec)
    groups = pattern.groups
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
    return CompiledRule(
        spec=spec,
        index=index,
        regex=pattern,
        secret_group=group,
        allow_patterns=tuple(_compile_aux(spec, "allow.patterns", p) for p in spec.allow.patterns),
        allow_paths=tuple(_compile_aux(spec, "allow.paths", p) for p in spec.allow.paths),
    )


def _compile_aux(spec: RuleSpec, where: str, pattern: str) -> regex.Pattern[str]:
    try:
        return regex.compile(pattern, REGEX_FLAGS)
    except regex.error as exc:
        raise RuleError(spec.source, spec.id, where, f"does not compile: {exc}") from None


class Ruleset:
    """Compiled rules, in a fixed order; picklable for worker processes."""

    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        self.rules: tuple[CompiledRule, ...] = tuple(rules)
        self._by_id = {r.id: r for r in self.rules}
        digest = hashlib.sha256()
        for r in self.rules:
            digest.update(r.id.encode() + b"\0" + r.spec.pattern.encode() + b"\0")
            digest.update("\0".join(r.spec.keywords).encode() + b"\1")
        self.digest = digest.hexdigest()

    @classmethod
    def from_specs(cls, specs: Iterable[RuleSpec]) -> Ruleset:
        specs = list(specs)
        seen: dict[str, str] = {}
        for spec in specs:
            if spec.id in seen:
                raise RuleError(spec.source, spec.id, "id", f"duplicate id (also in {seen[spec.id]})")
            seen[spec.id] = spec.source
        return cls([compile_rule(spec, i) for i, spec in enumerate(specs)])

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
        self.__init__([compile_rule(s, i) for i, s in enumerate(specs)])  # type: ignore[misc]
