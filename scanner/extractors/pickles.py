"""Pickles, never unpickled: ``.pkl``/``.pickle``/``.joblib``/``.pt``/``.pth``/``.ckpt``/``.bin``.

The opcode stream is walked by :mod:`scanner.extractors.picklewalk` (``pickletools.genops`` and
a tiny abstract stack; nothing is built or imported). That gives three things:

* every string and bytes constant, scanned as text (origin detail ``constant`` = its index, and
  ``key`` = the dict key it was stored under, rendered as ``key: value`` for context rules);
* every imported global (``GLOBAL``, ``STACK_GLOBAL``, ``INST``): one outside a small allowlist of
  tensor, array and container rebuild helpers (and not a Sphinx doctree's own classes, nor
  a class of the package the file lives in: ``pickleglobals.reported_globals``) becomes a
  synthetic chunk
  ``keyguard-unsafe-pickle-global: module.name`` (keyguard:allow) that the rule
  ``model.unsafe-pickle`` (rules/model.toml) reports, so the finding flows through the
  normal rule pipeline (it can be disabled, baselined and suppressed like any other rule);
* the shape and dtype of joblib's ``NumpyArrayWrapper`` so the raw array bytes joblib writes
  inside the stream are skipped (seeked past, never read) and the walk resumes after them.

Work is bounded: bytes read, opcodes, stack size, memo size and the text collected are capped;
a pickle that breaks a cap or is truncated gives a warning and whatever was found before it.
Legacy ``torch.save`` files (several pickles in a row, then raw storages) are walked pickle by
pickle. Also here: zlib/LZMA-compressed joblib files and NumPy ``.npy`` (object arrays hold a
pickle; string arrays are decoded).
"""

from __future__ import annotations

import ast
import struct
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

from scanner.blob import Blob
from scanner.compression import STREAM_MAGICS, is_zlib, open_reader, sniff
from scanner.extractors.archives import (
    EMPTY_ZIP,
    ZIP_MAGIC,
    inflate,
    is_tar,
    read_bounded,
)
from scanner.extractors.base import Budget, Item
from scanner.extractors.fields import (
    rules_path,
    strings_chunks,
    utf32_text,
)
from scanner.extractors.pickleglobals import reported_globals
from scanner.extractors.picklewalk import PickleScan, itemsize, looks_like_pickle, walk_pickles
from scanner.models import Chunk, Origin, SourceProblem

UNSAFE_MARKER = "keyguard-unsafe-pickle-global"
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pt", ".pth", ".ckpt")
PICKLE_NAMES = frozenset({"data.pkl", "pickle", "storages", "tensors", "sys_info"})


def pickle_chunks(scan: PickleScan, origin: Origin) -> Iterator[Chunk]:
    """Constants as ``key: value`` chunks (line = constant index) and unsafe-global markers."""
    path = rules_path(origin)
    names = [u.name for u in scan.unsafe]
    reported = set(reported_globals(names, (origin.path, *origin.members)))
    for unsafe in scan.unsafe:
        if unsafe.name not in reported:
            continue
        yield Chunk(
            text=f"{UNSAFE_MARKER}: {unsafe.name}",
            origin=origin.with_detail(
                unsafe_global=unsafe.name, opcode=unsafe.opcode, offset=str(unsafe.offset)
            ),
            path_for_rules=path,
            depth=99,
        )
    for const in scan.constants:
        if const.is_key or not const.text.strip():
            continue
        if const.key is not None:
            text = f"{const.key}: {const.text}"
            where = origin.with_detail(constant=str(const.index), key=const.key[:200])
        elif len(const.text) < 8:
            continue
        else:
            text = const.text
            where = origin.with_detail(constant=str(const.index))
        yield Chunk(
            text=text,
            origin=where,
            first_line=const.index,
            line_map=(const.index,) * (text.count("\n") + 1),
            path_for_rules=path,
        )


def scan_pickle_stream(
    stream: BinaryIO, origin: Origin, limit: int, size: int | None = None
) -> Iterator[Item]:
    yield from _report(walk_pickles(stream, limit), origin, size)


def _report(scan: PickleScan, origin: Origin, size: int | None) -> Iterator[Item]:
    for problem in scan.problems:
        yield SourceProblem(origin.display, problem)
    if size is not None and scan.pickles > 1 and scan.storages:
        expected = scan.end + sum(8 + n for n in scan.storages.values())
        if expected > size:
            yield SourceProblem(origin.display, "truncated torch checkpoint (storages cut short)")
    yield from pickle_chunks(scan, origin)


def _is_container(head: bytes) -> bool:
    return head.startswith((ZIP_MAGIC, EMPTY_ZIP, *STREAM_MAGICS)) or is_tar(head)


class PickleExtractor:
    name = "pickle"

    def accepts(self, blob: Blob, head: bytes) -> bool:
        if _is_container(head) or is_zlib(head) or head.startswith(b"\x93NUMPY"):
            return False
        lname = blob.lower_name
        if lname.endswith(PICKLE_SUFFIXES) or lname in PICKLE_NAMES:
            return bool(head)
        return looks_like_pickle(head)

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]:
        limit = budget.limits.max_member_size
        if blob.data is None and blob.size <= limit:
            blob = Blob.from_bytes(blob.read_all(limit), blob.origin, blob.name, blob.depth)
        with blob.open() as stream:
            scan = walk_pickles(stream, limit)
        yield from _report(scan, blob.origin, blob.size)
        if not scan.pickles and not scan.constants and not scan.unsafe:
            # not a pickle at all (a text file named .pkl, a mislabelled blob): strings pass
            yield from strings_chunks(blob, budget, format="not-a-pickle")


