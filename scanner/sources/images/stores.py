"""Stores: where the manifests and blobs of an image input live (a directory, a seekable
tar, or a compressed tar read as a stream)."""

from __future__ import annotations

import io
import posixpath
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast

from scanner.blob import Blob
from scanner.boundedtar import BoundedTarFile, TarBoundsError
from scanner.compression import (
    ZSTD_MISSING,
    is_tar_head,
)
from scanner.models import SourceProblem
from scanner.sources.images.names import clean_name, is_unsafe_name, norm_name
from scanner.sources.images.streams import (
    COMPRESSED_MAGICS,
    MAX_ENTRIES,
    META_LIMIT,
    META_TOTAL,
    READ_ERRORS,
    READ_SIZE,
    Opener,
    WindowReader,
    buffered,
    decompressor,
)


def _too_many() -> str:
    return f"more than {MAX_ENTRIES} entries (not an image archive?); the rest is not read"


class Store(Protocol):
    where: str
    problems: list[SourceProblem]

    def resolve(self, name: str) -> str | None: ...

    def read_meta(self, name: str) -> bytes | None: ...

    def iter_streams(self, names: Sequence[str]) -> Iterator[tuple[str, BinaryIO]]: ...


class DirStore:
    """An OCI layout (or an extracted docker-archive) in a directory."""

    def __init__(self, root: Path, where: str) -> None:
        self.root, self.where = root, where
        self._real = root.resolve()
        self.problems: list[SourceProblem] = []

    def resolve(self, name: str) -> str | None:
        if is_unsafe_name(name):
            return None
        rel = clean_name(name)
        parts = rel.split("/")
        candidates = [rel]
        if len(parts) == 3 and parts[0] == "blobs":
            candidates.append(parts[2])  # skopeo's ``dir:`` layout: blobs named by hex
        for candidate in candidates:
            path = (self.root / candidate).resolve()
            if path.is_relative_to(self._real) and path.is_file():
                return candidate
        return None

    def read_meta(self, name: str) -> bytes | None:
        rel = self.resolve(name)
        if rel is None:
            return None
        try:
            with open(self.root / rel, "rb") as fh:
                data = fh.read(META_LIMIT + 1)
        except OSError:
            return None
        return data if len(data) <= META_LIMIT else None

    def iter_streams(self, names: Sequence[str]) -> Iterator[tuple[str, BinaryIO]]:
        for name in names:
            try:
                fh = open(self.root / name, "rb")  # noqa: SIM115 - closed below
            except OSError as exc:
                self.problems.append(
                    SourceProblem(f"{self.where}!{name}", f"cannot read ({exc.strerror})")
                )
                continue
            with fh:
                yield name, fh


@dataclass(slots=True)
class _Entry:
    kind: str  # "file", "sym", "link", "other"
    size: int = 0
    offset: int = 0
    linkname: str = ""


def _entry(member: tarfile.TarInfo) -> _Entry:
    if member.isfile():
        return _Entry("file", member.size, member.offset_data)
    if member.issym():
        return _Entry("sym", linkname=member.linkname)
    if member.islnk():
        return _Entry("link", linkname=member.linkname)
    return _Entry("other")


class _ArchiveIndex:
    """Member names of an outer tar, with symlink and hardlink resolution (docker save links
    identical layers to each other)."""

    where: str

    def __init__(self) -> None:
        self.entries: dict[str, _Entry] = {}
        self.problems: list[SourceProblem] = []

    def resolve(self, name: str) -> str | None:
        if is_unsafe_name(name):
            return None
        current = norm_name(name)
        for _ in range(16):
            entry = self.entries.get(current)
            if entry is None:
                return None
            if entry.kind == "file":
                return current
            if entry.kind == "sym":
                base = posixpath.dirname(current)
                target = entry.linkname
                current = norm_name(target if target.startswith("/") else f"{base}/{target}")
            elif entry.kind == "link":
                current = norm_name(entry.linkname)
            else:
                return None
        return None


class TarStore(_ArchiveIndex):
    """An uncompressed tar (docker-archive or OCI layout) read in place by offsets."""

    def __init__(self, opener: Opener, size: int, where: str) -> None:
        super().__init__()
        self.opener, self.size, self.where = opener, size, where
        self.truncated = False
        try:
            with opener() as fh, BoundedTarFile.open(fileobj=fh, mode="r:") as tf:
                for n, member in enumerate(tf):
                    cast(Any, tf).members.clear()  # offsets are all this index needs
                    if n >= MAX_ENTRIES:
                        self.problems.append(SourceProblem(where, _too_many()))
                        break
                    entry = _entry(member)
                    self.entries[norm_name(member.name)] = entry
                    if entry.kind == "file" and entry.offset + entry.size > size:
                        self.truncated = True
        except READ_ERRORS as exc:
            self.truncated = True
            message = f"truncated or unreadable tar archive ({type(exc).__name__})"
            if isinstance(exc, TarBoundsError):
                message = f"{exc} (tar bomb?); rest of the archive skipped"
            self.problems.append(SourceProblem(where, message))
        if self.truncated and not self.problems:
            message = "truncated tar archive; scanning what is left"
            self.problems.append(SourceProblem(where, message))

    def read_meta(self, name: str) -> bytes | None:
        rel = self.resolve(name)
        if rel is None:
            return None
        entry = self.entries[rel]
        if entry.size > META_LIMIT:
            return None
        with self.opener() as fh:
            fh.seek(entry.offset)
            return fh.read(entry.size)

    def iter_streams(self, names: Sequence[str]) -> Iterator[tuple[str, BinaryIO]]:
        with self.opener() as fh:
            for name in names:
                entry = self.entries[name]
                end = min(entry.offset + entry.size, self.size)
                window = WindowReader(fh, entry.offset, max(0, end - entry.offset))
                yield name, cast(BinaryIO, buffered(window))


