"""Blob contents through hardened ``git cat-file --batch`` processes.

``CatFile.contents`` streams many blobs through one process per call (requests written by a
feeder thread); ``BatchSession`` keeps one process per OS process for many small requests (a
forked scan worker reads its own blobs by id, so the parent neither reads nor ships them).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from scanner.sources.git import Repo, git_argv, git_env, git_text
from scanner.sources.gitwatch import NEW_GROUP, Watchdog, WatchedStream, kill_group

try:
    import fcntl
except ImportError:  # not on Windows
    fcntl = None  # type: ignore[assignment]

LFS_MAGIC = b"version https://git-lfs.github.com/spec/v1"
LFS_MAX = 1024
"""A Git LFS pointer is shorter than this."""
PIPE_BYTES = 1 << 20
"""Pipe buffer asked for a ``BatchSession``'s output (Linux caps it at fs.pipe-max-size)."""


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    kind: str
    size: int


def batch_process(repo: Repo) -> subprocess.Popen[bytes]:
    """A hardened ``git cat-file --batch``: object ids in on stdin, objects out on stdout;
    leading a process group of its own (``gitwatch``)."""
    return subprocess.Popen(
        git_argv(["cat-file", "--batch"]),
        cwd=repo.root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=git_env(),
        process_group=NEW_GROUP,
    )


def watched(proc: subprocess.Popen[bytes], repo: Repo) -> WatchedStream:
    """``proc``'s stdout, its reads watched (``gitwatch.Watchdog``, ``repo.idle``)."""
    assert proc.stdout is not None
    return WatchedStream(proc.stdout, Watchdog(proc, repo.idle))


class CatFile:
    """Blob contents through one persistent ``git cat-file --batch`` process."""

    MAX_RESTARTS = 20

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.stalled = False

    def sizes(self, shas: Sequence[str]) -> dict[str, ObjectInfo | None]:
        """Type and size of each object (``None`` when it is missing or unreadable)."""
        if not shas:
            return {}
        data = ("\n".join(shas) + "\n").encode("ascii")
        proc = self.repo.run(
            ["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"],
            input=data,
            check=False,
        )
        out: dict[str, ObjectInfo | None] = dict.fromkeys(shas)
        for line in git_text(proc.stdout).splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[2].isdigit():
                out[parts[0]] = ObjectInfo(parts[1], int(parts[2]))
        return out

    def contents(self, shas: Sequence[str]) -> Iterator[tuple[str, bytes | None]]:
        """(sha, content) in request order; content ``None`` when git cannot read the object."""
        remaining = list(shas)
        restarts = 0
        while remaining:
            done = 0
            for sha, data in self._one_process(remaining):
                done += 1
                yield sha, data
            remaining = remaining[done:]
            if remaining and self.stalled:  # every object may stall it: none is read
                yield from ((sha, None) for sha in remaining)
                return
            if remaining:
                # The process died on remaining[0] (a corrupt object): skip it and go on.
                yield remaining[0], None
                remaining = remaining[1:]
                restarts += 1
                if restarts > self.MAX_RESTARTS:
                    for sha in remaining:
                        yield sha, None
                    return

    def _one_process(self, shas: Sequence[str]) -> Iterator[tuple[str, bytes | None]]:
        # No ``--buffer``: it holds output until stdin closes, and forked scan workers inherit
        # the write end of stdin, so git would never see the end of input.
        proc = batch_process(self.repo)
        assert proc.stdin is not None and proc.stdout is not None
        out = watched(proc, self.repo)
        feeder = threading.Thread(target=_feed, args=(proc.stdin, shas), daemon=True)
        feeder.start()
        try:
            for sha in shas:
                item = _read_one(out)
                if item is None:
                    return
                yield sha, item[1]
        finally:
            self.stalled = out.stalled
            out.watchdog.stop()
            proc.stdout.close()
            kill_group(proc)
            feeder.join()


def _feed(stdin: IO[bytes], shas: Iterable[str]) -> None:
    try:
        for sha in shas:
            stdin.write(sha.encode("ascii") + b"\n")
        stdin.close()
    except (BrokenPipeError, OSError, ValueError):
        pass


