"""Chunking: overlapping windows whose line, column and offset say where they start."""

from __future__ import annotations

import io
import random

import pytest

from scanner.chunking import iter_text_chunks, sniff_encoding
from scanner.models import Origin


def _position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


@pytest.mark.parametrize("window", [7, 64, 1000])
def test_every_chunk_starts_where_it_says(window: int) -> None:
    rng = random.Random(window)
    text = "".join(rng.choice(["ab", "c\n", "\n", "xyz", "é"]) for _ in range(2000))
    chunks = list(
        iter_text_chunks(
            io.BytesIO(text.encode()), "utf-8", Origin(path="f.txt"), window=window, overlap=5
        )
    )
    assert chunks and chunks[-1].text == text[chunks[-1].offset :]
    for i, chunk in enumerate(chunks):
        assert chunk.offset == i * window
        assert text[chunk.offset : chunk.offset + len(chunk.text)] == chunk.text
        assert (chunk.first_line, chunk.first_column) == _position(text, chunk.offset)
    assert chunks[-1].offset + len(chunks[-1].text) == len(text)


def test_a_small_file_is_one_chunk_at_line_one() -> None:
    (chunk,) = iter_text_chunks(io.BytesIO(b"a = 1\nb = 2\n"), "utf-8", Origin(path="f.py"))
    assert (chunk.text, chunk.first_line, chunk.first_column, chunk.offset) == (
        "a = 1\nb = 2\n",
        1,
        1,
        0,
    )


def test_sniff_encoding_tells_text_from_binary() -> None:
    assert sniff_encoding(b"plain text\n") == "utf-8"
    assert sniff_encoding("é".encode("utf-16-le") * 50) == "utf-16-le"
    assert sniff_encoding(bytes(range(256)) * 4) is None
