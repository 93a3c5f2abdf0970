"""Prefilters: one multi-pattern pass over a chunk that names the rules worth confirming.

Both engines return a *superset* of the rules whose pattern matches the chunk, so the confirm
stage (``matcher.py``) yields identical findings whichever engine ran:

- ``HyperscanPrefilter`` (primary, where the ``hyperscan`` wheel installs; ``hsprefilter``):
  every rule's pattern, loosened (``loosen``), in one database (literal keywords for a rule
  whose pattern Hyperscan cannot take; the rules for files known by their path in a second one),
  scanned over the UTF-8 bytes of the chunk. Character classes in rules are ASCII, so a run of
  them is as long in bytes as in characters; large repeat bounds are opened up. Start-of-match
  databases, one per rule, *locate* possible matches of rules with weak keywords.
- ``AhoCorasickPrefilter`` (portable): the rules' keywords in one automaton over the lowercased
  chunk. Every match of a rule contains one of its keywords (the confirm stage enforces it).

Extra literal "triggers" (ids after the rules) tell the decoder stage when to look for encoded
text.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Protocol

from scanner.cache import CACHE_ENV as CACHE_ENV  # re-exported: the cache is scanner.cache
from scanner.cache import default_cache_dir as default_cache_dir
from scanner.hsdb import compiled as compiled
from scanner.hsdb import compiles_with as compiles_with
from scanner.hsprefilter import LOCATE_LIMIT as LOCATE_LIMIT
from scanner.hsprefilter import HyperscanPrefilter as HyperscanPrefilter
from scanner.hsprefilter import Triggers as Triggers
from scanner.rulebook.compile import Ruleset


class Prefilter(Protocol):
    name: str

    def candidates(self, text: str, scoped: Collection[int] | None = None) -> frozenset[int]:
        """Indices of rules (0..len(ruleset)-1) and triggers (len(ruleset)+i) to consider.
        ``scoped``: the rules for files known by their path that run on ``text`` (None: all of
        them); the others may be left out."""
        ...

    def locate(
        self, text: str, rules: Collection[int] | None = None
    ) -> dict[int, list[tuple[int, int]]] | None:
        """For the rules in ``located`` (those of them in ``rules``, when given): regions where
        a match may lie (they may overlap); None when unknown."""
        ...

    @property
    def located(self) -> frozenset[int]: ...

    def trigger_texts(self, indices: Sequence[int]) -> list[str] | None:
        """The trigger literals with these indices (0-based, after the rules); None if unknown."""
        ...

    def trigger_lines(self, text: str) -> frozenset[int] | None:
        """The (0-based) lines of ``text`` holding a trigger; None when unknown (the caller
        asks ``candidates`` line by line)."""
        ...


def _keyword_table(ruleset: Ruleset, triggers: Sequence[str]) -> dict[str, list[int]]:
    table: dict[str, list[int]] = {}
    for rule in ruleset:
        for kw in rule.spec.keywords:
            table.setdefault(kw, []).append(rule.index)
    for i, trig in enumerate(triggers):
        table.setdefault(trig.lower(), []).append(len(ruleset) + i)
    return table


class AhoCorasickPrefilter:
    name = "aho-corasick"

    def __init__(self, ruleset: Ruleset, triggers: Sequence[str] = ()) -> None:
        import ahocorasick

        table = _keyword_table(ruleset, triggers)
        self._automaton = ahocorasick.Automaton()
        for kw, ids in table.items():
            self._automaton.add_word(kw, tuple(ids))
        self._empty = not table  # only path-scoped rules without keywords: nothing to find
        if not self._empty:
            self._automaton.make_automaton()
        self._triggers = tuple(triggers)

    def candidates(self, text: str, scoped: Collection[int] | None = None) -> frozenset[int]:
        found: set[int] = set()
        if self._empty:
            return frozenset(found)
        for _, ids in self._automaton.iter(text.lower()):
            found.update(ids)
        return frozenset(found)

    def locate(
        self, text: str, rules: Collection[int] | None = None
    ) -> dict[int, list[tuple[int, int]]] | None:
        return None

    @property
    def located(self) -> frozenset[int]:
        return frozenset()

    def trigger_texts(self, indices: Sequence[int]) -> list[str] | None:
        return [self._triggers[i] for i in indices]

    def trigger_lines(self, text: str) -> frozenset[int] | None:
        return None


def hyperscan_available() -> bool:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


def build_prefilter(
    ruleset: Ruleset,
    engine: str = "auto",
    triggers: Triggers = (),
    cache_dir: Path | None = None,
) -> Prefilter:
    """``engine``: ``auto`` (Hyperscan when installed), ``hyperscan`` or ``aho-corasick``.
    With no rules there is nothing for either to find, and Hyperscan cannot compile an empty
    database: the keyword automaton (empty) stands in."""
    if not len(ruleset):
        return AhoCorasickPrefilter(ruleset, ())
    if engine == "hyperscan" or (engine == "auto" and hyperscan_available()):
        return HyperscanPrefilter(ruleset, triggers, cache_dir)
    return AhoCorasickPrefilter(ruleset, triggers() if callable(triggers) else triggers)
