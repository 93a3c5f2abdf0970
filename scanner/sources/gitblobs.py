"""Git blobs as a ``Source``: each wanted blob id read once through one ``git cat-file``.

A blob is yielded under the path it is wanted at (that path picks the extractor) with its id as
the content key; objects that are missing, too large or Git LFS pointers are counted and
reported by ``problems`` once the blobs have been read.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from scanner.blob import Blob
from scanner.extractors import Limits
from scanner.models import Origin, SourceProblem
from scanner.sources.git import Introduction
from scanner.sources.gitcat import CatFile, is_lfs_pointer


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
        readable: list[str] = []
        for sha, info in self.cat.sizes(list(self.wanted)).items():
            if info is None:
                self.stats.missing += 1
            elif info.kind != "blob":
                continue
            elif info.size > self.limits.max_file_size:
                self.stats.huge.append(self.wanted[sha].path)
                self.stats.skipped += 1
            else:
                readable.append(sha)
        for sha, data in self.cat.contents(readable):
            if data is None:
                self.stats.missing += 1
                continue
            path = self.wanted[sha].path
            if is_lfs_pointer(data):
                self.stats.lfs.append(path)
            name = posixpath.basename(path) or path
            yield Blob.from_bytes(data, Origin(path=path, kind="git"), name, key=sha)
