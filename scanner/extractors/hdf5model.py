"""HDF5 / Keras ``.h5`` files: string attributes found by their layout (``hdf5``), then a
bounded printable-strings pass over the head and tail."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.blob import Blob
from scanner.extractors.base import Budget, Item
from scanner.extractors.fields import (
    field_chunks,
    read_regions,
    strings_chunks,
)
from scanner.extractors.hdf5 import find_attributes
from scanner.extractors.modelbase import problem

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
        truncated = _hdf5_truncated(blob.head(4096), blob.size)
        if truncated:
            yield problem(blob, truncated)
        regions = read_regions(blob, budget)
        with blob.open() as fh:
            fields = list(find_attributes(fh, blob.size, regions))
        yield from field_chunks(fields, blob.origin, format="hdf5")
        if (
            not truncated
        ):  # structure readable: attributes were parsed, a short strings pass will do
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
