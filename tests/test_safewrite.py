"""Files keyguard writes where a checkout may have planted links: never written through."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner.safeio import UnsafeFileError
from scanner.safewrite import append_text, replace_file


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / ".bashrc"
    path.parent.mkdir()
    path.write_text("precious\n")
    return path


def test_replace_file_replaces_a_link_and_ignores_planted_temporary_names(
    tmp_path: Path, victim: Path
) -> None:
    work = tmp_path / "checkout"
    work.mkdir()
    target = work / "state.json"
    for name in ("state.json", "state.json.tmp", ".state.json.tmp", ".state.json.1234.tmp"):
        (work / name).symlink_to(victim)
    replace_file(target, "{}\n", 0o600)
    assert victim.read_text() == "precious\n"
    assert not target.is_symlink() and target.read_text() == "{}\n"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in work.iterdir() if not p.is_symlink()) == ["state.json"]


def test_append_text_refuses_a_link_and_a_fifo(tmp_path: Path, victim: Path) -> None:
    link = tmp_path / "audit.jsonl"
    link.symlink_to(victim)
    with pytest.raises(UnsafeFileError, match="a symlink; not written"):
        append_text(link, '{"location": "$(touch /tmp/x).env"}\n')
    assert victim.read_text() == "precious\n"
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(OSError):  # no reader: refused at once, never blocks
        append_text(fifo, "x\n")


def test_append_text_creates_then_appends(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    append_text(log, "")
    append_text(log, "one\n")
    append_text(log, "two\n")
    assert log.read_text() == "one\ntwo\n"
    assert oct(log.stat().st_mode & 0o777) == "0o600"
