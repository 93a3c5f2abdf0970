"""Whiteouts: which files a later layer deletes, and which layer hid each file."""

from __future__ import annotations

import io
import posixpath
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast

from scanner.boundedtar import BoundedTarFile
from scanner.compression import (
    is_tar_head,
)
from scanner.sources.images.names import norm_name
from scanner.sources.images.streams import (
    COMPRESSED_MAGICS,
    READ_ERRORS,
    buffered,
    decompressor,
    peek,
)


@dataclass(slots=True)
class LayerIndex:
    """Names a layer adds (non-directories), whites out and makes opaque."""

    covers: list[str] = field(default_factory=list)
    whiteouts: list[str] = field(default_factory=list)
    opaques: list[str] = field(default_factory=list)

    def add(self, member: tarfile.TarInfo) -> None:
        name = norm_name(member.name)
        base = posixpath.basename(name)
        parent = posixpath.dirname(name)
        if base == ".wh..wh..opq":
            self.opaques.append(parent)
        elif base.startswith(".wh."):
            self.whiteouts.append(posixpath.join(parent, base[4:]))
        elif not member.isdir():
            self.covers.append(name)


class Hider:
    """Which later layer hides a path of a lower layer (whiteout, opaque directory, replaced)."""

    def __init__(self, indexes: Sequence[LayerIndex | None]) -> None:
        self.marks: dict[str, list[tuple[int, str]]] = {}
        self.opaque: dict[str, list[int]] = {}
        for j, index in enumerate(indexes):
            if index is not None:
                self.add(j, index)

    def add(self, j: int, index: LayerIndex) -> None:
        """What layer ``j`` adds and deletes (layers may be added in any order)."""
        for p in index.covers:
            self.marks.setdefault(p, []).append((j, "replaced"))
        for p in index.whiteouts:
            self.marks.setdefault(p, []).append((j, "whiteout"))
        for d in index.opaques:
            self.opaque.setdefault(d, []).append(j)

    def hidden_by(self, path: str, layer: int) -> tuple[int, str] | None:
        best: tuple[int, str] | None = None
        parts = norm_name(path).split("/")
        for k in range(len(parts) + 1):
            prefix = "/".join(parts[:k])
            if k:
                for j, how in self.marks.get(prefix, ()):
                    if j > layer and (best is None or j < best[0]):
                        best = (j, how)
            if k < len(parts):
                for j in self.opaque.get(prefix, ()):
                    if j > layer and (best is None or j < best[0]):
                        best = (j, "opaque whiteout")
        return best


def index_layer(stream: BinaryIO) -> LayerIndex:
    """Headers only: what the layer adds and deletes (errors are reported by the scan pass)."""
    index = LayerIndex()
    try:
        buf = buffered(cast(io.RawIOBase, _Passthrough(stream)))
        head = peek(buf)
        if not head.startswith(COMPRESSED_MAGICS) and _seekable(stream) and is_tar_head(head):
            stream.seek(0)
            with BoundedTarFile.open(fileobj=stream, mode="r:") as tf:
                for member in tf:
                    cast(Any, tf).members.clear()  # headers are not kept (millions of entries)
                    index.add(member)
            return index
        inner, _ = decompressor(cast(BinaryIO, buf), head)
        if inner is None:
            return index
        with BoundedTarFile.open(fileobj=inner, mode="r|") as tf:
            for member in tf:
                cast(Any, tf).members.clear()
                index.add(member)
    except READ_ERRORS:
        pass
    return index


def _seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


class _Passthrough(io.RawIOBase):
    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
