"""Which path-scoped rules (rules with ``paths``: ``.pgpass``, ``haproxy.cfg``) run on a file.

Asked for every blob (its dedupe key) and every chunk (which candidates to confirm). Trying each
scoped rule's path patterns on every path cost a scan of a 17k-file tree a tenth of its CPU
time, yet most paths are taken by none of them. So the built-in rules' path patterns (the
standard ``re``'s) are joined into one *gate*: a path the gate does not match is taken by none
of those rules, in one search. Only a path the gate matches, or a rule whose patterns are not
in the gate (a user's ``regex`` patterns, searched with a timeout), is asked rule by rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.rulebook.compile import CompiledRule

_GLOBAL_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")


def _scoped_group(pattern: str) -> str | None:
    """``pattern`` as a group that keeps its meaning inside an alternation, or None when it
    cannot be (global flags anywhere but at its start, or numbered back-references)."""
    flags = ""
    m = _GLOBAL_FLAGS.match(pattern)
    if m is not None:
        flags, pattern = m.group(1), pattern[m.end() :]
    if _GLOBAL_FLAGS.search(pattern) or re.search(r"\\[1-9]", pattern):
        return None
    return f"(?{flags}:{pattern})" if flags else f"(?:{pattern})"


def path_gate(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """One pattern matching a path exactly when one of ``patterns`` (standard ``re``
    expressions) is found in it; None when they cannot be joined."""
    groups = [_scoped_group(p) for p in patterns]
    if not groups or any(g is None for g in groups):
        return None
    try:
        return re.compile("|".join(g for g in groups if g is not None))
    except re.error:
        return None


class PathScope:
    """The path-scoped rules of a rule set, and which of them take a given path (the last
    path asked is remembered: a blob's chunks ask for the same path in turn)."""

    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        self.rules = tuple(r for r in rules if r.paths)
        self.indices = frozenset(r.index for r in self.rules)
        self.keywordless = frozenset(r.index for r in self.rules if not r.keywords)
        gated = [r for r in self.rules if all(isinstance(p, re.Pattern) for p in r.path_patterns())]
        self._gate = path_gate([p for r in gated for p in r.paths]) if gated else None
        gated_ids = {r.index for r in gated} if self._gate is not None else set()
        self._always = tuple(r for r in self.rules if r.index not in gated_ids)
        self._last: tuple[str, frozenset[int]] = ("\0", frozenset())

    def taking(self, path: str) -> frozenset[int]:
        """The indices of the scoped rules that run on a file at ``path``."""
        last_path, last = self._last
        if path == last_path:
            return last
        if self._gate is not None and self._gate.search(path) is None:
            asked = self._always
        else:
            asked = self.rules
        taken = frozenset(r.index for r in asked if r.runs_on(path))
        self._last = (path, taken)
        return taken
