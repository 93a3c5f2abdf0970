"""Blobs: content to scan before it is text (a file on disk, an archive member, a git blob)."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from scanner.models import Origin
from scanner.safeio import open_regular


@dataclass(frozen=True, slots=True)
class Blob:
    """Bytes with an origin. ``data`` is set for in-memory content; otherwise ``path`` is read.

    ``name`` is the base name used to pick an extractor (``model.safetensors``); ``depth`` counts
    containers opened to reach it (archive in archive...). ``key``, when the source knows it, is a
    content id (a git blob id, a sha256 of a layer member plus its name suffix): blobs with the
    same key are scanned once and their findings reported at every place they appear.
    """

    origin: Origin
    name: str
    size: int
    data: bytes | None = None
    path: str | None = None
    depth: int = 0
    key: str | None = None

    @classmethod
    def from_bytes(
        cls, data: bytes, origin: Origin, name: str, depth: int = 0, key: str | None = None
    ) -> Blob:
        return cls(origin=origin, name=name, size=len(data), data=data, depth=depth, key=key)

    @classmethod
    def from_path(cls, path: str | Path, origin: Origin, size: int) -> Blob:
        path = os.fspath(path)
        return cls(origin=origin, name=os.path.basename(path), size=size, path=path)

    def with_data(self, data: bytes | None) -> Blob:
        """This blob with its content read, or without it (None) (``dataclasses.replace``
        without its per-call field introspection: every small file of a scan, and every blob
        the pool hands a worker, goes through here)."""
        return Blob(self.origin, self.name, self.size, data, self.path, self.depth, self.key)

    def open(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        # a regular file only: a path swapped for a FIFO or device after the walk is not opened
        return open_regular(self.path, follow_symlinks=True)

    def head(self, n: int = 4096) -> bytes:
        if self.data is not None:
            return self.data[:n]
        with self.open() as fh:
            return fh.read(n)

    def read_all(self, limit: int) -> bytes:
        """The whole content, at most ``limit`` bytes (callers check ``size`` first)."""
        if self.data is not None:
            return self.data[:limit]
        with self.open() as fh:
            return fh.read(limit)

    @property
    def lower_name(self) -> str:
        return self.name.lower()
