"""How long each rule has spent confirming its candidates in one file, against a bound.

``windows.REGEX_TIMEOUT`` bounds one rule on one chunk (1 MiB). A file built so that a rule is
slow everywhere (``password=`` repeated: the rule is tried at every keyword, a few seconds a
chunk, each chunk under the limit) cost that rule minutes over a 100 MB file. A ``RuleClock``
lives for one top-level input; a rule that has used up ``limit`` CPU seconds there is not run on
the rest of it (one warning says so), and every other rule goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class RuleClock:
    """CPU seconds spent per rule id in one input (a per-scan local, not global)."""

    limit: float
    spent: dict[str, float] = field(default_factory=dict)

    def over(self, rule_id: str) -> bool:
        return self.spent.get(rule_id, 0.0) >= self.limit

    def charge(self, rule_id: str, seconds: float) -> bool:
        """Add ``seconds``; True when this charge used the rule's time up."""
        before = self.spent.get(rule_id, 0.0)
        self.spent[rule_id] = before + seconds
        return before < self.limit <= before + seconds
