"""Byte streams for image inputs: a window on a seekable file, a hashing reader, limits."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tarfile
from collections.abc import Callable
from typing import Any, BinaryIO

from scanner.blob import Blob
from scanner.compression import (
    DECOMPRESS_ERRORS,
    STREAM_MAGICS,
    ZSTD_MAGIC,
    open_reader,
    sniff,
)
from scanner.models import Chunk, SourceProblem

Item = Blob | Chunk | SourceProblem
Opener = Callable[[], BinaryIO]

COMPRESSED_MAGICS = (*STREAM_MAGICS, ZSTD_MAGIC)
META_LIMIT = 16 * 1024 * 1024
META_TOTAL = 256 * 1024 * 1024
MAX_ENTRIES = 100_000
"""Most members of an image archive that are indexed (``docker save`` writes a few per layer);
headers are not kept past this, so a small gzip of millions of empty entries costs no more."""
READ_SIZE = 1 << 20
DIGEST_RE = re.compile(r"^(sha256|sha384|sha512):([0-9a-f]{32,128})$")
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")
READ_ERRORS: tuple[type[BaseException], ...] = (tarfile.TarError, *DECOMPRESS_ERRORS)


class WindowReader(io.RawIOBase):
    """A read-only, seekable window ``[start, start+size)`` on a seekable file."""

    def __init__(self, fh: BinaryIO, start: int, size: int) -> None:
        super().__init__()
        self._fh, self._start, self._size, self._pos = fh, start, size, 0
        self.size = size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        self._fh.seek(self._start + self._pos)
        data = self._fh.read(want)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


class HashingReader(io.RawIOBase):
    """Reads through ``inner`` and hashes every byte read (to verify a digest)."""

    def __init__(self, inner: BinaryIO, algorithm: str = "sha256") -> None:
        super().__init__()
        self._inner = inner
        self.hasher = hashlib.new(algorithm)
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        if not data:
            return 0
        self.hasher.update(data)
        self.count += len(data)
        buffer[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        while self.read(READ_SIZE):
            pass


def buffered(raw: io.RawIOBase) -> io.BufferedReader:
    return io.BufferedReader(raw, READ_SIZE)


def peek(stream: io.BufferedReader, n: int = 512) -> bytes:
    head = stream.peek(n)[:n]
    return head


def decompressor(stream: BinaryIO, head: bytes) -> tuple[BinaryIO | None, str]:
    """A decompressing reader over ``stream`` (or ``stream`` itself when ``head`` shows no
    compression) and the codec's name; the reader is None when the codec's package is missing."""
    codec = sniff(head)
    if codec is None:
        return stream, ""
    return open_reader(codec, stream), codec


def stored_size(stream: BinaryIO) -> int | None:
    """How many bytes ``stream`` holds, when that is known without reading it (a file, a window
    on an image tar, a member of a streamed tar)."""
    for obj in (
        stream,
        getattr(stream, "raw", None),
        getattr(getattr(stream, "raw", None), "fileobj", None),
    ):
        size = getattr(obj, "size", None)
        if isinstance(size, int):
            return size
    try:
        return os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


class ExpansionError(ValueError):
    """A layer's entries claim more than its stored bytes can hold (a bomb or a lie)."""
