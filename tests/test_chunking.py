"""Chunking: overlapping windows whose line, column and offset say where they start."""

from __future__ import annotations

import io
import random

import pytest

from scanner.chunking import WHOLE_DECODABLE, iter_text_chunks, sniff_encoding, whole_text_chunk
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


@pytest.mark.parametrize("encoding", sorted(WHOLE_DECODABLE))
def test_a_small_text_decoded_at_once_equals_the_streamed_chunks(encoding: str) -> None:
    """``whole_text_chunk`` (files already read) yields what ``iter_text_chunks`` does, on
    random bytes: invalid and truncated sequences, BOMs, empty input."""
    rng = random.Random(encoding)
    origin = Origin(path="f.txt")
    samples = [b"", b"\xef\xbb\xbf", b"\xff\xfe", "kgFake é ✓ 𝄞\n".encode()]
    samples += [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))) for _ in range(300)]
    samples += [s[:-1] for s in samples if len(s) > 1]  # cut inside a sequence
    for data in samples:
        streamed = list(iter_text_chunks(io.BytesIO(data), encoding, origin, path_for_rules="p"))
        whole = whole_text_chunk(data, encoding, origin, path_for_rules="p")
        assert streamed == ([] if whole is None else [whole]), data
