"""The pickle opcode walker: constants, imported globals and joblib arrays, never unpickled.

:func:`walk_pickles` runs :func:`pickletools.genops` (which only decodes opcodes and their
arguments) while a tiny abstract stack follows what is pushed, popped and memoized, so that
``STACK_GLOBAL`` operands, dict key/value pairs, legacy torch storage ids and joblib's
``NumpyArrayWrapper`` state (shape, dtype) are known without building any object. Every
imported global outside ``pickleglobals.SAFE_GLOBALS`` is recorded as :class:`Unsafe`.

The stack machine itself (opcode effects, the value types it tracks, its size caps) is in
:mod:`scanner.extractors.picklemachine`; this module drives it over a stream: several pickles
in a row (legacy ``torch.save``), joblib's raw array bytes between opcodes, and the bounds on
bytes read and opcodes. A cap or a truncated stream ends the walk with a problem message and
keeps what was found.
"""

from __future__ import annotations

import io
import pickletools
import re
import struct
from typing import Any, BinaryIO

from scanner.extractors.fields import BoundedReader, utf32_text
from scanner.extractors.picklemachine import (
    Dtype,
    Machine,
    PickleLimit,
    PickleScan,
    add_constant,
)

__all__ = ["PickleScan", "itemsize", "looks_like_pickle", "walk_pickles"]

MAX_OPS = 1_000_000
MAX_PICKLES = 8
MAX_ARRAY_TEXT = 16 * 1024 * 1024

_PICKLE_MAGIC = re.compile(rb"\x80[\x02-\x05]")


def looks_like_pickle(head: bytes) -> bool:
    """A protocol 2+ pickle header followed by a few well-formed opcodes."""
    if not _PICKLE_MAGIC.match(head):
        return False
    count = 0
    try:
        for _op, _arg, _pos in pickletools.genops(io.BytesIO(head[:512])):
            count += 1
            if count >= 4:
                return True
    except (ValueError, EOFError, struct.error, OverflowError, IndexError, KeyError):
        return count >= 3 or (len(head) < 512 and count >= 2)
    return count >= 2


_DTYPE = re.compile(r"[<>|=]?([a-zA-Z?])(\d*)")
_FIXED = {"?": 1, "b": 1, "B": 1, "h": 2, "H": 2, "e": 2, "f": 4, "d": 8, "g": 16, "l": 8, "q": 8}


def itemsize(descr: str) -> int | None:
    m = _DTYPE.fullmatch(descr)
    if not m:
        return None
    kind, digits = m.group(1), m.group(2)
    if kind == "O":
        return 0
    if digits:
        size = int(digits)
        return size * 4 if kind == "U" else size
    return _FIXED.get(kind)


def _joblib_array_bytes(state: dict[str, Any]) -> tuple[int, bool, str] | None:
    """(bytes of raw array data, has alignment padding, dtype); 0 bytes: a nested pickle."""
    shape, dtype = state.get("shape"), state.get("dtype")
    if not isinstance(shape, tuple) or not all(isinstance(n, int) for n in shape):
        return None
    if not isinstance(dtype, Dtype):
        return None
    size = itemsize(dtype.descr)
    if size is None:
        return None
    count = 1
    for n in shape:
        count *= n
    return count * size, "numpy_array_alignment_bytes" in state, dtype.descr


def walk_pickles(stream: BinaryIO, limit: int, scan: PickleScan | None = None) -> PickleScan:
    """Walk the pickle(s) at the stream's position; never raises on bad input."""
    scan = scan or PickleScan()
    reader = BoundedReader(stream, limit)
    if isinstance(stream, io.BytesIO):
        with stream.getbuffer() as view:
            small = view.nbytes - stream.tell() <= limit
        if small:  # in memory and within the limit: let genops call BytesIO directly
            reader.read = stream.read  # type: ignore[method-assign,assignment]
            reader.readline = stream.readline  # type: ignore[method-assign,assignment]
            reader.tell = stream.tell  # type: ignore[method-assign]
    try:
        for number in range(MAX_PICKLES):
            if number and not _next_is_pickle(reader):
                break
            try:
                _walk_one(reader, scan)
            except (ValueError, EOFError, struct.error, OverflowError, IndexError) as exc:
                if number == 0 or not reader.stream.read(1):
                    scan.problems.append(_describe(exc, reader))
                break
            scan.pickles += 1
            scan.end = reader.tell()
    except PickleLimit as exc:
        scan.problems.append(f"{exc}; the rest of the pickle is not scanned")
    except (OSError, MemoryError) as exc:
        scan.problems.append(f"unreadable pickle ({type(exc).__name__})")
    return scan


def _describe(exc: Exception, reader: BoundedReader) -> str:
    if reader.left <= 0:
        return "pickle larger than the size limit; the rest is not scanned"
    return f"truncated or invalid pickle ({type(exc).__name__} at byte {reader.tell()})"


def _next_is_pickle(reader: BoundedReader) -> bool:
    pos = reader.tell()
    head = reader.stream.read(2)
    reader.seek(pos)
    return bool(_PICKLE_MAGIC.match(head))


def _walk_one(reader: BoundedReader, scan: PickleScan) -> None:
    machine = Machine(scan)
    while True:
        wrapper_state = None
        for op, arg, pos in pickletools.genops(reader):  # type: ignore[arg-type]
            scan.ops += 1
            if scan.ops > MAX_OPS:
                raise PickleLimit("more pickle opcodes than the limit")
            if op.name == "STOP":
                return
            wrapper_state = machine.step(op, arg, pos if pos is not None else 0)
            if wrapper_state is not None:
                break
        else:
            raise EOFError("pickle ended without STOP")
        _skip_joblib_array(reader, scan, wrapper_state)


def _skip_joblib_array(reader: BoundedReader, scan: PickleScan, state: dict[str, Any]) -> None:
    size = _joblib_array_bytes(state)
    if size is None:
        raise ValueError("joblib array of unknown size")
    nbytes, padded, descr = size
    if nbytes == 0:
        _walk_one(reader, scan)  # object array: a nested pickle
        return
    if padded:
        pad = reader.read(1)
        if len(pad) != 1:
            raise EOFError("truncated joblib padding")
        reader.seek(pad[0], io.SEEK_CUR)
    kind = descr.lstrip("<>|=")[:1]
    if kind in ("U", "S") and nbytes <= MAX_ARRAY_TEXT:  # text arrays are read and scanned
        data = reader.read(nbytes)
        if kind == "U":
            add_constant(scan, utf32_text(data, "utf-32-be" if descr[0] == ">" else "utf-32-le"))
        else:
            add_constant(
                scan, "\n".join(p.decode("utf-8", "replace") for p in data.split(b"\x00") if p)
            )
        return
    reader.seek(nbytes, io.SEEK_CUR)
