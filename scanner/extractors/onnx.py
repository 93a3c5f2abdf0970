"""ONNX models: the protobuf fields that hold text, read from the wire format without an ONNX
library (tensor payloads are seeked past)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from scanner.blob import Blob
from scanner.extractors.base import Budget, Item
from scanner.extractors.fields import (
    Field,
    Truncated,
    field_chunks,
    strings_chunks,
)
from scanner.extractors.modelbase import MAX_FIELDS, MAX_STRING, problem

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
                yield problem(blob, f"truncated or invalid ONNX model ({exc})")
                if not parser.fields:
                    yield from strings_chunks(blob, budget, format="onnx")
                    return
        yield from field_chunks(parser.fields, blob.origin, format="onnx")
