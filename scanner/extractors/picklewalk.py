"""The pickle opcode walker: constants, imported globals and joblib arrays, never unpickled.

:func:`walk_pickles` runs :func:`pickletools.genops` (which only decodes opcodes and their
arguments) while a tiny abstract stack follows what is pushed, popped and memoized, so that
``STACK_GLOBAL`` operands, dict key/value pairs, legacy torch storage ids and joblib's
``NumpyArrayWrapper`` state (shape, dtype) are known without building any object. Every
imported global outside ``pickleglobals.SAFE_GLOBALS`` is recorded as :class:`Unsafe`.

Work is bounded: bytes read, opcodes, stack, marks, memo and collected text are capped; a cap
or a truncated stream ends the walk with a problem message and keeps what was found.
"""

from __future__ import annotations

import io
import pickletools
import re
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from scanner.extractors.fields import BoundedReader, bytes_to_text, clean_text, utf32_text
from scanner.extractors.pickleglobals import is_safe_global

MAX_OPS = 1_000_000
MAX_STACK = 1_000_000
MAX_MEMO = 1_000_000
MAX_TEXT = 32 * 1024 * 1024
MAX_CONSTANTS = 500_000
MAX_UNSAFE = 64
MAX_PICKLES = 8
MAX_SMALL = 64
MAX_ARRAY_TEXT = 16 * 1024 * 1024

