"""The line framer and the block machinery with a stand-in filter (no matcher)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.logfilter import redactor
from scanner.logfilter.framing import LineFramer
from scanner.logfilter.options import MARKER, Control, Counters, FilterOptions, Interrupted
from scanner.logfilter.records import BlockFilter, iter_groups
from scanner.logfilter.redactor import percent_segments
from testing.logfilter import make_redactor


class Upper(BlockFilter):
    """Upper-cases each group; fails on groups holding ``boom``, interrupts on ``stop``."""

    def group(self, text: str, first: int) -> str:
        if "stop" in text:
            raise Interrupted
        if "boom" in text:
            raise RuntimeError("boom")
        return text.upper()

    def is_dirty(self, line: str) -> bool:
        return True

    def redact_record(self, line: str, record: int) -> str:
        if "boom" in line:
            raise RuntimeError("boom")
        return line.upper()


def framer(rules_file: Path, control: Control | None = None) -> tuple[LineFramer, Counters]:
    counters = Counters()
    options = FilterOptions(max_line=4096, group_bytes=8)
    filt = Upper(make_redactor(rules_file), options, counters, lambda items: None)
    return LineFramer(filt, counters, control), counters


def test_iter_groups_cuts_after_newlines() -> None:
    assert list(iter_groups("a\nbb\nccc\nd", 2)) == ["a\nbb\n", "ccc\n", "d"]
    assert list(iter_groups("", 4)) == []
    assert "".join(iter_groups("x\n" * 100, 7)) == "x\n" * 100


def test_line_framer_holds_partial_line_until_newline_or_end(rules_file: Path) -> None:
    f, counters = framer(rules_file)
    assert f.feed(b"ab") == b""
    assert f.feed(b"c\nde") == b"ABC\n"
    assert f.feed(b"", final=True) == b"DE"
    assert counters.lines == 2


def test_failing_group_retried_per_line_failing_line_becomes_marker(rules_file: Path) -> None:
    f, counters = framer(rules_file)
    out = f.feed(b"one\nboom\ntwo\n", final=True)
    assert out == f"ONE\n{MARKER}\nTWO\n".encode()
    assert counters.errors == 1 and counters.lines == 3


def test_interrupted_block_and_everything_after_become_markers(rules_file: Path) -> None:
    control = Control()
    f, counters = framer(rules_file, control)
    assert f.feed(b"a\nstop\n") == f"{MARKER}\n{MARKER}\n".encode()
    assert f.feed(b"later\n", final=True) == f"{MARKER}\n".encode()
    assert counters.lines == 3 and counters.errors == 3
    assert not control.scanning


def test_expired_control_turns_records_into_markers(rules_file: Path) -> None:
    control = Control(expired=True)
    f, _ = framer(rules_file, control)
    assert f.feed(b"x\ny", final=True) == f"{MARKER}\n{MARKER}".encode()


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("GET /s?q=red%20shoes%20x&b=1 HTTP", [(4, 28, "/s?q=red shoes x&b=1")]),
        ("one %41 only", []),
        ("a=%41%42 b=%43", [(0, 8, "a=AB")]),
        ("nl %0Ax%0a", [(3, 10, "\nx\n")]),
        # a form-encoded query: as written and with ``+`` read as a blank
        ("q=api_key%3A+%22kg%22", [(0, 21, 'q=api_key:+"kg"'), (0, 21, 'q=api_key: "kg"')]),
    ],
)
def test_percent_segments(text: str, segments: list[tuple[int, int, str]]) -> None:
    assert [(s.start, s.end, s.text) for s in percent_segments(text)] == segments


PERCENT_TEXT = st.lists(
    st.sampled_from(["%41", "%2", "a", "=", " ", "+", "é", "/", "\n", "%"]), max_size=60
)


def _runs_by_reversal(text: str) -> list[tuple[int, int]]:
    """The reference: the run before an escape pair matched in the reversed text."""
    spans: list[tuple[int, int]] = []
    reverse, size, last_end = text[::-1], len(text), -1
    for m in redactor._PERCENT_PAIR.finditer(text):
        start, end = m.span()
        if start < last_end:
            continue
        left = redactor._URL_RUN.match(reverse, size - start, size - start + redactor.MAX_EXPAND)
        right = redactor._URL_RUN.match(text, end, end + redactor.MAX_EXPAND)
        last_end = right.end() if right else end
        spans.append((start - (left.end() - left.start() if left else 0), last_end))
    return spans


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["%41", "%2", "a", "=", " ", "+", "é", "/", "\n", "%"]), max_size=60)
)
def test_percent_segments_widen_as_the_reversed_text_does(parts: list[str]) -> None:
    text = "".join(parts)
    spans = _runs_by_reversal(text)
    assert [(s.start, s.end) for s in percent_segments(text)][: len(spans)] == spans


def test_percent_segments_widen_at_most_max_expand() -> None:
    text = "a" * 600 + "%41%42" + "b" * 600
    (segment,) = percent_segments(text)
    assert (segment.start, segment.end) == (600 - redactor.MAX_EXPAND, 606 + redactor.MAX_EXPAND)
