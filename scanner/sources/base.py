"""The ``Source`` protocol: what every input (files, git, images, logs) hands to the engine.

A source yields, in a deterministic order:

- ``Blob``: content with its provenance (``Origin``) and, when known, a content ``key`` (the git
  blob id, a layer member's sha256) so that identical content is scanned once;
- ``Chunk``: text the source already holds (an image's config, a build step);
- ``SourceProblem``: an input that could not be read or was skipped; the scan goes on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from scanner.blob import Blob
from scanner.models import Chunk, SourceProblem

SourceItem = Blob | Chunk | SourceProblem


class Source(Protocol):
    def items(self) -> Iterator[SourceItem]:
        """Everything to scan, in a deterministic order."""
        ...
