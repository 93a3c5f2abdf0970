"""Archives: zip (incl. jar/whl/docx), tar (plain, gz, bz2, xz), and single-file gz/bz2/xz.

Nothing is extracted to disk; members are read into memory within the budget's limits, with a
compression-ratio check so that a bomb stops early.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, cast

from scanner.blob import Blob
from scanner.extractors.base import Budget, Item
from scanner.models import SourceProblem

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP = b"PK\x05\x06"
GZIP_MAGIC = b"\x1f\x8b"
BZ2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"


def is_tar(head: bytes) -> bool:
    return len(head) >= 262 and head[257:262] == b"ustar"


def _problem(blob: Blob, message: str) -> SourceProblem:
    return SourceProblem(blob.origin.display, message)


def read_bounded(stream: IO[bytes], limit: int, compressed: int, max_ratio: int) -> bytes | None:
    """Read at most ``limit`` bytes; None when the content is larger or the ratio is a bomb's."""
    out = bytearray()
    while True:
        piece = stream.read(min(1 << 20, limit + 1 - len(out)))
        if not piece:
            return bytes(out)
        out += piece
        if len(out) > limit:
            return None
        if compressed and len(out) > 1 << 20 and len(out) > compressed * max_ratio:
            return None


ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError)
MemberHandler = Callable[[zipfile.ZipFile, zipfile.ZipInfo], Iterator[Item]]


def iter_zip_members(blob: Blob, budget: Budget, handle: MemberHandler) -> Iterator[Item]:
    """``handle`` each file member of the zip ``blob``, within the budget; a damaged archive
    becomes a problem naming it, after whatever members could be read."""
    try:
        with blob.open() as fh, zipfile.ZipFile(fh) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                yield from handle(zf, info)
                if budget.exhausted:
                    yield _problem(blob, "archive limits reached; rest of the archive skipped")
                    return
    except ZIP_ERRORS as exc:
        yield _problem(blob, f"unreadable zip archive ({type(exc).__name__})")


class ZipExtractor:
    name = "zip"

    def accepts(self, blob: Blob, head: bytes) -> bool:
        return head.startswith((ZIP_MAGIC, EMPTY_ZIP))

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]:
        yield from iter_zip_members(
            blob, budget, lambda zf, info: self._member(zf, info, blob, budget)
        )

    def _member(
        self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, blob: Blob, budget: Budget
    ) -> Iterator[Item]:
        limits = budget.limits
        origin = blob.origin.child(info.filename)
        if info.flag_bits & 0x1:
            yield SourceProblem(origin.display, "encrypted member skipped")
            return
        if info.file_size > limits.max_member_size:
            yield SourceProblem(origin.display, "member larger than the size limit; skipped")
            return
        if info.compress_size and info.file_size > info.compress_size * limits.max_ratio > 1 << 20:
            yield SourceProblem(origin.display, "compression ratio too high (zip bomb?); skipped")
            return
        if not budget.take(info.file_size):
            return
        try:
            with zf.open(info) as member:
                data = read_bounded(
                    member, limits.max_member_size, info.compress_size, limits.max_ratio
                )
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            yield SourceProblem(origin.display, f"unreadable member ({type(exc).__name__})")
            return
        if data is None:
            yield SourceProblem(origin.display, "member exceeds the size or ratio limit; skipped")
            return
        name = info.filename.rsplit("/", 1)[-1]
        yield Blob.from_bytes(data, origin, name, blob.depth + 1)


class TarExtractor:
    name = "tar"

    def accepts(self, blob: Blob, head: bytes) -> bool:
        if is_tar(head):
            return True
        lname = blob.lower_name
        compressed = head.startswith((GZIP_MAGIC, BZ2_MAGIC, XZ_MAGIC))
        return compressed and lname.endswith(
            (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar")
        )

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]:
        limits = budget.limits
        try:
            with blob.open() as fh, tarfile.open(fileobj=fh, mode="r|*") as tf:
                for member in tf:
                    if not member.isfile():
                        continue
                    origin = blob.origin.child(member.name)
                    if member.size > limits.max_member_size:
                        yield SourceProblem(origin.display, "member larger than the size limit")
                        continue
                    if not budget.take(member.size):
                        yield _problem(blob, "archive limits reached; rest of the archive skipped")
                        return
                    extracted = tf.extractfile(member)
                    if extracted is None:
                        continue
                    data = extracted.read(member.size)
                    name = member.name.rsplit("/", 1)[-1]
                    yield Blob.from_bytes(data, origin, name, blob.depth + 1)
        except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError, ValueError) as exc:
            yield _problem(blob, f"truncated or unreadable tar archive ({type(exc).__name__})")


def _open_gzip(fh: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], gzip.GzipFile(fileobj=fh, mode="rb"))


def _open_bz2(fh: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], bz2.BZ2File(fh))


def _open_xz(fh: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], lzma.LZMAFile(fh))


class CompressedExtractor:
    """A single compressed file (``.gz``, ``.bz2``, ``.xz``) that is not a tarball."""

    name = "compressed"

    def accepts(self, blob: Blob, head: bytes) -> bool:
        return head.startswith((GZIP_MAGIC, BZ2_MAGIC, XZ_MAGIC))

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]:
        limits = budget.limits
        head = blob.head(8)
        opener: Callable[[IO[bytes]], IO[bytes]]
        if head.startswith(GZIP_MAGIC):
            opener = _open_gzip
        elif head.startswith(BZ2_MAGIC):
            opener = _open_bz2
        else:
            opener = _open_xz
        inner = blob.name
        for suffix in (".gz", ".bz2", ".xz", ".gzip"):
            if inner.lower().endswith(suffix):
                inner = inner[: -len(suffix)]
                break
        try:
            with blob.open() as fh, opener(fh) as stream:
                data = read_bounded(stream, limits.max_member_size, blob.size, limits.max_ratio)
        except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
            yield _problem(blob, f"truncated or corrupt compressed file ({type(exc).__name__})")
            return
        if data is None:
            yield _problem(blob, "decompressed size exceeds the limit (bomb?); skipped")
            return
        if not budget.take(len(data)):
            yield _problem(blob, "archive limits reached; skipped")
            return
        if is_tar(data[:512]):
            inner_blob = Blob.from_bytes(data, blob.origin, inner + ".tar", blob.depth + 1)
        else:
            inner_blob = Blob.from_bytes(data, blob.origin.child(inner), inner, blob.depth + 1)
        yield inner_blob
