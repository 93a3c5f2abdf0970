"""The abstract stack machine behind :mod:`scanner.extractors.picklewalk`.

It follows what each opcode pushes, pops and memoizes (``pickletools`` describes every opcode's
stack effect), so ``STACK_GLOBAL`` operands, dict key/value pairs, legacy torch storage ids and
joblib's ``NumpyArrayWrapper`` state (shape, dtype) are known without building any object.
Every imported global outside ``pickleglobals.SAFE_GLOBALS`` is recorded as :class:`Unsafe`,
each name once. Sizes are capped: stack, marks, memo, constants and collected text.
"""

from __future__ import annotations

import pickletools
from dataclasses import dataclass, field
from typing import Any

from scanner.extractors.fields import bytes_to_text, clean_text
from scanner.extractors.pickleglobals import is_dangerous_global, is_safe_global

MAX_STACK = 1_000_000
MAX_MEMO = 1_000_000
MAX_TEXT = 32 * 1024 * 1024
MAX_CONSTANTS = 500_000
MAX_UNSAFE = 64
MAX_SMALL = 64

_STRING_OPS = frozenset(
    {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE"}
    | {"BINUNICODE8"}
)
_BYTES_OPS = frozenset({"BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8"})
_INT_OPS = frozenset({"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4"})
_PUT_OPS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_GET_OPS = frozenset({"GET", "BINGET", "LONG_BINGET"})


class PickleLimit(Exception):
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
    seen_globals: set[str] = field(default_factory=set)
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


class Machine:
    """Abstract stack for one pickle (fresh for every pickle in a stream)."""

    def __init__(self, scan: PickleScan) -> None:
        self.scan = scan
        self.stack: list[Any] = []
        self.marks: list[int] = []
        self.memo: dict[int, Any] = {}

    def push(self, value: Any) -> None:
        if len(self.stack) >= MAX_STACK:
            raise PickleLimit("pickle stack deeper than the limit")
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
            raise PickleLimit("pickle memo larger than the limit")
        self.memo[index] = self.top()

    def import_global(self, name: str, opcode: str, offset: int) -> Global:
        seen, unsafe = self.scan.seen_globals, self.scan.unsafe
        if name in seen:  # as large as the names in the stream, which is bounded in bytes
            return Global(name)
        seen.add(name)
        if is_safe_global(name):
            return Global(name)
        # a known code-running callable is kept even past the cap, so a stream that first
        # names many harmless classes cannot push ``os.system`` out of the report
        if len(unsafe) < MAX_UNSAFE or (is_dangerous_global(name) and len(unsafe) < 2 * MAX_UNSAFE):
            unsafe.append(Unsafe(name, opcode, offset))
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
                    raise PickleLimit("pickle marks deeper than the limit")
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
