"""Archives: zip (incl. jar/whl/docx), tar (plain, gz, bz2, xz), and single-file gz/bz2/xz.

Nothing is extracted to disk; members are read into memory within the budget's limits, with a
compression-ratio check so that a bomb stops early.
"""

from __future__ import annotations

import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any, BinaryIO, cast

from scanner.blob import Blob
from scanner.boundedtar import BoundedTarFile, TarBoundsError
from scanner.compression import DECOMPRESS_ERRORS, STREAM_MAGICS, open_reader, sniff
from scanner.extractors.base import Budget, Item, Limits
from scanner.models import Origin, SourceProblem

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP = b"PK\x05\x06"
TAR_ERRORS: tuple[type[BaseException], ...] = (tarfile.TarError, *DECOMPRESS_ERRORS)


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


def read_zip_member(
    member: IO[bytes], info: zipfile.ZipInfo, parent: Blob, origin: Origin, limits: Limits
) -> Item:
    """The zip member ``info``, read from its open ``member`` within ``limits``, as a blob one
    level below ``parent``; or the problem when it exceeds the size or ratio limit."""
    data = read_bounded(member, limits.max_member_size, info.compress_size, limits.max_ratio)
    if data is None:
        return SourceProblem(origin.display, "member exceeds the size or ratio limit; skipped")
    name = info.filename.rsplit("/", 1)[-1]
    return Blob.from_bytes(data, origin, name, parent.depth + 1)


def inflate(
    blob: Blob, budget: Budget, decompress: Callable[[BinaryIO], bytes | None], what: str
) -> bytes | str:
    """``blob`` decompressed by ``decompress`` (which returns None past its limits) and taken
    from the budget; or the problem, as a message."""
    try:
        with blob.open() as fh:
            data = decompress(fh)
    except DECOMPRESS_ERRORS as exc:
        return f"truncated or corrupt {what} ({type(exc).__name__})"
    if data is None:
        return "decompressed size exceeds the limit (bomb?); skipped"
    if not budget.take(len(data)):
        return "archive limits reached; skipped"
    return data


ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError)
MemberHandler = Callable[[zipfile.ZipFile, zipfile.ZipInfo], Iterator[Item]]


def iter_zip_members(blob: Blob, budget: Budget, handle: MemberHandler) -> Iterator[Item]:
    """``handle`` each file member of the zip ``blob``, within the budget; a damaged archive
    becomes a problem naming it, after whatever members could be read."""
    try:
        with blob.open() as fh, zipfile.ZipFile(fh) as zf:
            starts: set[int] = set()
            for info in zf.infolist():
                if not info.filename or info.is_dir():  # a nameless entry (is_dir would raise)
                    continue
                if info.header_offset in starts:
                    # entries that share their data (overlapping members): a zip bomb
                    yield _problem(blob, "overlapping zip entries (zip bomb?); rest skipped")
                    return
                starts.add(info.header_offset)
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
                item = read_zip_member(member, info, blob, origin, limits)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            yield SourceProblem(origin.display, f"unreadable member ({type(exc).__name__})")
            return
        yield item


class TarExtractor:
    name = "tar"

    def accepts(self, blob: Blob, head: bytes) -> bool:
        if is_tar(head):
            return True
        lname = blob.lower_name
        compressed = head.startswith(STREAM_MAGICS)
        return compressed and lname.endswith(
            (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar")
        )

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]:
        """Members in stream order. What the archive may expand to is bounded by its own size
        times the ratio limit, whatever its headers claim: a member larger than that (10 GiB of
        zeros, a truncated header claiming 8 TiB) ends the archive instead of being skipped
        through. Member headers are not kept (millions of entries stay in bounded memory)."""
        limits = budget.limits
        ceiling = max(blob.size * limits.max_ratio, limits.max_member_size)
        try:
            with blob.open() as fh, BoundedTarFile.open(fileobj=fh, mode="r|*") as tf:
                for member in tf:
                    cast(Any, tf).members.clear()  # the stream's header list: keep none
                    if member.offset_data + member.size > ceiling:
                        yield _problem(blob, "tar expands beyond the ratio limit; rest skipped")
                        return
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
        except TarBoundsError as exc:
            yield _problem(blob, f"{exc} (tar bomb?); rest of the archive skipped")
        except TAR_ERRORS as exc:
            yield _problem(blob, f"truncated or unreadable tar archive ({type(exc).__name__})")


class CompressedExtractor:
    """A single compressed file (``.gz``, ``.bz2``, ``.xz``) that is not a tarball."""

    name = "compressed"

    def accepts(self, blob: Blob, head: bytes) -> bool:
        return head.startswith(STREAM_MAGICS)

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]:
        limits = budget.limits
        codec = sniff(blob.head(8), zstd=False) or "gzip"
        inner = blob.name
        for suffix in (".gz", ".bz2", ".xz", ".gzip"):
            if inner.lower().endswith(suffix):
                inner = inner[: -len(suffix)]
                break

        def decompress(fh: BinaryIO) -> bytes | None:
            reader = open_reader(codec, fh)
            assert reader is not None  # the standard library's codecs are always there
            with reader:
                return read_bounded(reader, limits.max_member_size, blob.size, limits.max_ratio)

        data = inflate(blob, budget, decompress, "compressed file")
        if isinstance(data, str):
            yield _problem(blob, data)
            return
        if is_tar(data[:512]):
            inner_blob = Blob.from_bytes(data, blob.origin, inner + ".tar", blob.depth + 1)
        else:
            inner_blob = Blob.from_bytes(data, blob.origin.child(inner), inner, blob.depth + 1)
        yield inner_blob