class StreamStore(_ArchiveIndex):
    """A compressed tar (``docker save | gzip``): read as a stream, once per pass.

    The first pass keeps the member list and the small JSON members (manifests, configs).
    """

    def __init__(self, opener: Opener, where: str) -> None:
        super().__init__()
        self.opener, self.where = opener, where
        self.meta: dict[str, bytes] = {}
        self.reported: set[str] = set()
        kept = 0
        for name, member, tf in self._members():
            self.entries[name] = _entry(member)
            if not member.isfile() or member.size > META_LIMIT or kept > META_TOTAL:
                continue
            looks_meta = name.endswith(".json") or name in ("oci-layout", "repositories")
            if looks_meta or name.startswith("blobs/") or member.size <= 1 << 20:
                fh = tf.extractfile(member)
                if fh is None:
                    continue
                first = fh.read(1)
                if looks_meta or first == b"{":
                    data = first + fh.read(member.size)
                    self.meta[name] = data
                    kept += len(data)

    def _members(self) -> Iterator[tuple[str, tarfile.TarInfo, tarfile.TarFile]]:
        try:
            with self.opener() as raw:
                buf = io.BufferedReader(cast(io.RawIOBase, raw), READ_SIZE)
                stream, kind = decompressor(cast(BinaryIO, buf), buf.peek(8)[:8])
                if stream is None:
                    self._report(f"archive is {ZSTD_MISSING}")
                    return
                with BoundedTarFile.open(fileobj=stream, mode="r|") as tf:
                    for n, member in enumerate(tf):
                        cast(Any, tf).members.clear()  # the stream's header list: keep none
                        if n >= MAX_ENTRIES:
                            self._report(_too_many())
                            return
                        yield norm_name(member.name), member, tf
        except TarBoundsError as exc:
            self._report(f"{exc} (tar bomb?); rest of the archive skipped")
        except READ_ERRORS as exc:
            self._report(f"truncated or unreadable compressed archive ({type(exc).__name__})")

    def _report(self, message: str) -> None:
        """Each pass meets the same damage; it is reported once."""
        if message not in self.reported:
            self.reported.add(message)
            self.problems.append(SourceProblem(self.where, message))

    def read_meta(self, name: str) -> bytes | None:
        rel = self.resolve(name)
        return None if rel is None else self.meta.get(rel)

    def iter_streams(self, names: Sequence[str]) -> Iterator[tuple[str, BinaryIO]]:
        wanted = set(names)
        for name, member, tf in self._members():
            if name in wanted and member.isfile():
                fh = tf.extractfile(member)
                if fh is not None:
                    yield name, cast(BinaryIO, fh)


def _file_opener(path: Path | str) -> Opener:
    def opener() -> BinaryIO:
        return open(path, "rb")  # noqa: SIM115 - the caller closes it

    return opener


def _store_for(opener: Opener, size: int, where: str) -> Store | None:
    with opener() as fh:
        head = fh.read(512)
    if head.startswith(COMPRESSED_MAGICS):
        return StreamStore(opener, where)
    if is_tar_head(head):
        return TarStore(opener, size, where)
    return None


def open_store(path: Path, where: str) -> Store | SourceProblem:
    """The store for an image input on disk: a layout directory or an image tar (compressed too)."""
    if path.is_dir():
        if (path / "index.json").is_file() or (path / "manifest.json").is_file():
            return DirStore(path, where)
        return SourceProblem(where, "directory has no index.json or manifest.json; not an image")
    try:
        size = path.stat().st_size
        store = _store_for(_file_opener(path), size, where)
    except OSError as exc:
        return SourceProblem(where, f"cannot read ({exc.strerror})")
    if store is None:
        return SourceProblem(where, "not a tar archive or image layout; skipped")
    return store


def store_for_blob(blob: Blob) -> Store | None:
    """The store for an image tar met inside a scan (a file on disk or an archive member)."""
    if blob.path is not None:
        path = blob.path
        return _store_for(_file_opener(path), blob.size, blob.origin.display)
    data = blob.data or b""
    return _store_for(lambda: io.BytesIO(data), len(data), blob.origin.display)


def is_layout_dir(path: Path) -> bool:
    """An OCI image layout directory (``oci-layout`` and ``index.json``)."""
    return (path / "oci-layout").is_file() and (path / "index.json").is_file()
