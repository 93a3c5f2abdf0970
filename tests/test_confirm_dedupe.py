"""``confirm._dedupe``: one candidate per secret span, the higher priority first, in linear-ish
time (a hostile line can hold 100,000 candidates); checked against the plain quadratic rule."""

from __future__ import annotations

import random

from scanner.confirm import _Candidate, _dedupe
from scanner.rulebook.loader import load_ruleset

RULES = [r for r in load_ruleset() if r.id in ("generic.api-key", "github.pat-classic")]


def _plain(cands: list[_Candidate]) -> list[_Candidate]:
    kept: list[_Candidate] = []
    for cand in sorted(cands, key=lambda c: c.priority(), reverse=True):
        if not any(cand.start < k.end and k.start < cand.end for k in kept):
            kept.append(cand)
    return sorted(kept, key=lambda c: (c.start, c.rule.index))


def _random_candidates(rng: random.Random, n: int) -> list[_Candidate]:
    out = []
    for _ in range(n):
        start = rng.randrange(0, 400)
        length = rng.randrange(1, 40)
        secret = "x" * length
        out.append(_Candidate(rng.choice(RULES), start, start + length, secret, 3.0, None))
    return out


def test_dedupe_keeps_what_the_plain_pairwise_rule_keeps() -> None:
    assert len(RULES) == 2
    rng = random.Random(5)
    for _ in range(300):
        cands = _random_candidates(rng, rng.randrange(0, 60))
        assert _dedupe(cands) == _plain(cands)


def test_dedupe_prefers_the_specific_rule_on_the_same_span() -> None:
    generic, specific = sorted(RULES, key=lambda r: r.id)  # generic.api-key, github.pat-classic
    a = _Candidate(generic, 10, 50, "g" * 40, 4.0, None)
    b = _Candidate(specific, 10, 50, "g" * 40, 4.0, None)
    assert [c.rule.id for c in _dedupe([a, b])] == ["github.pat-classic"]
    touching = _Candidate(generic, 50, 60, "t" * 10, 4.0, None)
    assert len(_dedupe([a, touching])) == 2  # [10, 50) and [50, 60) do not overlap