_STRING_OPS = frozenset(
    {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE"}
    | {"BINUNICODE8"}
)
_BYTES_OPS = frozenset({"BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8"})
_INT_OPS = frozenset({"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4"})
_PUT_OPS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_GET_OPS = frozenset({"GET", "BINGET", "LONG_BINGET"})

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


class _Limit(Exception):
    """A work bound was reached."""


class Const:
    """A string or bytes constant of the pickle, with the dict key it was stored under."""

    __slots__ = ("index", "is_key", "key", "text")

    def __init__(self, index: int, text: str) -> None:
        self.index = index
        self.text = text
        self.key: str | None = None
        self.is_key = False


@dataclass(frozen=True, slots=True)
class Global:
    name: str


@dataclass(frozen=True, slots=True)
class Dtype:
    descr: str


class Wrapper:
    """A joblib ``NumpyArrayWrapper`` instance: raw array bytes follow its BUILD."""


@dataclass(frozen=True, slots=True)
class Unsafe:
    name: str
    opcode: str
    offset: int


@dataclass(slots=True)
class PickleScan:
    """What a walk over one stream found."""

    constants: list[Const] = field(default_factory=list)
    unsafe: list[Unsafe] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    text_chars: int = 0
    ops: int = 0
    pickles: int = 0
    storages: dict[str, int] = field(default_factory=dict)
    end: int = 0


def add_constant(scan: PickleScan, text: str) -> Const:
    """Record a constant (within the text and count limits) and return it."""
    const = Const(len(scan.constants) + 1, text)
    if scan.text_chars + len(text) <= MAX_TEXT and len(scan.constants) < MAX_CONSTANTS:
        scan.constants.append(const)
        scan.text_chars += len(text)
    elif scan.text_chars < MAX_TEXT + 1:
        scan.text_chars = MAX_TEXT + 1
        scan.problems.append("more pickle text than the limit; the rest is not scanned")
    return const


class _Machine:
    """Abstract stack for one pickle (fresh for every pickle in a stream)."""

    def __init__(self, scan: PickleScan) -> None:
        self.scan = scan
        self.stack: list[Any] = []
        self.marks: list[int] = []
        self.memo: dict[int, Any] = {}

    def push(self, value: Any) -> None:
        if len(self.stack) >= MAX_STACK:
            raise _Limit("pickle stack deeper than the limit")
        self.stack.append(value)

    def pop(self) -> Any:
        return self.stack.pop() if self.stack else None

    def pop_mark(self) -> list[Any]:
        start = self.marks.pop() if self.marks else 0
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def top(self) -> Any:
        return self.stack[-1] if self.stack else None

    def constant(self, text: str) -> Const:
        return add_constant(self.scan, text)

    def memoize(self, index: int) -> None:
        if len(self.memo) >= MAX_MEMO and index not in self.memo:
            raise _Limit("pickle memo larger than the limit")
        self.memo[index] = self.top()

    def import_global(self, name: str, opcode: str, offset: int) -> Global:
        if not is_safe_global(name) and len(self.scan.unsafe) < MAX_UNSAFE:
            self.scan.unsafe.append(Unsafe(name, opcode, offset))
        return Global(name)

    def step(self, op: pickletools.OpcodeInfo, arg: Any, pos: int) -> Any:
        """Apply one opcode; returns a joblib wrapper state when raw array data follows."""
        name = op.name
        kind = _KINDS.get(name)
        if kind is None:
            self._generic(name)
        elif kind == "str":
            self.push(self.constant(clean_text(str(arg))))
        elif kind == "bytes":
            self.push(self.constant(bytes_to_text(bytes(arg))))
        elif kind == "int":
            self.push(int(arg) if isinstance(arg, int) else None)
        elif kind == "put":
            self.memoize(int(arg))
        elif kind == "memoize":
            self.memoize(len(self.memo))
        elif kind == "get":
            self.push(self.memo.get(int(arg)))
        elif kind == "global":
            self._global(name, str(arg), pos)
        else:
            return self._structure(name)
        return None

    def _global(self, name: str, arg: str, pos: int) -> None:
        if name == "STACK_GLOBAL":
            qual, module = self.pop(), self.pop()
            if isinstance(qual, Const) and isinstance(module, Const):
                self.push(self.import_global(f"{module.text}.{qual.text}", name, pos))
            else:
                self.push(self.import_global("dynamic-import", name, pos))
            return
        module, _, qual = arg.partition(" ")
        target = self.import_global(f"{module}.{qual}", name, pos)
        if name == "INST":
            self.pop_mark()
            self.push(None)
        else:
            self.push(target)

    def _structure(self, name: str) -> Any:
        if name in ("REDUCE", "NEWOBJ", "NEWOBJ_EX"):
            if name == "NEWOBJ_EX":
                self.pop()
            args, target = self.pop(), self.pop()
            self.push(_apply(target, args))
        elif name == "BUILD":
            state = self.pop()
            if isinstance(self.top(), Wrapper):
                return state if isinstance(state, dict) else {}
        elif name == "BINPERSID":
            _record_storage(self.scan, self.pop())
            self.push(None)
        elif name in ("TUPLE", "TUPLE1", "TUPLE2", "TUPLE3"):
            if name == "TUPLE":
                items = self.pop_mark()
            else:
                items = [self.pop() for _ in range(int(name[-1]))][::-1]
            self.push(tuple(items) if len(items) <= MAX_SMALL else None)
        elif name == "EMPTY_TUPLE":
            self.push(())
        elif name == "EMPTY_DICT":
            self.push({})
        elif name == "DICT":
            items = self.pop_mark()
            new: dict[str, Any] = {}
            _pair_up(new, items)
            self.push(new)
        elif name == "SETITEM":
            value, key = self.pop(), self.pop()
            _pair_up(self.top(), [key, value])
        elif name == "SETITEMS":
            items = self.pop_mark()
            _pair_up(self.top(), items)
        return None

    def _generic(self, name: str) -> None:
        has_mark, pops, after = _EFFECTS[name]
        stack = self.stack
        if has_mark:
            self.pop_mark()
        if pops:
            del stack[max(len(stack) - pops, 0) :]
        for is_mark in after:
            if is_mark:
                if len(self.marks) >= MAX_STACK:
                    raise _Limit("pickle marks deeper than the limit")
                self.marks.append(len(stack))
            else:
                self.push(None)


def _effect(op: pickletools.OpcodeInfo) -> tuple[bool, int, tuple[bool, ...]]:
    before = op.stack_before
    has_mark = pickletools.markobject in before
    pops = before.index(pickletools.markobject) if has_mark else len(before)
    return has_mark, pops, tuple(p is pickletools.markobject for p in op.stack_after)


_EFFECTS = {op.name: _effect(op) for op in pickletools.opcodes}
_KINDS: dict[str, str] = {
    **dict.fromkeys(_STRING_OPS, "str"),
    **dict.fromkeys(_BYTES_OPS, "bytes"),
    **dict.fromkeys(_INT_OPS, "int"),
    **dict.fromkeys(_PUT_OPS, "put"),
    **dict.fromkeys(_GET_OPS, "get"),
    **dict.fromkeys(("GLOBAL", "INST", "STACK_GLOBAL"), "global"),
    "MEMOIZE": "memoize",
    **dict.fromkeys(
        ("REDUCE", "NEWOBJ", "NEWOBJ_EX", "BUILD", "BINPERSID", "TUPLE", "TUPLE1", "TUPLE2")
        + ("TUPLE3", "EMPTY_TUPLE", "EMPTY_DICT", "DICT", "SETITEM", "SETITEMS"),
        "structure",
    ),
}


_STORAGE_SIZES = {
    "Float": 4,
    "Double": 8,
    "Half": 2,
    "BFloat16": 2,
    "Long": 8,
    "Int": 4,
    "Short": 2,
    "Char": 1,
    "Byte": 1,
    "Bool": 1,
    "ComplexFloat": 8,
    "ComplexDouble": 16,
    "Untyped": 1,
    "QInt8": 1,
    "QUInt8": 1,
    "QInt32": 4,
}


def _record_storage(scan: PickleScan, pid: Any) -> None:
    """Legacy torch persistent ids ``('storage', torch.XStorage, key, location, numel)``."""
    if not (isinstance(pid, tuple) and len(pid) >= 5 and isinstance(pid[0], Const)):
        return
    kind, key, numel = pid[1], pid[2], pid[4]
    if pid[0].text != "storage" or not isinstance(kind, Global) or not isinstance(key, Const):
        return
    size = _STORAGE_SIZES.get(kind.name.rsplit(".", 1)[-1].removesuffix("Storage"))
    if size and isinstance(numel, int) and len(scan.storages) < MAX_CONSTANTS:
        scan.storages[key.text] = numel * size


def _apply(target: Any, args: Any) -> Any:
    if isinstance(target, Global):
        if target.name == "numpy.dtype" and isinstance(args, tuple) and args:
            first = args[0]
            if isinstance(first, Const):
                return Dtype(first.text)
        if target.name.endswith("NumpyArrayWrapper"):
            return Wrapper()
    return None


def _pair_up(target: Any, items: list[Any]) -> None:
    for i in range(0, len(items) - 1, 2):
        key, value = items[i], items[i + 1]
        if isinstance(key, Const):
            if isinstance(value, Const) and value.key is None:
                value.key = key.text
                key.is_key = True
            if isinstance(target, dict) and len(target) < MAX_SMALL:
                target[key.text] = value


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
    except _Limit as exc:
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
    machine = _Machine(scan)
    while True:
        wrapper_state = None
        for op, arg, pos in pickletools.genops(reader):  # type: ignore[arg-type]
            scan.ops += 1
            if scan.ops > MAX_OPS:
                raise _Limit("more pickle opcodes than the limit")
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