def _read_one(stdout: WatchedStream) -> tuple[str, bytes | None] | None:
    """One response of ``cat-file --batch``; ``None`` at end of stream (process died)."""
    header = stdout.readline()
    if not header.endswith(b"\n"):
        return None
    parts = header.split()
    if len(parts) == 2 and parts[1] in (b"missing", b"ambiguous"):
        return git_text(parts[0]), None
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    size = int(parts[2])
    data = stdout.read(size)
    if len(data) != size or stdout.read(1) != b"\n":
        return None
    return git_text(parts[0]), data if parts[1] == b"blob" else None


def is_lfs_pointer(data: bytes) -> bool:
    return len(data) < LFS_MAX and data.startswith(LFS_MAGIC)


class BatchSession:
    """One persistent ``git cat-file --batch`` process for the OS process that uses it.

    A session inherited through ``fork`` starts its own process on first use (the parent's is
    never touched). Requests go in writes of at most ``WRITE_IDS`` ids (under 4 KiB, the
    smallest pipe buffer), so no thread is needed; their responses are streamed, so git
    inflates the next objects (into a pipe widened to ``PIPE_BYTES`` where the OS allows it)
    while the caller scans the ones it has."""

    WRITE_IDS = 64
    MAX_RESTARTS = 20

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self._proc: subprocess.Popen[bytes] | None = None
        self._out: WatchedStream | None = None
        self._pid = 0
        self._restarts = 0

    def read(self, shas: Sequence[str]) -> list[tuple[str, bytes | None]]:
        return list(self.stream(shas))

    def stream(self, shas: Sequence[str]) -> Generator[tuple[str, bytes | None], None, None]:
        """(sha, content) in request order; content ``None`` when git cannot read the object
        (a corrupt object ends the process: it is skipped and a new process goes on). Left
        unfinished, the process is ended (its unread answers would answer the next call)."""
        i = 0
        retried = False
        while i < len(shas):
            if self._restarts > self.MAX_RESTARTS:
                yield from ((sha, None) for sha in shas[i:])
                return
            chunk = shas[i : i + self.WRITE_IDS]
            got = 0
            for item in self._exchange(chunk):
                got += 1
                yield item
            i += got
            if got == len(chunk):
                retried = False
                continue
            self._restarts += 1
            if got or retried:  # the process died on this object: skip it
                yield chunk[got], None
                i += 1
                retried = False
            else:  # it died before answering anything: once more before blaming the object
                retried = True

    def _exchange(self, chunk: Sequence[str]) -> Iterator[tuple[str, bytes | None]]:
        proc, out = self._process()
        assert proc.stdin is not None
        done = 0
        try:
            proc.stdin.write("".join(f"{sha}\n" for sha in chunk).encode("ascii"))
            proc.stdin.flush()
            for sha in chunk:
                item = _read_one(out)
                if item is None:
                    if out.stalled:  # every object may stall it: none is read any more
                        self._restarts = self.MAX_RESTARTS + 1
                    return
                done += 1
                yield sha, item[1]
        except (BrokenPipeError, OSError, ValueError):
            return
        finally:
            if done < len(chunk):  # died, or the caller stopped early: start afresh next time
                self._stop()

    def __getstate__(self) -> Repo:
        # a copy sent to a spawned worker (no fork) starts its own process too
        return self.repo

    def __setstate__(self, repo: Repo) -> None:
        self.repo = repo
        self._proc = None
        self._out = None
        self._pid = 0
        self._restarts = 0

    def _process(self) -> tuple[subprocess.Popen[bytes], WatchedStream]:
        if self._proc is None or self._out is None or self._pid != os.getpid():
            self._proc = batch_process(self.repo)
            self._pid = os.getpid()
            _widen(self._proc.stdout)
            self._out = watched(self._proc, self.repo)
            import multiprocessing.util  # a forked worker runs these finalizers, not atexit

            multiprocessing.util.Finalize(self, _end, args=(self._proc, self._out), exitpriority=0)
        return self._proc, self._out

    def _stop(self) -> None:
        if self._proc is not None and self._out is not None and self._pid == os.getpid():
            _end(self._proc, self._out)
        self._proc = None
        self._out = None

    def close(self) -> None:
        """End this OS process's git process (a forked copy's process is left to its owner)."""
        self._stop()


def _widen(stream: IO[bytes] | None) -> None:
    """Let git write up to ``PIPE_BYTES`` ahead of this side; best effort (Linux only)."""
    size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if stream is not None and size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(stream.fileno(), size, PIPE_BYTES)


def _end(proc: subprocess.Popen[bytes], out: WatchedStream) -> None:
    out.watchdog.stop()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    kill_group(proc)
