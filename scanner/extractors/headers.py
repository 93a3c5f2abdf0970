"""Model formats read header-first: safetensors (its JSON header) and GGUF (its metadata
section). Weights are never read, so these files are never skipped for their size."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from typing import BinaryIO

from scanner.blob import Blob
from scanner.extractors.base import Budget, Item
from scanner.extractors.fields import (
    BoundedReader,
    Field,
    Truncated,
    field_chunks,
    json_fields,
    read_exact,
    strings_chunks,
)
from scanner.extractors.modelbase import MAX_HEADER, MAX_STRING, problem


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
            yield problem(blob, "truncated safetensors file (no header length)")
            return
        with blob.open() as fh:
            length = struct.unpack("<Q", fh.read(8))[0]
            if length > blob.size - 8:
                yield problem(blob, "safetensors header length points past the end of the file")
                return
            if length > min(MAX_HEADER, budget.limits.max_member_size):
                yield problem(blob, "safetensors header larger than the limit; skipped")
                return
            raw = fh.read(length)
        try:
            header = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            yield problem(blob, f"invalid safetensors header ({type(exc).__name__})")
            return
        if not isinstance(header, dict):
            yield problem(blob, "invalid safetensors header (not an object)")
            return
        end = _safetensors_data_end(header)
        if end is not None and 8 + length + end > blob.size:
            yield problem(blob, "truncated safetensors file (tensor data past the end)")
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
            yield problem(blob, "not a GGUF file (wrong magic); printable strings scanned")
            yield from strings_chunks(blob, budget, format="gguf")
            return
        fields: list[Field] = []
        with blob.open() as fh:
            try:
                yield from self._read(fh, blob, budget, fields)
            except (Truncated, struct.error) as exc:
                yield problem(blob, f"truncated or corrupt GGUF metadata ({exc})")
        yield from field_chunks(fields, blob.origin, format="gguf")

    def _read(
        self, fh: BinaryIO, blob: Blob, budget: Budget, fields: list[Field]
    ) -> Iterator[Item]:
        head = fh.read(8)
        if len(head) < 8:
            raise Truncated("no header")
        version = struct.unpack("<I", head[4:8])[0]
        if version not in (1, 2, 3):
            yield problem(blob, f"unsupported GGUF version {version}; skipped")
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
                yield problem(blob, "GGUF metadata larger than the limit; the rest is skipped")
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
