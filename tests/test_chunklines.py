"""ChunkLines: offsets to lines and columns, and lines' text, counted on demand."""

from __future__ import annotations

import pytest

from scanner.chunklines import ChunkLines
from scanner.models import Chunk, Origin


@pytest.mark.parametrize("first_column", [1, 7])
def test_lines_locate_and_line_text_agree_with_a_newline_listing(first_column: int) -> None:
    text = "alpha\nbeta gamma\n\ndelta\nepsilon zeta\n"
    chunk = Chunk(text=text, origin=Origin(path="t.txt"), first_column=first_column)
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    offsets = [0, 3, 6, 10, 17, 18, 19, 24, 30, 5, 0, 37]  # forwards, then backwards
    lines = ChunkLines(chunk)
    for offset in offsets:
        line = max(i for i, s in enumerate(starts) if s <= offset) + 1
        column = offset + first_column if line == 1 else offset - starts[line - 1] + 1
        assert lines.locate(offset) == (line, column)
        assert lines.line_text(line) == text.split("\n")[line - 1]
        if line > 1:  # the line before a located one (where an inline-allow marker may be)
            assert lines.line_text(line - 1) == text.split("\n")[line - 2]
    assert ChunkLines(chunk).line_text(4) == "delta"  # a line never located
