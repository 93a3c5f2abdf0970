"""Extractor registry and the recursive expansion of a blob into text chunks.

``EXTRACTORS`` is an explicit, ordered tuple: the first extractor that accepts a blob handles
it (format-specific extractors such as notebooks or model files come before generic zip/tar).
A blob no extractor accepts is scanned as text, or skipped when it is binary.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from scanner.blob import Blob
from scanner.chunking import iter_text_chunks, sniff_encoding
from scanner.extractors.archives import CompressedExtractor, TarExtractor, ZipExtractor
from scanner.extractors.base import Budget, Extractor, Item, Limits
from scanner.extractors.images import ImageExtractor
from scanner.extractors.models import (
    GgufExtractor,
    Hdf5Extractor,
    ModelZipExtractor,
    OnnxExtractor,
    SafetensorsExtractor,
)
from scanner.extractors.notebooks import NotebookExtractor
from scanner.extractors.pickles import CompressedPickleExtractor, NpyExtractor, PickleExtractor
from scanner.models import Chunk, SourceProblem

EXTRACTORS: tuple[Extractor, ...] = (
    NotebookExtractor(),
    SafetensorsExtractor(),
    GgufExtractor(),
    OnnxExtractor(),
    Hdf5Extractor(),
    NpyExtractor(),
    ModelZipExtractor(),
    CompressedPickleExtractor(),
    PickleExtractor(),
    ZipExtractor(),
    ImageExtractor(),
    TarExtractor(),
    CompressedExtractor(),
)

__all__ = ["EXTRACTORS", "Budget", "Extractor", "Item", "Limits", "expand"]


def expand(
    blob: Blob,
    budget: Budget,
    extractors: Sequence[Extractor] = EXTRACTORS,
    path_for_rules: str = "",
) -> Iterator[Chunk | SourceProblem]:
    """Text chunks from ``blob`` and everything nested in it, within the budget."""
    head = blob.head(4096)
    for extractor in extractors:
        if not extractor.accepts(blob, head):
            continue
        if blob.depth >= budget.limits.max_depth:
            yield SourceProblem(blob.origin.display, "nesting deeper than the limit; skipped")
            return
        for item in extractor.extract(blob, budget):
            if isinstance(item, Blob):
                yield from expand(item, budget, extractors, path_for_rules)
            else:
                yield item
        return
    encoding = sniff_encoding(head)
    if encoding is None:
        yield SourceProblem(blob.origin.display, "binary content skipped", kind="skip")
        return
    rules_path = path_for_rules or blob.origin.path
    if blob.origin.members:
        rules_path = blob.origin.members[-1]
    with blob.open() as stream:
        yield from iter_text_chunks(stream, encoding, blob.origin, path_for_rules=rules_path)
