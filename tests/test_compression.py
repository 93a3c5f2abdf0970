"""Codec sniffing and decompressing readers shared by archives, pickles and image layers."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zlib

import pytest

from scanner.compression import DECOMPRESS_ERRORS, is_tar_head, is_zlib, open_reader, sniff

PAYLOAD = b"hello keyguard " * 100


@pytest.mark.parametrize(
    ("data", "codec"),
    [
        (gzip.compress(PAYLOAD), "gzip"),
        (bz2.compress(PAYLOAD), "bzip2"),
        (lzma.compress(PAYLOAD), "xz"),
        (lzma.compress(PAYLOAD, format=lzma.FORMAT_ALONE), "lzma"),
    ],
)
def test_sniff_and_read_back(data: bytes, codec: str) -> None:
    assert sniff(data[:8], lzma_alone=True) == codec
    reader = open_reader(codec, io.BytesIO(data))
    assert reader is not None
    with reader:
        assert reader.read() == PAYLOAD


def test_sniff_is_conservative() -> None:
    assert sniff(b"plain text") is None
    assert sniff(lzma.compress(b"x", format=lzma.FORMAT_ALONE)[:8]) is None  # weak magic: opt-in
    assert sniff(b"\x28\xb5\x2f\xfd....", zstd=False) is None


def test_truncated_stream_raises_a_known_error() -> None:
    data = gzip.compress(PAYLOAD)[:20]
    reader = open_reader("gzip", io.BytesIO(data))
    assert reader is not None
    with pytest.raises(DECOMPRESS_ERRORS):
        reader.read()


def test_zlib_and_tar_heads() -> None:
    assert is_zlib(zlib.compress(b"x"))
    assert not is_zlib(b"xx")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tf:
        info = tarfile.TarInfo("a")
        tf.addfile(info, io.BytesIO(b""))
    assert is_tar_head(buffer.getvalue()[:512])
    assert is_tar_head(b"\0" * 512)
    assert not is_tar_head(b"PK\x03\x04" + b"\0" * 508)
