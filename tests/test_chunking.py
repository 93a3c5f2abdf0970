"""Chunking: overlapping windows whose line, column and offset say where they start."""

from __future__ import annotations

import codecs
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


TEXT = b"".join(b"line %d: some = value\n" % i for i in range(200))


@pytest.mark.parametrize(
    "head",
    [
        TEXT[:100] + b"\0" + TEXT,  # a stray NUL
        TEXT[:300] + b"\0" * 20 + TEXT[300:] + b"\0",  # a few, under 1% of the sample
        TEXT[:500] + b"\0" * 2000 + TEXT,  # a hole of zeros in a log: many, in one run
        (TEXT[:200] + b"\0" * 300) * 3 + TEXT,  # three holes
        "café: é\n".encode() * 20 + b"\0" + "naïve\n".encode(),  # UTF-8 around it
    ],
)
def test_text_with_a_few_nuls_or_a_hole_of_zeros_is_text(head: bytes) -> None:
    assert sniff_encoding(head) in ("utf-8", "latin-1")


def _binary(seed: int) -> bytes:
    """Records of little-endian integers and short names, as executables and databases
    hold: NULs all over."""
    rng = random.Random(seed)
    out = bytearray(b"\x7fELF\x02\x01\x01\0" + bytes(8))
    while len(out) < 4096:
        out += rng.randrange(1 << 20).to_bytes(8, "little") + b"name_%d\0" % rng.randrange(99)
    return bytes(out)


@pytest.mark.parametrize(
    "head",
    [
        _binary(1),
        _binary(2),
        b"\0" * 4096,  # sparse: nothing but zeros
        b"\0" * 4040 + b"text\n" * 11,  # too little around the zeros
        (b"\x01\x02\x03\x04abc\0\0" * 300)[:4096],  # many runs
        TEXT[:1000] + b"\0" + bytes(range(1, 32)) * 40,  # one NUL, but control bytes all over
        random.Random(3).randbytes(4096),  # compressed data
    ],
)
def test_binaries_stay_binary(head: bytes) -> None:
    assert sniff_encoding(head) is None


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be"])
def test_utf32_with_a_byte_order_mark_is_decoded(codec: str) -> None:
    text = "token = kgFake é ✓ 𝄞\n" * 3
    bom = codecs.BOM_UTF32_LE if codec.endswith("le") else codecs.BOM_UTF32_BE
    data = bom + text.encode(codec)
    encoding = sniff_encoding(data)
    assert encoding == "utf-32"  # not UTF-16: the little-endian mark starts with its mark
    (chunk,) = iter_text_chunks(io.BytesIO(data), encoding, Origin(path="f.txt"), window=7)
    assert chunk.text == text


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
