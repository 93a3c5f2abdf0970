r"""Which path-scoped rules (rules with ``paths``: ``.pgpass``, ``haproxy.cfg``) run on a file.

Asked for every blob (its dedupe key) and every chunk (which candidates to confirm). Trying each
scoped rule's path patterns on every path cost a scan of a 17k-file tree a tenth of its CPU
time, yet most paths are taken by none of them. So the built-in rules' path patterns (the
standard ``re``'s) are joined into one *gate*: a path the gate does not match is taken by none
of those rules, in one search. Only a path the gate matches, or a rule whose patterns are not
in the gate (a user's ``regex`` patterns, searched with a timeout), is asked rule by rule.
Most patterns start a path component (``(?:^|/)\.pgpass$``): the gate tries those only where a
component starts.
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


_COMPONENT_START = "(?:^|/)"


class PathGate:
    """Patterns joined: those that start a path component (``(?:^|/)name``) are tried only
    where a component starts (``re`` would try each at every character of the path: a
    gate of 27 patterns cost 60 us a path), the others searched as one pattern."""

    __slots__ = ("_at_component", "_anywhere")

    def __init__(self, at_component: re.Pattern[str] | None, anywhere: re.Pattern[str] | None):
        self._at_component = at_component
        self._anywhere = anywhere

    def matches(self, path: str) -> bool:
        """Whether one of the joined patterns is found in ``path``."""
        if self._anywhere is not None and self._anywhere.search(path) is not None:
            return True
        start = self._at_component
        if start is None:
            return False
        slash = -1
        while True:
            if start.match(path, slash + 1) is not None:
                return True
            slash = path.find("/", slash + 1)
            if slash == -1:
                return False


def path_gate(patterns: Sequence[str]) -> PathGate | None:
    """One gate matching a path exactly when one of ``patterns`` (standard ``re`` expressions)
    is found in it; None when they cannot be joined."""
    at_component: list[str] = []
    anywhere: list[str] = []
    for pattern in patterns:
        flags = ""
        m = _GLOBAL_FLAGS.match(pattern)
        if m is not None:
            flags, pattern = m.group(1), pattern[m.end() :]
        body = pattern.removeprefix(_COMPONENT_START)
        group = _scoped_group(f"(?{flags}){body}" if flags else body)
        if group is None:
            return None
        (at_component if body is not pattern else anywhere).append(group)
    if not at_component and not anywhere:
        return None
    try:
        return PathGate(
            re.compile("|".join(at_component)) if at_component else None,
            re.compile("|".join(anywhere)) if anywhere else None,
        )
    except re.error:
        return None


_MEMO = 4096
"""Paths whose answer ``PathScope`` remembers (a blob's dedupe key and its chunks ask in
turn, with other paths between)."""


class PathScope:
    """The path-scoped rules of a rule set, and which of them take a given path (remembered:
    a blob's dedupe key and its chunks ask for the same path in turn, other paths between)."""

    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        self.rules = tuple(r for r in rules if r.paths)
        self.indices = frozenset(r.index for r in self.rules)
        self.keywordless = frozenset(r.index for r in self.rules if not r.keywords)
        gated = [r for r in self.rules if all(isinstance(p, re.Pattern) for p in r.path_patterns())]
        self._gate = path_gate([p for r in gated for p in r.paths]) if gated else None
        gated_ids = {r.index for r in gated} if self._gate is not None else set()
        self._always = tuple(r for r in self.rules if r.index not in gated_ids)
        self._memo: dict[str, tuple[frozenset[int], str]] = {}

    def taking(self, path: str) -> frozenset[int]:
        """The indices of the scoped rules that run on a file at ``path``."""
        return self._answer(path)[0]

    def key(self, path: str) -> str:
        """``taking(path)`` as text ("" for none): part of a blob's dedupe key."""
        return self._answer(path)[1]

    def _answer(self, path: str) -> tuple[frozenset[int], str]:
        answer = self._memo.get(path)
        if answer is None:
            if self._gate is not None and not self._gate.matches(path):
                asked = self._always
            else:
                asked = self.rules
            taken = frozenset(r.index for r in asked if r.runs_on(path))
            answer = (taken, ",".join(str(i) for i in sorted(taken)))
            if len(self._memo) >= _MEMO:
                self._memo.clear()
            self._memo[path] = answer
        return answer
