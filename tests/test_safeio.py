"""scanner.safeio: reads of files a scanned tree controls."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner.safeio import UnsafeFileError, read_bounded, read_up_to


def test_read_up_to_returns_the_whole_small_file(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"kgFake content\n" * 100)
    assert read_up_to(path, 4096) == b"kgFake content\n" * 100


def test_read_up_to_stops_one_byte_past_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(range(256)) * 40)
    data = read_up_to(path, 1000)
    assert data == (bytes(range(256)) * 40)[:1001]


def test_read_up_to_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert read_up_to(path, 10) == b""


def test_read_bounded_refuses_a_file_over_its_cap(tmp_path: Path) -> None:
    path = tmp_path / "cfg"
    path.write_bytes(b"x" * 11)
    assert read_bounded(path, 11) == b"x" * 11
    with pytest.raises(UnsafeFileError, match="larger than 10 bytes"):
        read_bounded(path, 10)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_read_up_to_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UnsafeFileError, match="a FIFO"):
        read_up_to(fifo, 10)


def test_read_up_to_follows_a_symlink_only_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_bytes(b"kgFake")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert read_up_to(link, 10, follow_symlinks=True) == b"kgFake"
    with pytest.raises(UnsafeFileError, match="a symlink"):
        read_up_to(link, 10)
