"""Archives built in memory for tests."""

from __future__ import annotations

import io
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from typing import Literal


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A deflated zip holding ``members`` (name -> content)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def tar_bytes(members: dict[str, bytes], compression: Literal["", "gz"] = "") -> bytes:
    """A tar holding ``members`` (name -> content), uncompressed or gzipped (``"gz"``)."""
    buffer = io.BytesIO()
    mode: Literal["w", "w:gz"] = "w:gz" if compression == "gz" else "w"
    with tarfile.open(fileobj=buffer, mode=mode, format=tarfile.GNU_FORMAT) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def gzip_pieces(pieces: Iterable[bytes]) -> bytes:
    """A gzip stream of the ``pieces`` joined, compressed one at a time (a bomb's body need not
    be held in memory whole)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [compressor.compress(piece) for piece in pieces]
    return b"".join(out) + compressor.flush()


def extended_header(kind: bytes, size: int) -> bytes:
    """The header block of a GNU long name (``L``), long link (``K``), pax (``x``) or global
    pax (``g``) entry whose body claims ``size`` bytes; the body is the caller's."""
    info = tarfile.TarInfo("././@LongLink" if kind in b"LK" else "pax")
    info.type = kind
    info.size = size
    return info.tobuf(format=tarfile.GNU_FORMAT)


def padded(data: bytes) -> bytes:
    """``data`` padded with NULs to whole tar blocks."""
    return data + b"\0" * (-len(data) % tarfile.BLOCKSIZE)


def _octal(n: int) -> bytes:
    return b"%011o\0" % n


def _sparse_map(block: bytearray, at: int, regions: Sequence[tuple[int, int]]) -> None:
    for i, (offset, size) in enumerate(regions):
        block[at + i * 24 : at + i * 24 + 24] = _octal(offset) + _octal(size)


def gnu_sparse_member(
    name: str, regions: Sequence[tuple[int, bytes]], real_size: int, extension_blocks: int = 0
) -> bytes:
    """An old-GNU sparse member (type ``S``): the first 4 regions (offset, data) in its header,
    the rest in extension blocks of 21; ``extension_blocks`` more empty ones that each say
    another follows (a bomb when the stream ends before them)."""
    stored = b"".join(data for _, data in regions)
    spans = [(offset, len(data)) for offset, data in regions]
    info = tarfile.TarInfo(name)
    info.type = tarfile.GNUTYPE_SPARSE
    info.size = len(stored)
    header = bytearray(info.tobuf(format=tarfile.GNU_FORMAT))
    _sparse_map(header, 386, spans[:4])
    rest = spans[4:]
    header[482] = 1 if rest or extension_blocks else 0
    header[483:495] = _octal(real_size)
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    blocks = [bytes(header)]
    for start in range(0, len(rest), 21):
        block = bytearray(tarfile.BLOCKSIZE)
        _sparse_map(block, 0, rest[start : start + 21])
        block[504] = 1 if start + 21 < len(rest) or extension_blocks else 0
        blocks.append(bytes(block))
    empty = bytearray(tarfile.BLOCKSIZE)
    empty[504] = 1
    blocks.extend([bytes(empty)] * extension_blocks)
    return b"".join(blocks) + padded(stored)


def pax_sparse_member(name: str, regions: Sequence[tuple[int, bytes]], real_size: int) -> bytes:
    """A GNU sparse 1.0 member (pax): the map (count, then offset and size lines) leads its
    data."""
    stored = b"".join(data for _, data in regions)
    lines = [str(len(regions))] + [f"{o}\n{len(d)}" for o, d in regions]
    sparse_map = padded(("\n".join(lines) + "\n").encode())
    info = tarfile.TarInfo(f"GNUSparseFile.0/{name}")
    info.size = len(sparse_map) + len(stored)
    info.pax_headers = {
        "GNU.sparse.major": "1",
        "GNU.sparse.minor": "0",
        "GNU.sparse.name": name,
        "GNU.sparse.realsize": str(real_size),
    }
    return info.tobuf(format=tarfile.PAX_FORMAT) + sparse_map + padded(stored)
