"""Tar headers read within bounds: long names, pax headers, header chains and sparse maps that
claim more than any real archive holds end the archive with ``TarBoundsError``; real ones read
as the standard ``tarfile`` reads them."""

from __future__ import annotations

import io
import tarfile
import tracemalloc

import pytest

from scanner.boundedtar import MAX_CHAINED, BoundedTarFile, TarBoundsError
from testing.archives import (
    extended_header,
    gnu_sparse_member,
    gzip_pieces,
    padded,
    pax_sparse_member,
    tar_bytes,
)

REGIONS = [(i * 4096, b"r%03d" % i) for i in range(30)]  # past the 4 a header holds
REAL_SIZE = 30 * 4096 + 10


def names(data: bytes, mode: str = "r|*") -> list[str]:
    with BoundedTarFile.open(fileobj=io.BytesIO(data), mode=mode) as tf:  # type: ignore[call-overload]
        return [member.name for member in tf]


def contents(data: bytes, mode: str) -> dict[str, bytes]:
    out = {}
    with BoundedTarFile.open(fileobj=io.BytesIO(data), mode=mode) as tf:  # type: ignore[call-overload]
        for member in tf:
            fh = tf.extractfile(member)
            assert fh is not None
            out[member.name] = fh.read()
    return out


@pytest.mark.parametrize("kind", [b"L", b"K", b"x", b"g"])
def test_extended_header_claiming_gigabytes_is_refused_before_reading(kind: bytes) -> None:
    # 64 MiB of body, a few kilobytes once compressed: tarfile read it all into memory
    body = (b"a" * (1 << 20) for _ in range(64))
    data = gzip_pieces([extended_header(kind, 64 << 20), *body])
    tracemalloc.start()
    with pytest.raises(TarBoundsError, match="claims 67108864 bytes"):
        names(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 8 << 20


@pytest.mark.parametrize("kind", [b"L", b"x"])
def test_long_chain_of_extended_headers_is_refused(kind: bytes) -> None:
    # thousands in a row ended in RecursionError (an internal error)
    body = padded(b"12 path=ab\n" if kind == b"x" else b"name\0")
    chain = (extended_header(kind, len(body.rstrip(b"\0"))) + body) * 5000
    with pytest.raises(TarBoundsError, match=f"more than {MAX_CHAINED} extended"):
        names(chain + tar_bytes({"after.env": b"x"}))


def test_global_headers_setting_thousands_of_keys_are_refused() -> None:
    records = b"".join(b"%d k%04d=v\n" % (len(b"k0000=v\n") + 3, i) for i in range(1000))
    data = extended_header(b"g", len(records)) + padded(records) + tar_bytes({"a.env": b"x"})
    with pytest.raises(TarBoundsError, match="global tar headers"):
        names(data)


def test_old_gnu_sparse_extension_chain_is_bounded() -> None:
    member = gnu_sparse_member("s.bin", REGIONS[:1], 4096, extension_blocks=200_000)
    with pytest.raises(TarBoundsError, match="sparse map longer"):
        names(gzip_pieces([member]))


def test_old_gnu_sparse_map_cut_short_is_a_read_error() -> None:
    # the standard reader raised IndexError on the missing extension block
    member = gnu_sparse_member("s.bin", REGIONS, REAL_SIZE)
    with pytest.raises(tarfile.ReadError, match="truncated sparse header"):
        names(member[:1024])


def test_pax_sparse_map_claiming_billions_of_regions_is_refused() -> None:
    info = tarfile.TarInfo("GNUSparseFile.0/s.bin")
    info.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0"}
    sparse_map = padded(b"1000000000\n" + b"0\n1\n" * 100)
    info.size = len(sparse_map)
    data = info.tobuf(format=tarfile.PAX_FORMAT) + sparse_map
    with pytest.raises(TarBoundsError, match="sparse map of 1000000000 regions"):
        names(data)


@pytest.mark.parametrize("mode", ["r|", "r:"])
@pytest.mark.parametrize("builder", [gnu_sparse_member, pax_sparse_member])
def test_real_sparse_members_read_as_tarfile_reads_them(builder: object, mode: str) -> None:
    assert callable(builder)
    data = builder("holes.env", REGIONS, REAL_SIZE) + tar_bytes({"plain.env": b"p=1\n"})
    want = bytearray(REAL_SIZE)
    for offset, chunk in REGIONS:
        want[offset : offset + len(chunk)] = chunk
    assert contents(data, mode) == {"holes.env": bytes(want), "plain.env": b"p=1\n"}


def test_ordinary_long_names_and_pax_headers_still_read() -> None:
    buffer = io.BytesIO()
    long_name = "d/" * 200 + "deep.env"
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo(long_name)
        info.pax_headers = {"comment": "c" * 10_000}
        info.size = 3
        tf.addfile(info, io.BytesIO(b"x=1"))
    gnu = tar_bytes({long_name: b"y=2"})
    assert contents(buffer.getvalue(), "r|") == {long_name: b"x=1"}
    assert contents(gnu, "r:") == {long_name: b"y=2"}
