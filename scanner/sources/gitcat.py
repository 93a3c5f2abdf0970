"""Blob contents through one persistent, hardened ``git cat-file --batch`` process."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from scanner.sources.git import Repo, _text, git_argv, git_env

LFS_MAGIC = b"version https://git-lfs.github.com/spec/v1"


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    kind: str
    size: int


class CatFile:
    """Blob contents through one persistent ``git cat-file --batch`` process."""

    MAX_RESTARTS = 20

    def __init__(self, repo: Repo) -> None:
        self.repo = repo

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
        for line in _text(proc.stdout).splitlines():
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
        proc = subprocess.Popen(
            git_argv(["cat-file", "--batch"]),
            cwd=self.repo.root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=git_env(),
        )
        assert proc.stdin is not None and proc.stdout is not None
        feeder = threading.Thread(target=_feed, args=(proc.stdin, shas), daemon=True)
        feeder.start()
        try:
            for sha in shas:
                item = _read_one(proc.stdout)
                if item is None:
                    return
                yield sha, item[1]
        finally:
            proc.stdout.close()
            proc.kill()
            proc.wait()
            feeder.join()


def _feed(stdin: IO[bytes], shas: Iterable[str]) -> None:
    try:
        for sha in shas:
            stdin.write(sha.encode("ascii") + b"\n")
        stdin.close()
    except (BrokenPipeError, OSError, ValueError):
        pass


def _read_one(stdout: IO[bytes]) -> tuple[str, bytes | None] | None:
    """One response of ``cat-file --batch``; ``None`` at end of stream (process died)."""
    header = stdout.readline()
    if not header.endswith(b"\n"):
        return None
    parts = header.split()
    if len(parts) == 2 and parts[1] in (b"missing", b"ambiguous"):
        return _text(parts[0]), None
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    size = int(parts[2])
    data = stdout.read(size)
    if len(data) != size or stdout.read(1) != b"\n":
        return None
    return _text(parts[0]), data if parts[1] == b"blob" else None


def is_lfs_pointer(data: bytes) -> bool:
    return len(data) < 1024 and data.startswith(LFS_MAGIC)
