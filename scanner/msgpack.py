"""A minimal MessagePack codec: what Fluentd's ``exec_filter`` msgpack framing needs.

Types: nil, bool, int (all widths), float32/64, str, bin, array, map, ext (Fluentd's EventTime is
ext type 0 with 8 bytes). Maps decode to ``Pairs`` (a list of key/value tuples), which keeps the
order and duplicate keys; strings decode as UTF-8 with ``surrogateescape`` so that any bytes
survive a decode/encode round trip.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any


class NeedMoreData(Exception):
    """The buffer ends inside an object."""


class MsgpackError(ValueError):
    """Bytes that are not MessagePack (a reserved type byte, a bad nesting depth)."""


class Pairs(list[tuple[Any, Any]]):
    """A decoded map: ordered key/value pairs."""


@dataclass(frozen=True, slots=True)
class ExtType:
    code: int
    data: bytes


MAX_DEPTH = 128
_FIXED: dict[int, tuple[str, int]] = {
    0xCA: (">f", 4),
    0xCB: (">d", 8),
    0xCC: (">B", 1),
    0xCD: (">H", 2),
    0xCE: (">I", 4),
    0xCF: (">Q", 8),
    0xD0: (">b", 1),
    0xD1: (">h", 2),
    0xD2: (">i", 4),
    0xD3: (">q", 8),
}
_LEN = {1: ">B", 2: ">H", 4: ">I"}


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise NeedMoreData
        out = self.data[self.pos : end]
        self.pos = end
        return out

    def unpack(self, fmt: str, n: int) -> Any:
        return struct.unpack(fmt, self.take(n))[0]


def decode(data: bytes, pos: int = 0) -> tuple[Any, int]:
    """One object from ``data[pos:]``: (object, end position). Raises ``NeedMoreData``."""
    reader = _Reader(data, pos)
    obj = _read(reader, 0)
    return obj, reader.pos


def _read(r: _Reader, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise MsgpackError("nesting too deep")
    b = r.take(1)[0]
    if b <= 0x7F:
        return b
    if b >= 0xE0:
        return b - 0x100
    if 0xA0 <= b <= 0xBF:
        return _str(r.take(b & 0x1F))
    if 0x90 <= b <= 0x9F:
        return [_read(r, depth + 1) for _ in range(b & 0x0F)]
    if 0x80 <= b <= 0x8F:
        return _map(r, b & 0x0F, depth)
    if b in _FIXED:
        fmt, n = _FIXED[b]
        return r.unpack(fmt, n)
    return _read_tagged(r, b, depth)


def _read_tagged(r: _Reader, b: int, depth: int) -> Any:
    if b == 0xC0:
        return None
    if b in (0xC2, 0xC3):
        return b == 0xC3
    if b in (0xD9, 0xDA, 0xDB):
        n = 1 << (b - 0xD9)
        return _str(r.take(r.unpack(_LEN[n], n)))
    if b in (0xC4, 0xC5, 0xC6):
        n = 1 << (b - 0xC4)
        return r.take(r.unpack(_LEN[n], n))
    if b in (0xDC, 0xDD):
        n = 2 if b == 0xDC else 4
        return [_read(r, depth + 1) for _ in range(r.unpack(_LEN[n], n))]
    if b in (0xDE, 0xDF):
        n = 2 if b == 0xDE else 4
        return _map(r, r.unpack(_LEN[n], n), depth)
    if 0xD4 <= b <= 0xD8:
        size = 1 << (b - 0xD4)
        code = r.unpack(">b", 1)
        return ExtType(code, r.take(size))
    if b in (0xC7, 0xC8, 0xC9):
        n = 1 << (b - 0xC7)
        size = r.unpack(_LEN[n], n)
        code = r.unpack(">b", 1)
        return ExtType(code, r.take(size))
    raise MsgpackError(f"reserved type byte 0x{b:02x}")


def _str(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _map(r: _Reader, count: int, depth: int) -> Pairs:
    out = Pairs()
    for _ in range(count):
        key = _read(r, depth + 1)
        out.append((key, _read(r, depth + 1)))
    return out


def encode(obj: Any) -> bytes:
    out = bytearray()
    _write(out, obj)
    return bytes(out)


def _write(out: bytearray, obj: Any) -> None:
    if obj is None:
        out.append(0xC0)
    elif obj is True or obj is False:
        out.append(0xC3 if obj else 0xC2)
    elif isinstance(obj, int):
        _write_int(out, obj)
    elif isinstance(obj, float):
        out += b"\xcb" + struct.pack(">d", obj)
    elif isinstance(obj, str):
        raw = obj.encode("utf-8", "surrogateescape")
        _header(out, len(raw), 0xA0, 31, (0xD9, 0xDA, 0xDB))
        out += raw
    elif isinstance(obj, bytes | bytearray):
        _header(out, len(obj), None, 0, (0xC4, 0xC5, 0xC6))
        out += obj
    elif isinstance(obj, Pairs | dict):
        items = list(obj.items()) if isinstance(obj, dict) else obj
        _header(out, len(items), 0x80, 15, (None, 0xDE, 0xDF))
        for key, value in items:
            _write(out, key)
            _write(out, value)
    elif isinstance(obj, list | tuple):
        _header(out, len(obj), 0x90, 15, (None, 0xDC, 0xDD))
        for item in obj:
            _write(out, item)
    elif isinstance(obj, ExtType):
        _write_ext(out, obj)
    else:
        raise TypeError(f"cannot encode {type(obj).__name__} as MessagePack")


def _header(
    out: bytearray, n: int, fix: int | None, fix_max: int, tags: tuple[int | None, int, int]
) -> None:
    if fix is not None and n <= fix_max:
        out.append(fix | n)
    elif tags[0] is not None and n <= 0xFF:
        out += bytes((tags[0], n))
    elif n <= 0xFFFF:
        out += bytes((tags[1],)) + struct.pack(">H", n)
    else:
        out += bytes((tags[2],)) + struct.pack(">I", n)


def _write_int(out: bytearray, n: int) -> None:
    if 0 <= n <= 0x7F or -32 <= n < 0:
        out += struct.pack(">b" if n < 0 else ">B", n)
    elif n > 0:
        for tag, fmt, limit in ((0xCC, ">B", 0xFF), (0xCD, ">H", 0xFFFF), (0xCE, ">I", 2**32 - 1)):
            if n <= limit:
                out += bytes((tag,)) + struct.pack(fmt, n)
                return
        out += b"\xcf" + struct.pack(">Q", n)
    else:
        for tag, fmt, limit in ((0xD0, ">b", -0x80), (0xD1, ">h", -0x8000), (0xD2, ">i", -(2**31))):
            if n >= limit:
                out += bytes((tag,)) + struct.pack(fmt, n)
                return
        out += b"\xd3" + struct.pack(">q", n)


def _write_ext(out: bytearray, ext: ExtType) -> None:
    size = len(ext.data)
    fixed = {1: 0xD4, 2: 0xD5, 4: 0xD6, 8: 0xD7, 16: 0xD8}
    if size in fixed:
        out.append(fixed[size])
    elif size <= 0xFF:
        out += bytes((0xC7, size))
    elif size <= 0xFFFF:
        out += b"\xc8" + struct.pack(">H", size)
    else:
        out += b"\xc9" + struct.pack(">I", size)
    out += struct.pack(">b", ext.code) + ext.data


def event_time(seconds: int, nanoseconds: int = 0) -> ExtType:
    """Fluentd's EventTime: ext type 0, big-endian uint32 seconds and nanoseconds."""
    return ExtType(0, struct.pack(">II", seconds, nanoseconds))
