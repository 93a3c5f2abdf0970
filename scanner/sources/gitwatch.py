"""Git processes that cannot stall a scan for ever.

git blocks without a word on what a repository makes it open: a FIFO among the packs of an
alternate object directory, a FIFO ``.gitattributes`` read for a diff, a device that never ends.
The checks before git runs (``gitspecial``, ``gitincludes``) catch what they can see; this is
the guarantee behind them. Every git process keyguard starts leads a process group of its own
(``NEW_GROUP``), and is watched while keyguard waits for it: when it makes no
progress (no byte read from it, none written to it) for ``idle`` seconds while keyguard is
waiting, the whole group is killed and the caller is told it stalled. Time keyguard spends on
its own work between reads (scanning what git gave it) is not counted: git is then blocked on a
full pipe, which is not git's stall.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import IO

IDLE_SECONDS = 120.0
"""How long git may make no progress while keyguard waits for it (``keyguard git
--git-timeout``)."""
_CHUNK = 1 << 16
NEW_GROUP = 0 if os.name == "posix" else None
"""``Popen(process_group=NEW_GROUP)``: the child leads a new process group (``kill_group``).
Not ``start_new_session``: ``setsid`` keeps Python from starting the child with ``vfork``,
which tripled the cost of every git run (about 2.5 ms to 6 ms each)."""


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill ``proc`` and whatever it started (its process group), then reap it."""
    if proc.poll() is None:
        killpg = getattr(os, "killpg", None)
        try:
            if killpg is not None:
                killpg(proc.pid, signal.SIGKILL)
            else:  # pragma: no cover - no process groups (Windows)
                proc.kill()
        except ProcessLookupError:
            pass
    proc.wait()


def communicate(
    proc: subprocess.Popen[bytes], input: bytes | None, idle: float
) -> tuple[bytes, bytes] | None:
    """(stdout, stderr) of ``proc`` once it ends, ``input`` written to its stdin meanwhile;
    None when it made no progress for ``idle`` seconds (its group is then killed)."""
    try:
        streams = _exchange(proc, input, idle)
        if streams is not None and proc.poll() is None:
            # its pipes are closed: only exiting is left (``wait(timeout)`` would poll in
            # sleeps of up to 50 ms, a few ms on each of the pre-commit path's git runs)
            expired: list[bool] = []

            def expire() -> None:
                expired.append(True)
                kill_group(proc)

            timer = threading.Timer(idle, expire)
            timer.start()
            proc.wait()
            timer.cancel()
            if expired:
                return None
        return streams
    finally:
        kill_group(proc)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _exchange(
    proc: subprocess.Popen[bytes], input: bytes | None, idle: float
) -> tuple[bytes, bytes] | None:
    if os.name == "nt":  # pragma: no cover - no select() on pipes: a bound on the whole run
        return proc.communicate(input, timeout=idle)
    out: dict[int, list[bytes]] = {}
    pending = memoryview(input or b"")
    with selectors.DefaultSelector() as selector:
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                out[stream.fileno()] = []
                selector.register(stream.fileno(), selectors.EVENT_READ)
        if proc.stdin is not None:
            if pending:
                # non-blocking: a write larger than the pipe's free space would otherwise wait
                # for git to read, while git waits for us to read its full stdout (deadlock)
                os.set_blocking(proc.stdin.fileno(), False)
                selector.register(proc.stdin.fileno(), selectors.EVENT_WRITE)
            else:
                proc.stdin.close()
        while selector.get_map():
            events = selector.select(idle)
            if not events:
                return None
            for key, _ in events:
                if key.fd in out:
                    data = os.read(key.fd, _CHUNK)
                    if data:
                        out[key.fd].append(data)
                    else:
                        selector.unregister(key.fd)
                    continue
                assert proc.stdin is not None
                try:
                    pending = pending[os.write(key.fd, pending[:_CHUNK]) :]
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    pending = pending[:0]
                if not pending:
                    selector.unregister(key.fd)
                    proc.stdin.close()
    stdout = b"".join(out.get(proc.stdout.fileno(), [])) if proc.stdout else b""
    stderr = b"".join(out.get(proc.stderr.fileno(), [])) if proc.stderr else b""
    return stdout, stderr


class Watchdog:
    """Kills ``proc``'s group when keyguard has waited ``idle`` seconds on it for nothing
    (``waiting`` marks the waits); ``stalled`` says whether it did."""

    def __init__(self, proc: subprocess.Popen[bytes], idle: float) -> None:
        self.proc = proc
        self.idle = idle
        self.stalled = False
        self._since: float | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        self._since = time.monotonic()
        try:
            yield
        finally:
            self._since = None

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._done.wait(self._until_due()):
            since = self._since
            if since is not None and time.monotonic() - since >= self.idle:
                self.stalled = True
                kill_group(self.proc)
                return

    def _until_due(self) -> float:
        since = self._since
        if since is None:
            return self.idle
        return max(0.05, since + self.idle - time.monotonic())


class WatchedStream:
    """A git process's stdout, read under a ``Watchdog``: a read that waits on git for
    ``idle`` seconds without a byte kills git and ends the stream (``stalled``)."""

    def __init__(self, raw: IO[bytes], watchdog: Watchdog) -> None:
        self.raw = raw
        self.watchdog = watchdog
        self._buffer = bytearray()

    @property
    def stalled(self) -> bool:
        return self.watchdog.stalled

    def _fill(self) -> bool:
        """Append what git has next (one read); False at the end of the stream."""
        with self.watchdog.waiting():
            data = self.raw.read1(_CHUNK)  # type: ignore[attr-defined]
        self._buffer += data
        return bool(data)

    def read(self, size: int = -1) -> bytes:
        """``size`` bytes (all to the end when negative), fewer only at the end."""
        while (size < 0 or len(self._buffer) < size) and self._fill():
            pass
        return self._take(len(self._buffer) if size < 0 else min(size, len(self._buffer)))

    def readline(self) -> bytes:
        """The next line with its newline (without one only at the end of the stream)."""
        start = 0
        while (end := self._buffer.find(b"\n", start)) < 0:
            start = len(self._buffer)
            if not self._fill():
                return self._take(len(self._buffer))
        return self._take(end + 1)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def _take(self, size: int) -> bytes:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    @property
    def closed(self) -> bool:
        return self.raw.closed

    def close(self) -> None:
        self.raw.close()
