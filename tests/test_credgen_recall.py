"""Recall and precision floors of the generic rules on synthetic material
(``testing.credgen``): realistic passwords, keys, tokens and UUID keys in many syntaxes, and
near-miss negatives in the same syntaxes. This proves consistency, not real-world accuracy."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from scanner.rulebook.loader import load_ruleset
from testing.credgen import password, prose_negatives, samples
from testing.scan import ENGINES, build, scan_text

RECALL_FLOOR = {"password": 0.9, "secret": 0.9, "token": 0.9, "key": 0.9, "uuid-key": 0.95}
PRECISION_FLOOR = 0.98


@pytest.mark.parametrize("seed", [0, 1])
def test_recall_and_precision_floors(seed: int, session_cache: Path) -> None:
    matcher = build(load_ruleset(), ENGINES[-1], session_cache)
    total: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    false_alarms: list[str] = []
    for s in samples(seed) + prose_negatives():
        found = scan_text(matcher, s.text, s.path)
        if s.secret is None:
            if found:
                false_alarms.append(f"{s.category}/{s.syntax}: {s.text.strip()[:80]}")
            continue
        total[s.category] += 1
        hits[s.category] += any(f.secret.reveal() == s.secret for f in found)
    for category, floor in RECALL_FLOOR.items():
        recall = hits[category] / total[category]
        assert recall >= floor, f"{category}: recall {recall:.2f} < {floor}"
    precision = sum(hits.values()) / (sum(hits.values()) + len(false_alarms))
    assert precision >= PRECISION_FLOOR, false_alarms[:10]


def test_generator_is_deterministic_and_varied() -> None:
    assert samples(3) == samples(3)
    import random

    rng = random.Random(7)
    values = [password(rng) for _ in range(200)]
    assert all(6 <= len(v) <= 24 for v in values)
    assert len(set(values)) > 190
    assert sum(any(not c.isalnum() for c in v) for v in values) > 100
