"""Compressed streams: recognise a codec by its first bytes and open a decompressing reader.

One place for the codecs every container format needs (archives, compressed pickles, image
layers). Readers decompress lazily; callers bound what they read (``read_bounded``, budgets).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from typing import BinaryIO, cast

GZIP_MAGIC = b"\x1f\x8b"
BZ2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
LZMA_ALONE_MAGIC = b"]\x00\x00"
STREAM_MAGICS = (GZIP_MAGIC, BZ2_MAGIC, XZ_MAGIC)
"""Codecs of the standard library that a file can start with (zstd needs a package)."""

ZSTD_MISSING = "zstd-compressed; install keyguard[zstd] (the zstandard package) to scan it; skipped"


def _zstd_errors() -> tuple[type[BaseException], ...]:
    try:
        import zstandard
    except ImportError:
        return ()
    return (zstandard.ZstdError,)


DECOMPRESS_ERRORS: tuple[type[BaseException], ...] = (
    EOFError,
    OSError,
    zlib.error,
    lzma.LZMAError,
    ValueError,
    *_zstd_errors(),
)
"""What a truncated or corrupt compressed stream raises while it is read."""


def is_zlib(head: bytes) -> bool:
    """A zlib stream header (deflate, window check bits valid)."""
    return len(head) >= 2 and head[0] == 0x78 and (head[0] << 8 | head[1]) % 31 == 0


def sniff(head: bytes, *, zstd: bool = True, lzma_alone: bool = False) -> str | None:
    """The codec that ``head`` starts with: gzip, bzip2, xz, zstd (when ``zstd``), lzma (the
    headerless LZMA-alone format, only when ``lzma_alone``: its magic is weak), or None."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(BZ2_MAGIC):
        return "bzip2"
    if head.startswith(XZ_MAGIC):
        return "xz"
    if zstd and head.startswith(ZSTD_MAGIC):
        return "zstd"
    if lzma_alone and head.startswith(LZMA_ALONE_MAGIC):
        return "lzma"
    return None


def open_reader(codec: str, stream: BinaryIO) -> BinaryIO | None:
    """A decompressing reader over ``stream``; None when the codec's package is not installed
    (zstd without ``zstandard``). The caller closes the reader."""
    if codec == "gzip":
        return cast(BinaryIO, gzip.GzipFile(fileobj=stream, mode="rb"))
    if codec == "bzip2":
        return cast(BinaryIO, bz2.BZ2File(stream))
    if codec == "xz":
        return cast(BinaryIO, lzma.LZMAFile(stream))
    if codec == "lzma":
        return cast(BinaryIO, lzma.LZMAFile(stream, format=lzma.FORMAT_ALONE))
    if codec == "zstd":
        try:
            import zstandard
        except ImportError:
            return None
        reader = zstandard.ZstdDecompressor().stream_reader(stream, read_across_frames=True)
        return cast(BinaryIO, reader)
    raise ValueError(f"unknown codec {codec!r}")


def is_tar_head(head: bytes) -> bool:
    """True for a tar header (ustar, gnu, pax) or the zero blocks of an empty tar."""
    if len(head) >= 262 and head[257:262] == b"ustar":
        return True
    return len(head) >= 512 and not any(head[:512])
