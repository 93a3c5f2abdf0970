"""Positions inside one chunk: an offset's line and column, a line's text, and the line a
reporter shows (through the chunk's ``line_map`` when it has one)."""

from __future__ import annotations

from scanner.models import Chunk


class ChunkLines:
    """Offset → (line, column) for one chunk: newlines counted on demand (a chunk has few
    findings; listing every newline of a large chunk cost more than the findings)."""

    def __init__(self, chunk: Chunk) -> None:
        self.chunk = chunk
        self._at, self._line = 0, 1  # the last offset located and its line
        self._starts: dict[int, int] = {1: 0}  # line (1-based) → offset where it starts

    def locate(self, offset: int) -> tuple[int, int]:
        """Chunk-relative line (1-based) and column (1-based) of ``offset``."""
        text = self.chunk.text
        if offset >= self._at:
            line = self._line + text.count("\n", self._at, offset)
        else:
            line = 1 + text.count("\n", 0, offset)
        self._at, self._line = offset, line
        start = text.rfind("\n", 0, offset) + 1
        self._starts[line] = start
        if line == 1:
            return 1, offset + self.chunk.first_column
        return line, offset - start + 1

    def line_text(self, rel_line: int) -> str:
        """The text of a line ``locate`` reached, or of the line before one it reached."""
        text = self.chunk.text
        start = self._starts.get(rel_line)
        if start is None:
            after = self._starts.get(rel_line + 1)
            if after is None:  # not reached: count from the top
                start = 0
                for _ in range(rel_line - 1):
                    start = text.index("\n", start) + 1
            else:
                start = text.rfind("\n", 0, after - 1) + 1
            self._starts[rel_line] = start
        end = text.find("\n", start)
        return text[start : end if end != -1 else len(text)]

    def display_line(self, rel_line: int) -> int:
        lmap = self.chunk.line_map
        if lmap:
            return lmap[min(rel_line, len(lmap)) - 1]
        return self.chunk.first_line + rel_line - 1
