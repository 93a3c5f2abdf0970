"""Git blobs as a ``Source``: each wanted blob id read once through one ``git cat-file``.

A blob is yielded under the path it is wanted at (that path picks the extractor) with its id as
the content key; objects that are missing, too large or Git LFS pointers are counted and
reported by ``problems`` once the blobs have been read.

``GitBlobs.light_items`` hands the blobs over by id instead (size known, no bytes) and
``GitLoader`` reads them in the process that scans them: each forked scan worker reads its own
blobs through its own ``git cat-file --batch``, so the parent neither holds nor ships content.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from scanner.blob import Blob
from scanner.extractors import Limits
from scanner.models import Origin, SourceProblem
from scanner.sources.git import Introduction, Repo
from scanner.sources.gitcat import LFS_MAX, BatchSession, CatFile, is_lfs_pointer


@dataclass(slots=True)
class ReadStats:
    """What could not be read as a blob, across every ``GitBlobs`` that shares it."""

    missing: int = 0
    skipped: int = 0
    lfs: list[str] = field(default_factory=list)
    huge: list[str] = field(default_factory=list)

    def problems(self, where: str) -> list[SourceProblem]:
        out: list[SourceProblem] = []
        if self.missing:
            out.append(
                SourceProblem(where, f"{self.missing} object(s) missing or corrupt; skipped")
            )
        if self.lfs:
            out.append(
                SourceProblem(
                    where,
                    f"{len(self.lfs)} Git LFS pointer file(s) (e.g. {self.lfs[0]}) scanned as "
                    "pointers; LFS content is not fetched",
                )
            )
        for path in self.huge[:5]:
            out.append(SourceProblem(path, "blob larger than --max-file-size; skipped"))
        if len(self.huge) > 5:
            out.append(SourceProblem(where, f"{len(self.huge) - 5} more large blob(s) skipped"))
        return out


@dataclass(frozen=True, slots=True)
class GitBlobs:
    """The blobs of ``wanted`` (blob id -> where it is scanned from), read through ``cat``."""

    cat: CatFile
    wanted: Mapping[str, Introduction]
    limits: Limits
    stats: ReadStats

    def items(self) -> Iterator[Blob]:
        yield from self._read(list(self._readable()))

    def light_items(self) -> Iterator[Blob]:
        """Like ``items``, but blobs that cannot be Git LFS pointers (``LFS_MAX`` bytes or more)
        come without their bytes (``data`` and ``path`` None, ``size`` set, ``key`` the id): a
        ``GitLoader`` reads them where they are scanned."""
        small: list[str] = []
        for sha, size in self._readable().items():
            if size < LFS_MAX:
                small.append(sha)
                continue
            path = self.wanted[sha].path
            name = posixpath.basename(path) or path
            yield Blob(origin=Origin(path=path, kind="git"), name=name, size=size, key=sha)
        yield from self._read(small)

    def _readable(self) -> dict[str, int]:
        """Size of each wanted blob that can be read (missing and too large ones counted)."""
        readable: dict[str, int] = {}
        for sha, info in self.cat.sizes(list(self.wanted)).items():
            if info is None:
                self.stats.missing += 1
            elif info.kind != "blob":
                continue
            elif info.size > self.limits.max_file_size:
                self.stats.huge.append(self.wanted[sha].path)
                self.stats.skipped += 1
            else:
                readable[sha] = info.size
        return readable

    def _read(self, shas: list[str]) -> Iterator[Blob]:
        for sha, data in self.cat.contents(shas):
            if data is None:
                self.stats.missing += 1
                continue
            path = self.wanted[sha].path
            if is_lfs_pointer(data):
                self.stats.lfs.append(path)
            name = posixpath.basename(path) or path
            yield Blob.from_bytes(data, Origin(path=path, kind="git"), name, key=sha)


class GitLoader:
    """Reads the bytes of blobs handed over by id (``GitBlobs.light_items``) in the process
    that scans them (the engine pool's ``Loader``): one ``git cat-file --batch`` per process,
    one request per batch of blobs. Blobs that carry their bytes pass through unchanged; one
    git cannot read comes back as a ``SourceProblem``. ``close`` ends this process's git."""

    def __init__(self, repo: Repo) -> None:
        self.session = BatchSession(repo)

    def load(self, blobs: Sequence[Blob]) -> Iterator[Blob | SourceProblem]:
        """``blobs`` in order, each as soon as it is read (git reads ahead meanwhile)."""
        wanted = [b.key for b in blobs if _by_id(b) and b.key is not None]
        read = self.session.stream(wanted)
        for blob in blobs:
            if not _by_id(blob) or blob.key is None:
                yield blob
                continue
            _, data = next(read)
            if data is None:
                yield SourceProblem(blob.origin.display, "object missing or corrupt; skipped")
            else:
                yield Blob.from_bytes(data, blob.origin, blob.name, blob.depth, blob.key)

    def close(self) -> None:
        self.session.close()


def _by_id(blob: Blob) -> bool:
    return blob.data is None and blob.path is None
