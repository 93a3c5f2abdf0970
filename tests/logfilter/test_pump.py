"""The pump: batches, stop requests, a closed downstream pipe."""

from __future__ import annotations

from pathlib import Path

from scanner.logfilter.options import Control, FilterOptions
from scanner.logfilter.pump import run_filter
from testing.logfilter import TOKEN, make_framer

# -- the pump ---------------------------------------------------------------------------------


class ListSource:
    name = "<list>"

    def __init__(self, items: list[bytes | None], control: Control | None = None) -> None:
        self.items = items
        self.control = control

    def read(self, timeout: float) -> bytes | None:
        if not self.items:
            if self.control is not None:
                self.control.stop = True
                return None
            return b""
        return self.items.pop(0)

    def close(self) -> None:
        pass


class ListSink:
    def __init__(self, fail_after: int | None = None) -> None:
        self.writes: list[bytes] = []
        self.fail_after = fail_after

    def write(self, data: bytes) -> None:
        if self.fail_after is not None and len(self.writes) >= self.fail_after:
            raise BrokenPipeError
        self.writes.append(data)


def test_run_filter_writes_each_batch_and_partial_line_at_end(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file)
    sink = ListSink()
    source = ListSource([b"a\nb", None, b"\nc " + TOKEN.encode()])
    assert run_filter(source, sink, framer, counters, FilterOptions(flush_interval=0.0))
    assert b"".join(sink.writes) == b"a\nb\nc [REDACTED:test.token]"
    assert sink.writes[0] == b"a\n"
    assert counters.bytes == len(b"a\nb\nc " + TOKEN.encode())


def test_run_filter_stop_request_flushes_everything(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file)
    control = Control()
    sink = ListSink()
    source = ListSource([b"one\ntwo " + TOKEN.encode()], control)
    assert run_filter(source, sink, framer, counters, FilterOptions(), control)
    assert b"".join(sink.writes) == b"one\ntwo [REDACTED:test.token]"


def test_run_filter_broken_pipe_returns_false(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file)
    source = ListSource([b"a\n", b"b\n"])
    assert not run_filter(source, ListSink(fail_after=0), framer, counters, FilterOptions())