_COMPRESSED_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle", ".z", ".zlib", ".lzma", ".pt")


def _compression(head: bytes) -> str | None:
    return "zlib" if is_zlib(head) else sniff(head, zstd=False, lzma_alone=True)


class CompressedPickleExtractor:
    """Compressed joblib/pickle files (``joblib.dump(compress=...)``: zlib, gzip, bz2, xz,
    LZMA-alone), decompressed within the limits and walked as the same file."""

    name = "compressed-pickle"

    def accepts(self, blob: Blob, head: bytes) -> bool:
        if not blob.lower_name.endswith(_COMPRESSED_PICKLE_SUFFIXES) or is_tar(head):
            return False
        return _compression(head) is not None

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]:
        limits = budget.limits
        where = blob.origin.display
        kind = _compression(blob.head(8)) or "zlib"

        def decompress(fh: BinaryIO) -> bytes | None:
            return _decompress(fh, kind, limits.max_member_size, limits.max_ratio, blob.size)

        data = inflate(blob, budget, decompress, f"{kind} stream")
        if isinstance(data, str):
            yield SourceProblem(where, data)
            return
        origin = blob.origin.with_detail(compression=kind)
        yield Blob.from_bytes(data, origin, blob.name, blob.depth + 1)


def _decompress(fh: BinaryIO, kind: str, limit: int, ratio: int, size: int) -> bytes | None:
    if kind != "zlib":
        stream = open_reader(kind, fh)
        assert stream is not None  # only standard-library codecs reach here
        with stream:
            return read_bounded(stream, limit, size, ratio)
    out = bytearray()
    pending = b""
    decomp = zlib.decompressobj()
    while True:
        piece = pending or fh.read(1 << 20)
        pending = b""
        if not piece:
            if not decomp.eof:
                raise EOFError("zlib stream ends early")
            return bytes(out)
        out += decomp.decompress(piece, limit + 1 - len(out))
        if len(out) > limit or (len(out) > 1 << 20 and len(out) > size * ratio):
            return None
        if decomp.unconsumed_tail:
            pending = decomp.unconsumed_tail
        elif decomp.eof:
            rest = decomp.unused_data or fh.read(1 << 20)
            if not rest.strip(b"\x00"):
                return bytes(out)
            decomp = zlib.decompressobj()
            pending = rest


class NpyExtractor:
    """NumPy ``.npy``: object arrays are a pickle after the header; string arrays are decoded."""

    name = "npy"

    def accepts(self, blob: Blob, head: bytes) -> bool:
        return head.startswith(b"\x93NUMPY") or blob.lower_name.endswith(".npy")

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]:
        where = blob.origin.display
        if not blob.head(6).startswith(b"\x93NUMPY"):
            yield SourceProblem(where, "not a .npy file (wrong magic); printable strings scanned")
            yield from strings_chunks(blob, budget)
            return
        with blob.open() as fh:
            header = npy_header(fh, blob.size)
            if header is None:
                yield SourceProblem(where, "truncated or invalid .npy header")
                return
            descr = header.get("descr")
            limit = budget.limits.max_member_size
            if has_object(descr):
                yield from scan_pickle_stream(fh, blob.origin, limit)
            elif isinstance(descr, str):
                expected = _npy_data_bytes(header)
                if expected is not None and fh.tell() + expected > blob.size:
                    yield SourceProblem(where, "truncated .npy file (array data past the end)")
                yield from _string_array(fh, descr, blob.origin, limit)


def _npy_data_bytes(header: dict[str, Any]) -> int | None:
    descr, shape = header.get("descr"), header.get("shape")
    if not isinstance(descr, str) or not isinstance(shape, tuple):
        return None
    size = itemsize(descr)
    if not size or not all(isinstance(n, int) for n in shape):
        return None
    count = 1
    for n in shape:
        count *= n
    return count * size


def npy_header(fh: BinaryIO, size: int) -> dict[str, Any] | None:
    prefix = fh.read(10)
    if len(prefix) < 10 or not prefix.startswith(b"\x93NUMPY"):
        return None
    major = prefix[6]
    if major == 1:
        length = struct.unpack("<H", prefix[8:10])[0]
    else:
        more = fh.read(2)
        if len(more) < 2:
            return None
        length = struct.unpack("<I", prefix[8:10] + more)[0]
    if length > min(size, 1 << 20):
        return None
    raw = fh.read(length)
    if len(raw) < length:
        return None
    try:
        value = ast.literal_eval(raw.decode("utf-8" if major >= 3 else "latin-1").strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def has_object(descr: Any, depth: int = 0) -> bool:
    if depth > 16:
        return False
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, list | tuple):
        return any(has_object(part, depth + 1) for part in descr)
    return False


def _string_array(fh: BinaryIO, descr: str, origin: Origin, limit: int) -> Iterator[Item]:
    kind = descr.lstrip("<>|=")[:1]
    if kind not in ("U", "S"):
        return
    data = fh.read(limit)
    if kind == "U":
        text = utf32_text(data, "utf-32-be" if descr.startswith(">") else "utf-32-le")
    else:
        text = "\n".join(v for v in data.decode("utf-8", errors="replace").split("\x00") if v)
    if text:
        yield Chunk(
            text=text,
            origin=origin.with_detail(part="array"),
            path_for_rules=rules_path(origin),
        )
