"""Model files, read header-first: safetensors, GGUF, ONNX, HDF5, and zip-based checkpoints.

Nothing here imports an ML library, and weights are never read: safetensors costs its JSON
header, GGUF its metadata section, ONNX the protobuf fields that hold text (tensor payloads are
seeked past), HDF5 a bounded printable-strings pass over the head and tail of the file.
Zip-based checkpoints (PyTorch ``archive/data.pkl``, Keras ``.keras``, NumPy ``.npz``) open
their pickles, JSON and small members while tensor storages are skipped without being read.

Each text field becomes one chunk (see :mod:`scanner.extractors.fields`): the origin detail
``key`` names the field (``__metadata__.api_key``, ``tokenizer.chat_template``,
``graph.node[2].attribute[0].s``) and the line is the field's ordinal.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
from collections.abc import Iterator
from typing import BinaryIO

from scanner.blob import Blob
from scanner.extractors.archives import (
    EMPTY_ZIP,
    ZIP_MAGIC,
    ZipExtractor,
    iter_zip_members,
    read_bounded,
)
from scanner.extractors.base import Budget, Item
from scanner.extractors.fields import (
    BoundedReader,
    Field,
    Truncated,
    field_chunks,
    json_fields,
    read_exact,
    read_regions,
    strings_chunks,
)
from scanner.extractors.hdf5 import find_attributes
from scanner.extractors.pickles import has_object, npy_header
from scanner.models import SourceProblem

MAX_HEADER = 100 * 1024 * 1024
MAX_STRING = 16 * 1024 * 1024
MAX_FIELDS = 500_000


def _problem(blob: Blob, message: str) -> SourceProblem:
    return SourceProblem(blob.origin.display, message)


# --- safetensors -----------------------------------------------------------------------------


class SafetensorsExtractor:
    """8-byte little-endian header length, then a JSON header (with ``__metadata__``)."""

    name = "safetensors"

    def accepts(self, blob: Blob, head: bytes) -> bool:
        if blob.lower_name.endswith(".safetensors"):
            return True
        if len(head) < 10 or head[8:10] not in (b'{"', b"{ ", b"{}"):
            return False
        length: int = struct.unpack("<Q", head[:8])[0]
        return 0 < length <= blob.size - 8

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]:
        if blob.size < 8:
            yield _problem(blob, "truncated safetensors file (no header length)")
            return
        with blob.open() as fh:
            length = struct.unpack("<Q", fh.read(8))[0]
            if length > blob.size - 8:
                yield _problem(blob, "safetensors header length points past the end of the file")
                return
            if length > min(MAX_HEADER, budget.limits.max_member_size):
                yield _problem(blob, "safetensors header larger than the limit; skipped")
                return
            raw = fh.read(length)
        try:
            header = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            yield _problem(blob, f"invalid safetensors header ({type(exc).__name__})")
            return
        if not isinstance(header, dict):
            yield _problem(blob, "invalid safetensors header (not an object)")
            return
        end = _safetensors_data_end(header)
        if end is not None and 8 + length + end > blob.size:
            yield _problem(blob, "truncated safetensors file (tensor data past the end)")
        fields = list(json_fields(header))
        names = [name for name in header if name != "__metadata__"]
        if names:
            fields.append(Field("<tensor names>", "\n".join(names), "tensors", len(fields) + 1))
        yield from field_chunks(fields, blob.origin, format="safetensors")


def _safetensors_data_end(header: dict[str, object]) -> int | None:
    ends = [
        entry["data_offsets"][1]
        for entry in header.values()
        if isinstance(entry, dict)
        and isinstance(entry.get("data_offsets"), list)
        and len(entry["data_offsets"]) == 2
        and isinstance(entry["data_offsets"][1], int)
    ]
    return max(ends) if ends else None


# --- GGUF ------------------------------------------------------------------------------------

_GGUF_SCALARS = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_GGUF_STRING = 8
_GGUF_ARRAY = 9


class _Gguf:
    """A bounded reader for the GGUF metadata section."""

    def __init__(self, fh: BinaryIO, size: int, limit: int, version: int) -> None:
        self.fh = BoundedReader(fh, limit)
        self.size = size
        self.wide = version >= 2

    def remaining(self) -> int:
        return self.size - self.fh.tell()

    def u32(self) -> int:
        return int(struct.unpack("<I", read_exact(self.fh, 4))[0])  # type: ignore[arg-type]

    def count(self) -> int:
        if self.wide:
            return int(struct.unpack("<Q", read_exact(self.fh, 8))[0])  # type: ignore[arg-type]
        return self.u32()

    def string(self) -> str:
        n = self.count()
        if n > self.remaining():
            raise Truncated("string length points past the end of the file")
        if n > MAX_STRING:
            self.fh.seek(n, 1)
            return ""
        return read_exact(self.fh, n).decode("utf-8", errors="replace")  # type: ignore[arg-type]

    def value(self, vtype: int, depth: int = 0) -> list[str]:
        """String content of one value (scalars are skipped)."""
        if vtype == _GGUF_STRING:
            return [self.string()]
        if vtype in _GGUF_SCALARS:
            self.fh.seek(_GGUF_SCALARS[vtype], 1)
            return []
        if vtype != _GGUF_ARRAY or depth > 2:
            raise Truncated(f"unknown GGUF value type {vtype}")
        item_type = self.u32()
        n = self.count()
        unit = _GGUF_SCALARS.get(item_type, 8)
        if n * unit > self.remaining():
            raise Truncated("array length points past the end of the file")
        if item_type in _GGUF_SCALARS:
            self.fh.seek(n * unit, 1)
            return []
        out: list[str] = []
        for _ in range(n):
            out.extend(self.value(item_type, depth + 1))
        return out


class GgufExtractor:
    """GGUF v1-v3: metadata keys and string values (chat templates, tokenizer fields)."""

    name = "gguf"

    def accepts(self, blob: Blob, head: bytes) -> bool:
        return head.startswith(b"GGUF") or blob.lower_name.endswith(".gguf")

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]:
        if not blob.head(4).startswith(b"GGUF"):
            yield _problem(blob, "not a GGUF file (wrong magic); printable strings scanned")
            yield from strings_chunks(blob, budget, format="gguf")
            return
        fields: list[Field] = []
        with blob.open() as fh:
            try:
                yield from self._read(fh, blob, budget, fields)
            except (Truncated, struct.error) as exc:
                yield _problem(blob, f"truncated or corrupt GGUF metadata ({exc})")
        yield from field_chunks(fields, blob.origin, format="gguf")

    def _read(
        self, fh: BinaryIO, blob: Blob, budget: Budget, fields: list[Field]
    ) -> Iterator[Item]:
        head = fh.read(8)
        if len(head) < 8:
            raise Truncated("no header")
        version = struct.unpack("<I", head[4:8])[0]
        if version not in (1, 2, 3):
            yield _problem(blob, f"unsupported GGUF version {version}; skipped")
            return
        reader = _Gguf(fh, blob.size, budget.limits.max_member_size, version)
        tensor_count = reader.count()
        kv_count = reader.count()
        if kv_count > reader.remaining() // 13:
            raise Truncated(f"{kv_count} metadata entries cannot fit in the file")
        for index in range(1, kv_count + 1):
            key = reader.string()
            values = reader.value(reader.u32())
            if values:
                fields.append(Field(key, "\n".join(values), key, index))
            if reader.fh.left <= 0:
                yield _problem(blob, "GGUF metadata larger than the limit; the rest is skipped")
                return
        self._check_tensors(reader, tensor_count)

    def _check_tensors(self, reader: _Gguf, tensor_count: int) -> None:
        """Tensor infos must be readable and point inside the file (truncation check)."""
        if tensor_count > reader.remaining() // 24:
            raise Truncated(f"{tensor_count} tensor infos cannot fit in the file")
        last = 0
        for _ in range(tensor_count):
            reader.string()
            dims = reader.u32()
            if dims > 8:
                raise Truncated(f"tensor with {dims} dimensions")
            for _ in range(dims):
                reader.count()
            reader.u32()
            last = max(last, reader.count())
        if tensor_count and reader.fh.tell() + last > reader.size:
            raise Truncated("tensor data past the end of the file")


# --- ONNX (protobuf wire format) ---------------------------------------------------------------

# message type -> field number -> (kind, field name); kind "s" = text, "m:<type>" = message
_ONNX: dict[str, dict[int, tuple[str, str]]] = {
    "model": {
        2: ("s", "producer_name"),
        3: ("s", "producer_version"),
        4: ("s", "domain"),
        6: ("s", "doc_string"),
        7: ("m:graph", "graph"),
        14: ("m:entry", "metadata_props"),
        20: ("m:training", "training_info"),
        25: ("m:function", "functions"),
    },
    "graph": {
        1: ("m:node", "node"),
        2: ("s", "name"),
        5: ("m:tensor", "initializer"),
        10: ("s", "doc_string"),
        11: ("m:value", "input"),
        12: ("m:value", "output"),
        13: ("m:value", "value_info"),
        15: ("m:sparse", "sparse_initializer"),
        16: ("m:entry", "metadata_props"),
    },
    "node": {
        3: ("s", "name"),
        5: ("m:attr", "attribute"),
        6: ("s", "doc_string"),
        9: ("m:entry", "metadata_props"),
    },
    "attr": {
        1: ("name", "name"),
        4: ("s", "s"),
        9: ("s", "strings"),
        13: ("s", "doc_string"),
        5: ("m:tensor", "t"),
        6: ("m:graph", "g"),
        10: ("m:tensor", "tensors"),
        11: ("m:graph", "graphs"),
    },
    "tensor": {
        6: ("s", "string_data"),
        8: ("s", "name"),
        12: ("s", "doc_string"),
        13: ("m:entry", "external_data"),
    },
    "value": {3: ("s", "doc_string"), 4: ("m:entry", "metadata_props")},
    "entry": {1: ("name", "key"), 2: ("s", "value")},
    "training": {1: ("m:graph", "initialization"), 2: ("m:graph", "algorithm")},
    "function": {
        1: ("s", "name"),
        3: ("m:node", "node"),
        8: ("s", "doc_string"),
        11: ("m:attr", "attribute_proto"),
        14: ("m:entry", "metadata_props"),
    },
    "sparse": {1: ("m:tensor", "values")},
}
_NAMED = frozenset({"attr", "entry"})
MAX_DEPTH = 32


class _Proto:
    def __init__(self, fh: BinaryIO, size: int) -> None:
        self.fh = fh
        self.size = size
        self.fields: list[Field] = []

    def varint(self, end: int) -> int:
        value = shift = 0
        while True:
            if self.fh.tell() >= end or shift > 63:
                raise Truncated("bad varint")
            byte = self.fh.read(1)
            if not byte:
                raise Truncated("file ends inside a varint")
            value |= (byte[0] & 0x7F) << shift
            shift += 7
            if not byte[0] & 0x80:
                return value

    def message(self, mtype: str, start: int, end: int, path: str, depth: int) -> None:
        schema = _ONNX[mtype]
        counts: dict[int, int] = {}
        name = ""
        self.fh.seek(start)
        while self.fh.tell() < end:
            tag = self.varint(end)
            number, wire = tag >> 3, tag & 7
            if wire == 0:
                self.varint(end)
                continue
            if wire in (1, 5):
                self._skip(8 if wire == 1 else 4, end)
                continue
            if wire != 2:
                raise Truncated(f"unsupported wire type {wire}")
            length = self.varint(end)
            here = self.fh.tell()
            if here + length > end:
                raise Truncated("field length points past the end of its message")
            kind, fname = schema.get(number, ("", ""))
            index = counts.get(number, 0)
            counts[number] = index + 1
            if kind in ("s", "name"):
                text = self._text(length)
                if kind == "name":
                    name = text
                elif len(self.fields) < MAX_FIELDS:
                    label = name if mtype in _NAMED and name else fname
                    key = f"{path}.{fname}" if path else fname
                    if mtype in _NAMED and name:
                        key = f"{path}[{name}]"
                    self.fields.append(Field(key, text, label))
            elif kind.startswith("m:") and depth < MAX_DEPTH:
                child = f"{path}.{fname}[{index}]" if path else f"{fname}[{index}]"
                self.message(kind[2:], here, here + length, child, depth + 1)
            self.fh.seek(here + length)

    def _skip(self, n: int, end: int) -> None:
        if self.fh.tell() + n > end:
            raise Truncated("fixed-size field past the end of its message")
        self.fh.seek(n, 1)

    def _text(self, length: int) -> str:
        data = self.fh.read(min(length, MAX_STRING))
        if len(data) < min(length, MAX_STRING):
            raise Truncated("file ends inside a string")
        return data.decode("utf-8", errors="replace")


class OnnxExtractor:
    """ONNX ModelProto: doc strings, ``metadata_props``, node attribute strings; no ``onnx``."""

    name = "onnx"

    def accepts(self, blob: Blob, head: bytes) -> bool:
        return blob.lower_name.endswith(".onnx")

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]:
        with blob.open() as fh:
            parser = _Proto(fh, blob.size)
            try:
                parser.message("model", 0, blob.size, "", 0)
            except (Truncated, OSError, ValueError) as exc:
                yield _problem(blob, f"truncated or invalid ONNX model ({exc})")
                if not parser.fields:
                    yield from strings_chunks(blob, budget, format="onnx")
                    return
        yield from field_chunks(parser.fields, blob.origin, format="onnx")


# --- HDF5 --------------------------------------------------------------------------------------

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
STRINGS_AFTER_ATTRIBUTES = 4 * 1024 * 1024
HDF5_SUFFIXES = (".h5", ".hdf5", ".hdf", ".he5", ".keras.h5")


class Hdf5Extractor:
    """HDF5 (Keras ``.h5``): string attributes (see :mod:`scanner.extractors.hdf5`), then the
    printable strings of the head and tail of the file that are not part of an attribute.

    Attributes become ``name: value`` chunks with the attribute name as ``key``; the other
    strings (text datasets, names) one chunk per run with the byte ``offset`` in the detail.
    """

    name = "hdf5"

    def accepts(self, blob: Blob, head: bytes) -> bool:
        return head.startswith(HDF5_MAGIC) or blob.lower_name.endswith(HDF5_SUFFIXES)

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]:
        if blob.size == 0:
            return
        problem = _hdf5_truncated(blob.head(4096), blob.size)
        if problem:
            yield _problem(blob, problem)
        regions = read_regions(blob, budget)
        with blob.open() as fh:
            fields = list(find_attributes(fh, blob.size, regions))
        yield from field_chunks(fields, blob.origin, format="hdf5")
        if not problem:  # structure readable: attributes were parsed, a short strings pass will do
            regions = [(base, data[:STRINGS_AFTER_ATTRIBUTES]) for base, data in regions]
        seen = [f.value for f in fields]
        yield from strings_chunks(
            blob, budget, regions=regions, skip=seen, first=len(fields) + 1, format="hdf5"
        )


def _hdf5_truncated(head: bytes, size: int) -> str | None:
    """A warning when the superblock is missing or claims more bytes than the file has."""
    base = head.find(HDF5_MAGIC)
    if base < 0:
        return "not an HDF5 file (no signature); strings scanned only"
    sb = head[base:]
    if len(sb) < 16:
        return "truncated HDF5 file (superblock cut short)"
    version = sb[8]
    if version in (0, 1):
        offsets, at = sb[13], 24 + (4 if version == 1 else 0)
    elif version in (2, 3):
        offsets, at = sb[9], 12
    else:
        return f"unknown HDF5 superblock version {version}; strings scanned only"
    if offsets not in (2, 4, 8):
        return "corrupt HDF5 superblock; strings scanned only"
    eof_at = at + 2 * offsets
    if len(sb) < eof_at + offsets:
        return "truncated HDF5 file (superblock cut short)"
    eof = int.from_bytes(sb[eof_at : eof_at + offsets], "little")
    if eof > size - base:
        return "truncated HDF5 file (end-of-file address past the end); strings scanned only"
    return None


# --- zip-based checkpoints ---------------------------------------------------------------------

MODEL_ZIP_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".npz", ".keras", ".mar", ".pkl")
ZIP_ONLY_SUFFIXES = (".npz", ".keras")
_STORAGE = re.compile(r"(^|/)data/\d+$|\.storage$")


def _has_data_pkl(blob: Blob) -> bool:
    try:
        with blob.open() as fh, zipfile.ZipFile(fh) as zf:
            return any(n.endswith("data.pkl") for n in zf.namelist()[:10_000])
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return False


class ModelZipExtractor:
    """PyTorch zip checkpoints, ``.keras`` and ``.npz``: metadata members only, never storages."""

    name = "model-zip"

    def accepts(self, blob: Blob, head: bytes) -> bool:
        if not head.startswith((ZIP_MAGIC, EMPTY_ZIP)):
            return blob.lower_name.endswith(ZIP_ONLY_SUFFIXES)
        return blob.lower_name.endswith(MODEL_ZIP_SUFFIXES) or _has_data_pkl(blob)

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]:
        if not blob.head(4).startswith((ZIP_MAGIC, EMPTY_ZIP)):
            yield _problem(blob, "not a zip archive (wrong magic); printable strings scanned")
            yield from strings_chunks(blob, budget)
            return
        plain = ZipExtractor()

        def handle(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[Item]:
            if _STORAGE.search(info.filename):
                return iter(())
            if info.filename.lower().endswith(".npy"):
                return self._npy(zf, info, blob, budget)
            return plain._member(zf, info, blob, budget)

        yield from iter_zip_members(blob, budget, handle)

    def _npy(
        self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, blob: Blob, budget: Budget
    ) -> Iterator[Item]:
        """Only object and string arrays are read past their header."""
        origin = blob.origin.child(info.filename)
        limits = budget.limits
        with zf.open(info) as member:
            header = npy_header(member, info.file_size)  # type: ignore[arg-type]
        if header is None:
            yield SourceProblem(origin.display, "truncated or invalid .npy header")
            return
        descr = header.get("descr")
        wanted = has_object(descr) or (
            isinstance(descr, str) and descr.lstrip("<>|=")[:1] in ("U", "S")
        )
        if not wanted:
            return
        if info.file_size > limits.max_member_size or not budget.take(info.file_size):
            yield SourceProblem(origin.display, "member larger than the size limit; skipped")
            return
        with zf.open(info) as member:
            stream: BinaryIO = member  # type: ignore[assignment]
            data = read_bounded(
                stream, limits.max_member_size, info.compress_size, limits.max_ratio
            )
        if data is None:
            yield SourceProblem(origin.display, "member exceeds the size or ratio limit; skipped")
            return
        name = info.filename.rsplit("/", 1)[-1]
        yield Blob.from_bytes(data, origin, name, blob.depth + 1)
