"""The prefilter when a config found in the scanned tree changes the rules: no database is
compiled or cached for that rule set.

A Hyperscan database is keyed by its rule set: a tree whose config added a rule file or
disabled a rule made keyguard compile the whole pack again (1.5 to 6 minutes) and cache 45 MB
more, once per distinct rule set, without bound. The rules a tree selects are instead looked
for with what the caller's rules (the built-in pack, ``--rules``, the trusted configs) already
have: ``TreePrefilter`` scans with the caller's own prefilter (its database compiled and cached
once, as for any scan) and names only the rules the tree kept, at their places in the scan's
rule set; the rules the tree added are found by their keywords (``AhoCorasickPrefilter``, no
compile, nothing cached). Decoder triggers are the caller's rules' (a rule the tree added is
still looked for in what they find decoded). When none of the caller's rules is kept, the
keyword automaton serves every rule, its triggers computed and not cached.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from scanner.prefilter import (
    AhoCorasickPrefilter,
    Prefilter,
    build_prefilter,
    hyperscan_available,
)
from scanner.rulebook.compile import CompiledRule, Ruleset

TriggersOf = Callable[[Ruleset, Path | None], list[str]]
"""A rule set's decoder triggers, cached in the directory given (None: not cached)."""


def tree_prefilter(
    ruleset: Ruleset, trusted: Ruleset, engine: str, triggers_of: TriggersOf, cache_dir: Path | None
) -> Prefilter:
    """The prefilter for ``ruleset``, which a tree's config made out of ``trusted`` (the
    caller's rules)."""
    to_final = [_kept(rule, ruleset) for rule in trusted]
    kept = {i for i in to_final if i is not None}
    keywords_only = engine == "aho-corasick" or not (engine == "hyperscan" or hyperscan_available())
    if not kept or keywords_only:  # no database is worth loading (or none is used)
        return AhoCorasickPrefilter(ruleset, triggers_of(ruleset, None))
    added = Ruleset([rule for rule in ruleset if rule.index not in kept])
    base = build_prefilter(trusted, engine, lambda: triggers_of(trusted, cache_dir), cache_dir)
    triggers = tuple(triggers_of(added, None)) if len(added) else ()
    return TreePrefilter(base, to_final, len(ruleset), AhoCorasickPrefilter(added), triggers)


def _kept(rule: CompiledRule, ruleset: Ruleset) -> int | None:
    """Where ``rule`` is in ``ruleset`` (None when the tree's config left it out)."""
    same = ruleset.get(rule.id)
    return same.index if same is not None and same.fingerprint == rule.fingerprint else None


class TreePrefilter:
    """``base`` (over the caller's rules) with its rule indices moved to the scan's rule set
    (``to_final``; None for a rule left out) and its triggers after that set's rules, plus
    ``added``: the tree's own rules (already at their indices), and their decoder
    ``triggers``, numbered from ``ADDED_TRIGGERS`` on (the base's are never that many)."""

    ADDED_TRIGGERS = 1 << 30

    def __init__(
        self,
        base: Prefilter,
        to_final: Sequence[int | None],
        size: int,
        added: AhoCorasickPrefilter,
        triggers: Sequence[str] = (),
    ) -> None:
        self.name = base.name
        self._base = base
        self._to_final = tuple(to_final)
        self._from_final = {j: i for i, j in enumerate(to_final) if j is not None}
        self._size = size
        self._shift = size - len(to_final)  # a trigger's index in the scan's rule set
        self._added = added
        self._added_texts = tuple(triggers)
        self._added_triggers = AhoCorasickPrefilter(Ruleset([]), self._added_texts)

    def candidates(self, text: str, scoped: Collection[int] | None = None) -> frozenset[int]:
        found = set(self._added.candidates(text, scoped))
        first = self._size + self.ADDED_TRIGGERS
        found.update(first + k for k in self._added_triggers.candidates(text))
        n = len(self._to_final)
        base = self._from_final
        base_scoped = None if scoped is None else [base[j] for j in scoped if j in base]
        for i in self._base.candidates(text, base_scoped):
            j = self._to_final[i] if i < n else i + self._shift
            if j is not None:
                found.add(j)
        return frozenset(found)

    def locate(
        self, text: str, rules: Collection[int] | None = None
    ) -> dict[int, list[tuple[int, int]]] | None:
        wanted = None if rules is None else [self._from_final[j] for j in rules if j in self]
        regions = self._base.locate(text, wanted)
        if regions is None:
            return None
        return {j: spans for i, spans in regions.items() if (j := self._to_final[i]) is not None}

    def __contains__(self, final: int) -> bool:
        return final in self._from_final

    @property
    def located(self) -> frozenset[int]:
        return frozenset(j for i in self._base.located if (j := self._to_final[i]) is not None)

    def trigger_texts(self, indices: Sequence[int]) -> list[str] | None:
        mine = [i - self.ADDED_TRIGGERS for i in indices if i >= self.ADDED_TRIGGERS]
        theirs = self._base.trigger_texts([i for i in indices if i < self.ADDED_TRIGGERS])
        if theirs is None:
            return None
        return theirs + [self._added_texts[i] for i in mine]

    def trigger_lines(self, text: str) -> frozenset[int] | None:
        if self._added_texts:  # not told line by line: the caller asks ``candidates``
            return None
        return self._base.trigger_lines(text)
