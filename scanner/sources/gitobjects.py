"""Reachable blobs, each once, streamed; and the introductions of a chosen few blobs.

History scanning in two passes, with memory bounded by what has findings:

1. ``ReachableBlobs`` streams ``git rev-list --objects`` over the asked revisions (every object
   reachable from them, each once, with a path it is reachable at) and yields each blob through
   ``GitBlobs`` in groups of ``GROUP`` ids, so only one group's ids and paths are held at a time.
2. ``introductions_of`` runs one ``git log --raw`` over the same revisions that keeps only the
   entries of the blobs that had findings (``--find-object`` lets git itself drop the rest),
   with the same rules as ``gitlog.iter_introductions`` (oldest commit first, each (blob, path)
   once, submodules reported, symlinks skipped).

Revisions that exclude commits (``A..B``, ``^A``, ``--not``) are not for this module:
``rev-list`` would also drop blobs that a new commit re-adds from an excluded one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from scanner.blob import Blob
from scanner.extractors import Limits
from scanner.models import SourceProblem
from scanner.sources.git import Introduction, Repo, git_output
from scanner.sources.gitblobs import GitBlobs, ReadStats
from scanner.sources.gitcat import CatFile
from scanner.sources.gitlog import iter_introductions

GROUP = 4096
"""Blob ids held (with their paths) at a time while streaming."""
MAX_FIND_OBJECTS = 20_000
"""Beyond this many blobs with findings, the log pass filters in Python instead of git."""


def excludes_commits(revs: Sequence[str]) -> bool:
    """Whether ``revs`` exclude commits (a range, ``^rev`` or ``--not``)."""
    return any(r.startswith("^") or ".." in r or r == "--not" for r in revs)


def rev_list_command(revs: Sequence[str]) -> list[str]:
    return [
        "rev-list",
        "--objects",
        "--filter=object:type=blob",
        "--missing=print",
        *revs,
        "--",
    ]


@dataclass
class ReachableBlobs:
    """Every blob reachable from ``revs``, once, as a ``Source`` (blob id as content key).

    ``failed`` holds git's message when ``rev-list`` stopped early (the listing is then
    partial); ``listed`` counts the objects it named; ``gitmodules`` tells whether any
    reachable tree has a ``.gitmodules`` file (there may be submodule links to report)."""

    repo: Repo
    revs: Sequence[str]
    cat: CatFile
    limits: Limits
    stats: ReadStats
    failed: str | None = None
    listed: int = 0
    gitmodules: bool = False
    lazy: bool = False
    """Hand blobs over by id (``GitBlobs.light_items``; scan them with a ``GitLoader``)."""

    def items(self) -> Iterator[Blob]:
        group: dict[str, Introduction] = {}
        for sha, raw_path in self._objects():
            if raw_path is not None and raw_path.rsplit(b"/", 1)[-1] == b".gitmodules":
                self.gitmodules = True
            group[sha] = Introduction.uncommitted(sha, raw_path or b"")
            if len(group) >= GROUP:
                yield from self._group(group)
                group = {}
        if group:
            yield from self._group(group)

    def _group(self, group: dict[str, Introduction]) -> Iterator[Blob]:
        blobs = GitBlobs(self.cat, group, self.limits, self.stats)
        return blobs.light_items() if self.lazy else blobs.items()

    def _objects(self) -> Iterator[tuple[str, bytes | None]]:
        """(object id, path) per listed object; commits (no path) are left out, missing
        objects (``?id``) come with no path and are counted as missing by ``GitBlobs``."""

        def stopped(message: str) -> None:
            self.failed = message

        with git_output(
            self.repo.root, rev_list_command(self.revs), stopped, self.repo.idle
        ) as out:
            for line in out:
                line = line.rstrip(b"\n")
                if line.startswith(b"?"):
                    self.listed += 1
                    yield line[1:].decode("ascii", "replace"), None
                    continue
                sha, sep, path = line.partition(b" ")
                if not sep:
                    continue  # a commit
                self.listed += 1
                yield sha.decode("ascii", "replace"), path


def introductions_of(
    repo: Repo,
    revs: Sequence[str],
    blobs: set[str],
    problems: list[SourceProblem],
    *,
    submodules: bool = False,
) -> Iterator[Introduction]:
    """The introductions (as ``gitlog.iter_introductions`` yields them, in the same order) of
    ``blobs`` only. With ``submodules``, every entry is read so that submodule links are
    reported; otherwise git drops every entry that is not one of ``blobs``."""
    if not blobs and not submodules:
        return
    find: list[str] = []
    if not submodules and len(blobs) <= MAX_FIND_OBJECTS:
        find = [f"--find-object={sha}" for sha in sorted(blobs)]
    yield from iter_introductions(repo, [*find, *revs], problems, only=blobs)
