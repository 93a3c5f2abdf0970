"""Large blocks of text lines on several processes (``scanner.logfilter.parallel``): the same
output, counters and findings, in the same order, as one process; a failed worker's run is
redacted in the parent."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.logfilter import parallel
from scanner.logfilter.framing import LineFramer
from scanner.logfilter.records import iter_groups
from testing.logfilter import TOKEN, TOKEN2, make_framer, run_all


def corpus(lines: int) -> bytes:
    """Log lines with a token on every 97th line and two on every 331st."""
    out = []
    for i in range(lines):
        line = f"2024-01-01T00:00:{i % 60:02d}Z INFO app request_id=r{i:06d} user=u{i % 977}"
        if i % 97 == 0:
            line += f" token={TOKEN}"
        if i % 331 == 0:
            line += f" also {TOKEN2} here"
        out.append(line)
    return ("\n".join(out) + "\n").encode()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.text(alphabet="ab é", max_size=12), max_size=40),
    st.integers(1, 30),
    st.integers(1, 5),
)
def test_runs_are_whole_groups_and_cover_the_text(lines: list[str], size: int, runs: int) -> None:
    text = "\n".join(lines)
    got = parallel.split_runs(text, size, runs)
    assert "".join(got) == text
    assert len(got) <= max(runs, 1)
    bounds = {0}
    pos = 0
    for group in iter_groups(text, size):
        pos += len(group)
        bounds.add(pos)
    assert parallel.group_ends(text, size) == sorted(bounds - {0})
    starts = [sum(len(r) for r in got[:i]) for i in range(len(got))]
    assert set(starts) <= bounds
    if text.isascii():  # an ASCII block is cut where its text is
        assert parallel.split_runs(text.encode(), size, runs) == [r.encode() for r in got]


Outcome = tuple[bytes, tuple[int, int, int], list[tuple[str, str, int]]]


def outcome(rules_file: Path, data: bytes, jobs: int) -> Outcome:
    framer, counters, reported = make_framer(rules_file, jobs=jobs)
    assert isinstance(framer, LineFramer)
    out = framer.feed(data)
    used = framer.parallel is not None and framer.parallel._pool is not None
    out += framer.feed(b"", final=True)
    assert used == (jobs > 1)
    found = [(f.rule_id, f.secret.reveal(), line) for f, line in reported]
    return out, (counters.lines, counters.redactions, counters.errors), found


def test_two_processes_give_what_one_gives(rules_file: Path) -> None:
    data = corpus(6000)
    assert len(data) > parallel.PARALLEL_MIN
    one = outcome(rules_file, data, jobs=1)
    two = outcome(rules_file, data, jobs=2)
    assert two == one
    out, (lines, redactions, errors), found = two
    assert lines == 6000 and errors == 0
    assert redactions == len(found) == 6000 // 97 + 1 + 6000 // 331 + 1
    assert TOKEN.encode() not in out and TOKEN2.encode() not in out
    assert [line for _, _, line in found] == sorted(line for _, _, line in found)


def test_a_failed_worker_leaves_its_run_to_the_parent(
    rules_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(data: bytes, first: int) -> parallel.Redacted:
        raise RuntimeError("worker lost")

    monkeypatch.setattr(parallel, "_worker_redact", broken)  # the forked workers see it too
    data = corpus(6000)
    assert outcome(rules_file, data, jobs=2) == outcome(rules_file, data, jobs=1)


def test_small_blocks_stay_in_this_process(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file, jobs=2)
    assert isinstance(framer, LineFramer)
    out = run_all(framer, corpus(300), step=4096)
    assert framer.parallel is not None and framer.parallel._pool is None
    assert TOKEN.encode() not in out and counters.lines == 300


def test_the_redactor_is_warm_before_the_workers_fork(
    rules_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the first scan loads (the confirm stage, the locator databases) is loaded once,
    before the fork, and shared with the workers."""
    from scanner.logfilter.redactor import Redactor

    warmed: list[int] = []
    monkeypatch.setattr(Redactor, "warm", lambda self: warmed.append(len(warmed)))
    started = parallel.ParallelBlocks._start

    def start(self: parallel.ParallelBlocks) -> object:
        fresh = self._pool is None
        pool = started(self)
        assert not fresh or warmed, "the pool started before the redactor was warm"
        return pool

    monkeypatch.setattr(parallel.ParallelBlocks, "_start", start)
    assert outcome(rules_file, corpus(6000), jobs=2) == outcome(rules_file, corpus(6000), jobs=1)
    assert warmed == [0]
