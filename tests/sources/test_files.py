"""Files and directories: ignore rules, bad input, encodings, large files, archives."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.ignore import IgnoreMatcher
from scanner.sources.files import FilesSource, WalkOptions
from testing.archives import tar_bytes, zip_bytes
from testing.tokens import github_token

TOKEN = github_token()


def scan_json(*args: str) -> tuple[int, dict[str, object], str]:
    result = CliRunner().invoke(main, ["scan", "-f", "json", "-j", "1", *args])
    return result.exit_code, json.loads(result.stdout or "{}"), result.stderr


def found_paths(doc: dict[str, object]) -> set[str]:
    return {f["location"] for f in doc["findings"]}  # type: ignore[attr-defined, index]


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "ignored"),
    [
        ("*.log", "a/b/c.log", False, True),
        ("/build", "build", True, True),
        ("/build", "src/build", True, None),
        ("docs/", "docs", True, True),
        ("docs/", "docs", False, None),
        ("**/tmp/*.txt", "x/y/tmp/a.txt", False, True),
        ("a/**/b", "a/x/y/b", False, True),
        ("secret?.txt", "secret1.txt", False, True),
        ("[ab].py", "c.py", False, None),
    ],
)
def test_gitignore_semantics(pattern: str, path: str, is_dir: bool, ignored: bool | None) -> None:
    assert IgnoreMatcher.from_lines([pattern]).decision(path, is_dir) is ignored


def test_negation_reincludes() -> None:
    m = IgnoreMatcher.from_lines(["*.env", "!keep.env"])
    assert m.decision("x.env", False) is True
    assert m.decision("keep.env", False) is False


def test_gitignore_honoured_and_no_ignore(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("ignored/\n*.secret\n")
    (tmp_path / "ignored").mkdir()
    (tmp_path / "ignored" / "a.env").write_text(f"T={TOKEN}\n")
    (tmp_path / "b.secret").write_text(f"T={TOKEN}\n")
    (tmp_path / "c.env").write_text(f"T={TOKEN}\n")
    code, doc, _ = scan_json(str(tmp_path))
    assert code == 1
    assert found_paths(doc) == {f"{tmp_path}/c.env"}
    _, doc, _ = scan_json(str(tmp_path), "--no-ignore")
    assert len(found_paths(doc)) == 3


def test_bad_inputs_warn_and_scan_goes_on(tmp_path: Path) -> None:
    (tmp_path / "good.env").write_text(f"T={TOKEN}\n")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "broken").symlink_to(tmp_path / "missing")
    (tmp_path / "link.env").symlink_to(tmp_path / "good.env")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.env").write_text("x")
    locked.chmod(0)
    (tmp_path / "nul.bin").write_bytes(b"\0" * 4096)
    (tmp_path / "bad-utf8.txt").write_bytes(b"\xfa\xfb\xfc token=" + TOKEN.encode() + b"\n\xc3")
    try:
        code, doc, err = scan_json(str(tmp_path))
    finally:
        locked.chmod(0o755)
    assert code == 1
    assert f"{tmp_path}/good.env" in found_paths(doc)
    assert f"{tmp_path}/link.env" not in found_paths(doc)  # symlinks are not followed
    assert f"{tmp_path}/bad-utf8.txt" in found_paths(doc)
    if os.geteuid() != 0:  # root can read a mode-0 directory
        assert "locked" in err
    assert "pipe" in err and "not a regular file" in err
    stats = doc["stats"]
    assert stats["skipped"] >= 2  # type: ignore[index]


def test_encodings(tmp_path: Path) -> None:
    text = f"token = '{TOKEN}'\n"
    (tmp_path / "u16.txt").write_bytes(text.encode("utf-16"))
    (tmp_path / "u16le.txt").write_bytes(("x\n" + text).encode("utf-16-le"))
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 ".encode("latin-1") + text.encode())
    _, doc, _ = scan_json(str(tmp_path))
    assert len(found_paths(doc)) == 3


def test_large_single_line_file_is_windowed_with_right_column(tmp_path: Path) -> None:
    pad = "x," * (3 * 1024 * 1024)  # 6 MB on one line: several windows
    (tmp_path / "min.js").write_text(pad + f'k="{TOKEN}";' + pad)
    code, doc, _ = scan_json(str(tmp_path))
    assert code == 1
    (finding,) = doc["findings"]  # type: ignore[misc]
    assert finding["line"] == 1
    assert finding["column"] == len(pad) + 4


def test_max_file_size(tmp_path: Path) -> None:
    (tmp_path / "big.env").write_text(f"T={TOKEN}\n" + "#" * 5000)
    code, _, err = scan_json(str(tmp_path), "--max-file-size", "1KB")
    assert code == 0
    assert "max-file-size" in err


def test_archives_nested_and_compressed(tmp_path: Path) -> None:
    leak = f"TOKEN={TOKEN}\n".encode()
    inner = zip_bytes({"conf/app.env": leak})
    (tmp_path / "bundle.tar.gz").write_bytes(tar_bytes({"lib/inner.zip": inner}, "gz"))
    (tmp_path / "single.env.gz").write_bytes(gzip.compress(leak))
    (tmp_path / "single.env.bz2").write_bytes(bz2.compress(leak))
    (tmp_path / "single.env.xz").write_bytes(lzma.compress(leak))
    _, doc, _ = scan_json(str(tmp_path))
    assert found_paths(doc) == {
        f"{tmp_path}/bundle.tar.gz!lib/inner.zip!conf/app.env",
        f"{tmp_path}/single.env.gz!single.env",
        f"{tmp_path}/single.env.bz2!single.env",
        f"{tmp_path}/single.env.xz!single.env",
    }


def test_zip_bomb_and_truncated_archives_are_bounded(tmp_path: Path) -> None:
    (tmp_path / "bomb.zip").write_bytes(zip_bytes({"zeros.txt": b"0" * (200 * 1024 * 1024)}))
    whole = tar_bytes({"a.env": f"T={TOKEN}\n".encode() * 1000}, "gz")
    (tmp_path / "cut.tar.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "good.env").write_text(f"T={TOKEN}\n")
    code, doc, err = scan_json(str(tmp_path))
    assert code == 1
    assert f"{tmp_path}/good.env" in found_paths(doc)
    assert "bomb.zip" in err and "cut.tar.gz" in err


def test_nesting_depth_is_limited(tmp_path: Path) -> None:
    data = f"T={TOKEN}\n".encode()
    for level in range(8):
        data = zip_bytes({f"level{level}.zip" if level else "a.env": data})
    (tmp_path / "deep.zip").write_bytes(data)
    _, doc, err = scan_json(str(tmp_path))
    assert doc["findings"] == []
    assert "nesting" in err


def test_a_streamed_walk_yields_what_a_listed_walk_does(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("ignored/\n")
    for rel in ("a.py", "sub/b.env", "sub/deep/c.txt", "ignored/d.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    options = WalkOptions(use_ignore=True)
    listed = FilesSource.walk([str(tmp_path)], options)
    streamed = FilesSource.stream([str(tmp_path)], options)
    assert listed.files == 4  # .gitignore, a.py, b.env, c.txt
    assert streamed.files == 0  # not known before the walk has run
    assert [b.origin.display for b in streamed.items()] == [
        b.origin.display for b in listed.items()
    ]


def test_only_the_settings_file_of_a_vcs_directory_is_read(tmp_path: Path) -> None:
    git = tmp_path / ".git"
    (git / "objects").mkdir(parents=True)
    (git / "config").write_text(f'[remote "origin"]\n\turl = https://ci:{TOKEN}@git.kg.lan/a.git\n')
    (git / "objects" / "notes.txt").write_text(f"T={TOKEN}\n")
    (git / "HEAD").write_text(f"T={TOKEN}\n")
    hg = tmp_path / "sub" / ".hg"
    hg.mkdir(parents=True)
    (hg / "hgrc").write_text(f"[paths]\ndefault = https://ci:{TOKEN}@hg.kg.lan/a\n")
    (hg / "store").write_text(f"T={TOKEN}\n")
    svn = tmp_path / ".svn"
    svn.mkdir()
    (svn / "config").write_text(f"T={TOKEN}\n")
    code, doc, _ = scan_json(str(tmp_path))
    assert code == 1
    assert found_paths(doc) == {f"{tmp_path}/.git/config", f"{tmp_path}/sub/.hg/hgrc"}
    (tmp_path / "kg.toml").write_text('exclude = [".git/config"]\n')
    _, doc, _ = scan_json(str(tmp_path), "--config", str(tmp_path / "kg.toml"))
    assert found_paths(doc) == {f"{tmp_path}/sub/.hg/hgrc"}


def test_a_vcs_settings_file_that_is_a_symlink_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.txt").write_text(f"T={TOKEN}\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").symlink_to(tmp_path / "elsewhere.txt")
    _, doc, _ = scan_json(str(tmp_path))
    assert found_paths(doc) == {f"{tmp_path}/elsewhere.txt"}
