"""Extractor registry and the recursive expansion of a blob into text chunks.

``default_extractors()`` (also ``EXTRACTORS``) is an explicit, ordered tuple: the first extractor
that accepts a blob handles it (format-specific extractors such as notebooks or model files come
before generic zip/tar).
A blob no extractor accepts is scanned as text, or skipped when it is binary.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence

from scanner.blob import Blob
from scanner.chunking import (
    WHOLE_DECODABLE,
    WINDOW,
    iter_text_chunks,
    sniff_encoding,
    whole_text_chunk,
)
from scanner.extractors.base import Budget, Extractor, Item, Limits
from scanner.models import Chunk, SourceProblem

# Names no extractor claims (each claims its own suffixes or binary magic): with no NUL byte in
# the first bytes, such a blob is plain text, and the registry (and its imports) is not needed.
PLAIN_TEXT_SUFFIXES = (
    ".py", ".pyi", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".rs", ".java",
    ".kt", ".scala", ".rb", ".php", ".cs", ".c", ".h", ".cc", ".cpp", ".hpp", ".swift",
    ".sh", ".bash", ".zsh", ".ps1", ".bat", ".yaml", ".yml", ".toml", ".ini", ".cfg",
    ".conf", ".env", ".properties", ".txt", ".md", ".rst", ".html", ".htm", ".css",
    ".scss", ".xml", ".sql", ".tf", ".tfvars", ".hcl", ".gradle", ".csv", ".json",
)  # fmt: skip


def _build_registry() -> tuple[Extractor, ...]:
    from scanner.extractors.archives import CompressedExtractor, TarExtractor, ZipExtractor
    from scanner.extractors.hdf5model import Hdf5Extractor
    from scanner.extractors.headers import GgufExtractor, SafetensorsExtractor
    from scanner.extractors.images import ImageExtractor
    from scanner.extractors.modelzip import ModelZipExtractor
    from scanner.extractors.notebooks import NotebookExtractor
    from scanner.extractors.onnx import OnnxExtractor
    from scanner.extractors.pickles import (
        CompressedPickleExtractor,
        NpyExtractor,
        PickleExtractor,
    )

    return (
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


@functools.cache
def default_extractors() -> tuple[Extractor, ...]:
    """The ordered registry, built on first need: a hook checking one ``.py`` file never pays
    for importing the archive, model and image readers."""
    return _build_registry()


def __getattr__(name: str) -> tuple[Extractor, ...]:
    if name == "EXTRACTORS":
        return default_extractors()
    raise AttributeError(name)


def is_plain_text(blob: Blob, head: bytes) -> bool:
    return blob.lower_name.endswith(PLAIN_TEXT_SUFFIXES) and b"\0" not in head


__all__ = ["Budget", "Extractor", "Item", "Limits", "default_extractors", "expand"]


def expand(
    blob: Blob,
    budget: Budget,
    extractors: Sequence[Extractor] | None = None,
    path_for_rules: str = "",
) -> Iterator[Chunk | SourceProblem]:
    """Text chunks from ``blob`` and everything nested in it, within the budget."""
    head = blob.head(4096)
    nested = extractors  # None: every nested blob chooses again (and may skip the registry)
    if extractors is None:
        extractors = () if is_plain_text(blob, head) else default_extractors()
    for extractor in extractors:
        if not extractor.accepts(blob, head):
            continue
        if blob.depth >= budget.limits.max_depth:
            yield SourceProblem(blob.origin.display, "nesting deeper than the limit; skipped")
            return
        for item in extractor.extract(blob, budget):
            if isinstance(item, Blob):
                yield from expand(item, budget, nested, path_for_rules)
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
    data = blob.data
    if data is not None and len(data) <= WINDOW and encoding in WHOLE_DECODABLE:
        chunk = whole_text_chunk(data, encoding, blob.origin, path_for_rules=rules_path)
        if chunk is not None:
            yield chunk
        return
    with blob.open() as stream:
        yield from iter_text_chunks(stream, encoding, blob.origin, path_for_rules=rules_path)
