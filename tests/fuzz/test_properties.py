"""Property tests: no exception escapes any extractor or parser, and each input is handled in
bounded time. Inputs are arbitrary bytes and mutations (flips, cuts, splices) of valid seeds.

Kept fast (a few seconds in all); for a long coverage-guided run use
``python -m tests.fuzz.run TARGET`` (docs/security.md).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .targets import TARGETS, run_one

FAST = sorted(TARGETS)
PER_INPUT_SECONDS = 5.0


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "splice"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[pos : pos + draw(st.integers(1, 64))]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        else:
            data[pos:] = draw(st.sampled_from(seeds))[: draw(st.integers(0, 256))]
    return bytes(data)


def inputs(name: str) -> st.SearchStrategy[bytes]:
    seeds = TARGETS[name].seeds() or [b""]
    return st.one_of(st.sampled_from(seeds), mutated(seeds), st.binary(max_size=512))


def check(name: str, data: bytes) -> None:
    started = time.monotonic()
    run_one(name, data)
    assert time.monotonic() - started < PER_INPUT_SECONDS


@pytest.mark.parametrize("name", FAST)
def test_target_never_raises(name: str) -> None:
    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(inputs(name))
    def prop(data: bytes) -> None:
        check(name, data)

    prop()


def test_every_seed_is_accepted() -> None:
    """The seeds themselves are valid inputs (a target that rejects its seeds fuzzes nothing)."""
    for name, target in TARGETS.items():
        for seed in target.seeds():
            check(name, seed)


REGRESSIONS = Path(__file__).parent / "regressions"


@pytest.mark.parametrize(
    "path", sorted(REGRESSIONS.iterdir()) if REGRESSIONS.is_dir() else [], ids=lambda p: p.name
)
def test_regression_inputs(path: Path) -> None:
    """Inputs the fuzzers once crashed on (``TARGET__what``), replayed."""
    check(path.name.split("__", 1)[0], path.read_bytes())
