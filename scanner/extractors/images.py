"""Container image tarballs met by ``keyguard scan``: docker-archive and OCI layouts in a tar.

Recognised by their top-level ``manifest.json`` or ``oci-layout`` members (compressed tarballs by
the name of their first member), and handed to :mod:`scanner.sources.images`, the code behind
``keyguard image``. Placed before the generic tar extractor in ``EXTRACTORS``.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from scanner.blob import Blob
from scanner.boundedtar import BoundedTarFile
from scanner.compression import GZIP_MAGIC, ZSTD_MAGIC, is_tar_head
from scanner.extractors.archives import TarExtractor
from scanner.extractors.base import Budget, Item
from scanner.sources.images import (
    READ_ERRORS,
    clean_name,
    find_images,
    iter_image_items,
    store_for_blob,
)

MARKERS = frozenset({"manifest.json", "oci-layout"})
MAX_HEADERS = 50_000
_SNIFF_ERRORS: tuple[type[BaseException], ...] = (ImportError, *READ_ERRORS)
_FIRST = re.compile(
    r"^(blobs(/|$)|[0-9a-f]{64}(/|\.json$)|oci-layout$|index\.json$|manifest\.json$)"
)


def _has_markers(stream: BinaryIO) -> bool:
    """True when the top level of the (uncompressed, seekable) tar has an image marker."""
    try:
        with BoundedTarFile.open(fileobj=stream, mode="r:") as tf:
            for n, member in enumerate(tf):
                if clean_name(member.name) in MARKERS:
                    return True
                if n >= MAX_HEADERS:
                    return False
    except READ_ERRORS:
        return False
    return False


def _first_member(head: bytes) -> str | None:
    """The first member name of a compressed tarball, from its first bytes only."""
    try:
        if head.startswith(GZIP_MAGIC):
            data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16384)
        elif head.startswith(ZSTD_MAGIC):
            import zstandard

            data = zstandard.ZstdDecompressor().decompressobj().decompress(head)[:16384]
        else:
            return None
    except _SNIFF_ERRORS:
        return None
    return _member_name(data)


def _member_name(data: bytes) -> str | None:
    """The name in the tar header at the start of ``data`` (pax and GNU long names followed)."""
    for _ in range(3):
        if not is_tar_head(data[:512]):
            return None
        kind = data[156:157]
        if kind not in (b"x", b"g", b"L"):
            name = data[:100].split(b"\0", 1)[0].decode("utf-8", "replace")
            return clean_name(name) + ("/" if kind == b"5" else "")
        try:
            size = int(data[124:136].split(b"\0", 1)[0].strip() or b"0", 8)
        except ValueError:
            return None
        body = data[512 : 512 + size]
        if kind == b"L":
            return clean_name(body.split(b"\0", 1)[0].decode("utf-8", "replace"))
        for record in body.split(b"\n"):
            if b" path=" in record:
                return clean_name(record.split(b" path=", 1)[1].decode("utf-8", "replace"))
        data = data[512 + -(-size // 512) * 512 :]
    return None


class ImageExtractor:
    name = "image"

    def accepts(self, blob: Blob, head: bytes) -> bool:
        if is_tar_head(head):
            with blob.open() as fh:
                return _has_markers(fh)
        first = _first_member(head)
        return first is not None and bool(_FIRST.match(first))

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]:
        store = store_for_blob(blob)
        images = find_images(store) if store is not None else []
        if store is None or not images:
            # Not an image after all (a bundle with its own manifest.json): a plain tar.
            yield from TarExtractor().extract(blob, budget)
            return
        yield from iter_image_items(store, blob.origin, budget.limits, blob.depth, images)
