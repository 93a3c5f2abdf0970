"""HDF5 attributes without an HDF5 library: string attribute messages found by their layout.

Object headers are not walked (that needs the B-trees and heaps of every group). Instead the
bounded head and tail windows of the file are searched for attribute messages (versions 1 and
3, as written by h5py with the default and the ``latest`` format) whose datatype is a string:
fixed-length strings are read from the message, variable-length strings from the global heap
collection (``GCOL``) they point to. Every candidate is checked (printable NUL-terminated name,
sizes within the window, heap signature), so random weight bytes yield nothing.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from typing import BinaryIO

from scanner.extractors.fields import Field

_V1 = re.compile(rb"\x01\x00([\x02-\x40])\x00([\x08-\x40])\x00([\x08-\x40])\x00", re.DOTALL)
_V3 = re.compile(
    rb"\x03[\x00-\x03]([\x02-\x40])\x00([\x08-\x40])\x00([\x04-\x40])\x00[\x00\x01]", re.DOTALL
)
_NAME = re.compile(rb"[\x20-\x7e]+\x00")
MAX_ELEMENTS = 256
MAX_HEAP = 4 * 1024 * 1024
MAX_ATTRIBUTES = 10_000


def _pad8(n: int) -> int:
    return (n + 7) & ~7


class _Heaps:
    """Global heap collections, read on demand from the file (bounded, cached)."""

    def __init__(self, fh: BinaryIO, size: int) -> None:
        self.fh = fh
        self.size = size
        self.cache: dict[int, dict[int, bytes]] = {}

    def get(self, address: int, index: int) -> bytes | None:
        if address not in self.cache:
            if len(self.cache) >= 1024:
                return None
            self.cache[address] = self._read(address)
        return self.cache[address].get(index)

    def _read(self, address: int) -> dict[int, bytes]:
        if not 0 <= address < self.size - 16:
            return {}
        self.fh.seek(address)
        head = self.fh.read(16)
        if len(head) < 16 or not head.startswith(b"GCOL"):
            return {}
        total = min(struct.unpack("<Q", head[8:16])[0], MAX_HEAP)
        body = head + self.fh.read(max(total - 16, 0))
        objects: dict[int, bytes] = {}
        pos = 16
        while pos + 16 <= len(body):
            index, _refs, _reserved, length = struct.unpack("<HHIQ", body[pos : pos + 16])
            if index == 0 or pos + 16 + length > len(body):
                break
            objects[index] = body[pos + 16 : pos + 16 + length]
            pos += 16 + _pad8(length)
        return objects


def _count(space: bytes) -> int | None:
    """Elements in a dataspace message (v1 or v2), or None when it does not parse."""
    if len(space) < 4 or space[0] not in (1, 2):
        return None
    rank = space[1]
    if rank > 8:
        return None
    start = 8 if space[0] == 1 else 4
    if space[0] == 2 and space[3] == 2:
        return 0
    if len(space) < start + 8 * rank:
        return None
    count = 1
    for i in range(rank):
        count *= struct.unpack("<Q", space[start + 8 * i : start + 8 * i + 8])[0]
    return min(count, MAX_ELEMENTS)


def _values(dtype: bytes, count: int, data: bytes, heaps: _Heaps) -> list[str] | None:
    if len(dtype) < 8:
        return None
    kind = dtype[0] & 0x0F
    size = struct.unpack("<I", dtype[4:8])[0]
    if kind == 3 and 0 < size <= 1 << 20:
        raw = [data[i * size : (i + 1) * size] for i in range(count)]
        return [r.split(b"\x00", 1)[0].decode("utf-8", "replace") for r in raw]
    if kind == 9 and dtype[1] & 0x0F == 1 and size == 16:
        out = []
        for i in range(count):
            item = data[i * 16 : i * 16 + 16]
            if len(item) < 16:
                break
            length, address, index = struct.unpack("<IQI", item)
            value = heaps.get(address, index)
            if value is not None:
                out.append(value[:length].decode("utf-8", "replace"))
        return out
    return None


def _parse(
    data: bytes, pos: int, sizes: tuple[int, int, int], v1: bool, heaps: _Heaps
) -> tuple[str, str] | None:
    name_size, dt_size, ds_size = sizes
    name_at = pos + (8 if v1 else 9)
    name = _NAME.match(data, name_at, name_at + name_size)
    if name is None or name.end() != name_at + name_size:
        return None
    dt_at = name_at + (_pad8(name_size) if v1 else name_size)
    ds_at = dt_at + (_pad8(dt_size) if v1 else dt_size)
    data_at = ds_at + (_pad8(ds_size) if v1 else ds_size)
    if data_at > len(data):
        return None
    count = _count(data[ds_at : ds_at + ds_size])
    if not count:
        return None
    element = struct.unpack("<I", data[dt_at + 4 : dt_at + 8])[0] if dt_at + 8 <= len(data) else 0
    if element <= 0 or element > 1 << 20:
        return None
    values = _values(
        data[dt_at : dt_at + dt_size], count, data[data_at : data_at + count * element], heaps
    )
    if not values:
        return None
    return name.group(0)[:-1].decode("ascii"), "\n".join(values)


def find_attributes(fh: BinaryIO, size: int, regions: list[tuple[int, bytes]]) -> Iterator[Field]:
    """String attributes found in ``regions`` ((file offset, bytes) windows of the file)."""
    heaps = _Heaps(fh, size)
    found = 0
    for _base, data in regions:
        for pattern, v1 in ((_V1, True), (_V3, False)):
            for m in pattern.finditer(data):
                sizes = (m.group(1)[0], m.group(2)[0], m.group(3)[0])
                parsed = _parse(data, m.start(), sizes, v1, heaps)
                if parsed is None:
                    continue
                found += 1
                name, value = parsed
                yield Field(name, value, name)
                if found >= MAX_ATTRIBUTES:
                    return
