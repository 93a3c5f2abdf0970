"""Hostile trees and files: special files are never opened, reads are bounded, broken config,
baseline and rule files are user errors (exit 2) naming the file, header-only model formats are
not skipped for size."""

from __future__ import annotations

import codecs
import json
import os
import struct
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scanner.cli import main
from scanner.sources.files import FileTarget, WalkOptions, iter_targets
from testing.rules import token_rule
from testing.servers import only_test_rules, rotation_token, write_rotation_rule
from testing.timeouts import deadline

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero")
TOKEN = rotation_token("hostile")


@pytest.fixture(autouse=True)
def _rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    only_test_rules(monkeypatch, tmp_path)


def keyguard(tmp_path: Path, *args: str) -> Result:
    rules = ["--rules", str(write_rotation_rule(tmp_path)), "-j", "1", "--no-color"]
    with deadline(60):
        return CliRunner().invoke(main, [*args, *rules])


def walk(root: Path) -> tuple[set[str], list[str]]:
    with deadline(10):
        items = list(iter_targets([str(root)], WalkOptions()))
    files = {Path(t.display).name for t in items if isinstance(t, FileTarget)}
    problems = [str(t) for t in items if not isinstance(t, FileTarget)]
    return files, problems


# -- special files ------------------------------------------------------------------------------


def test_fifo_gitignore_does_not_hang(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text(f"T={TOKEN}\n")
    os.mkfifo(tmp_path / ".gitignore")
    files, problems = walk(tmp_path)
    assert files == {"a.env"}
    assert any(".gitignore: a FIFO; not opened" in p for p in problems)


def test_gitignore_symlinked_to_dev_zero_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text(f"T={TOKEN}\n")
    (tmp_path / ".gitignore").symlink_to("/dev/zero")
    files, problems = walk(tmp_path)
    assert files == {"a.env"}
    assert any(".gitignore: a symlink; not opened" in p for p in problems)


def test_gitignore_symlinked_outside_the_tree_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.gitignore"
    outside.write_text("*.env\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.env").write_text(f"T={TOKEN}\n")
    (tree / ".gitignore").symlink_to(outside)
    files, _ = walk(tree)
    assert "a.env" in files  # what is scanned does not depend on a file outside the tree


def test_git_info_exclude_fifo_and_symlinked_git_dir(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text(f"T={TOKEN}\n")
    (tmp_path / ".git" / "info").mkdir(parents=True)
    os.mkfifo(tmp_path / ".git" / "info" / "exclude")
    files, problems = walk(tmp_path)
    assert files == {"a.env"}
    assert any("exclude: a FIFO; not opened" in p for p in problems)
    other = tmp_path / "other"
    (other / ".gitdir" / "info").mkdir(parents=True)
    (other / ".gitdir" / "info" / "exclude").write_text("*.env\n")
    (other / "b.env").write_text(f"T={TOKEN}\n")
    (other / ".git").symlink_to(other / ".gitdir")
    files, _ = walk(other)
    assert "b.env" in files


def test_huge_gitignore_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text(f"T={TOKEN}\n")
    with open(tmp_path / ".gitignore", "wb") as fh:
        fh.truncate(64 << 20)  # sparse
    files, problems = walk(tmp_path)
    assert "a.env" in files
    assert any("larger than" in p for p in problems)


def test_special_files_in_tree_and_ignore_files_via_cli(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.env").write_text(f"T={TOKEN}\n")
    os.mkfifo(tree / ".keyguardignore")
    os.mkfifo(tree / "pipe.env")
    (tree / "zero.env").symlink_to("/dev/zero")
    result = keyguard(tmp_path, "scan", str(tree))
    assert result.exit_code == 1, result.output
    assert "pipe.env: not a regular file" in result.stderr


def test_scanned_file_swapped_for_fifo_is_not_opened(tmp_path: Path) -> None:
    from scanner.blob import Blob
    from scanner.models import Origin

    os.mkfifo(tmp_path / "late.env")
    blob = Blob.from_path(tmp_path / "late.env", Origin("late.env"), 10)
    with deadline(10), pytest.raises(OSError, match="a FIFO; not opened"):
        blob.open()


# -- config, baseline and rule files ------------------------------------------------------------


def broken_file_error(tmp_path: Path, flag: str, name: str, text: str) -> tuple[Path, str]:
    """Scan a file holding a token with ``flag FILE``, FILE (``name``) holding ``text``: exit 2
    and one line on stderr; that line and FILE's path."""
    (tmp_path / "a.env").write_text(f"T={TOKEN}\n")
    path = tmp_path / name
    path.write_text(text)
    result = keyguard(tmp_path, "scan", str(tmp_path / "a.env"), flag, str(path))
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    return path, line


DEEP_TOML = "x = " + "[" * 5000 + "]" * 5000 + "\n"
BIG_INT_TOML = "max_file_size = " + "9" * 5000 + "\n"
HUGE_VALUE_TOML = "max_file_size = 99999999999999999999999\n"
BAD_TOML = "this is = = not toml\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (DEEP_TOML, "invalid TOML"),
        (BIG_INT_TOML, "invalid TOML"),
        (HUGE_VALUE_TOML, "`max_file_size`: integer out of range"),
        (BAD_TOML, "invalid TOML"),
        ('[[rotation]]\nprovider = "exec"\nrules = ["x"]\ncommand = "true"\nretries = 1e400\n',
         "must be a finite number"),
        ("[allow]\nvalues = ['(((((((((((((((((((((((((((((((((((((']\n", "does not compile"),
    ],
    ids=["deep", "5000-digits", "out-of-range", "syntax", "inf", "bad-regex"],
)  # fmt: skip
def test_broken_config_is_a_user_error(tmp_path: Path, text: str, message: str) -> None:
    config, line = broken_file_error(tmp_path, "--config", "kg.toml", text)
    assert line.startswith(f"keyguard: error: {config}")
    assert message in line


@pytest.mark.parametrize("text", [DEEP_TOML, BIG_INT_TOML, BAD_TOML])
def test_broken_in_tree_keyguard_toml_is_a_user_error(
    tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / ".keyguard.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    result = keyguard(tmp_path, "scan", str(tree))
    assert result.exit_code == 2, result.output
    assert f"{tree / '.keyguard.toml'}: " in result.stderr


@pytest.mark.parametrize(
    "text",
    [DEEP_TOML, BIG_INT_TOML, BAD_TOML, "[tool.keyguard]\nmax_file_size = " + "9" * 30 + "\n"],
)
def test_broken_in_tree_pyproject_is_a_warning(
    tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.env").write_text(f"T={TOKEN}\n")
    (tree / "pyproject.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    result = keyguard(tmp_path, "scan", str(tree))
    if "tool.keyguard" in text:  # well-formed TOML, our section broken: that is ours, exit 2
        assert result.exit_code == 2, result.output
        return
    assert result.exit_code == 1, result.output
    assert f"{tree / 'pyproject.toml'}: invalid TOML" in result.stderr
    assert "ignored" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"version": ' + "1" * 5000 + ', "findings": []}', "not a keyguard baseline"),
        ("not json", "invalid JSON"),
        ('{"version": 1, "findings": {}}', "`findings` must be a list"),
    ],
    ids=["deep", "5000-digits", "syntax", "shape"],
)
def test_broken_baseline_is_a_user_error(tmp_path: Path, text: str, message: str) -> None:
    baseline, line = broken_file_error(tmp_path, "--baseline", "baseline.json", text)
    assert line.startswith(f"keyguard: error: {baseline}: ") and message in line


RULE = token_rule("kgbad.rule", "kgbad_", "[a-z]{8}", "kgbad_abcdefgh", name="n", description="d")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (DEEP_TOML, "invalid TOML"),
        (RULE + "min_entropy = " + "9" * 5000 + "\n", "invalid TOML"),
        (RULE + "min_entropy = " + "9" * 400 + "\n", "invalid value"),
        (RULE + "severity = " + "9" * 4500 + "\n", "invalid TOML"),
        (RULE.replace("(kgbad_", "((kgbad_"), "kgbad.rule"),
    ],
    ids=["deep", "5000-digits", "overflow", "huge-enum", "bad-pattern"],
)
def test_broken_rule_file_is_a_user_error(tmp_path: Path, text: str, message: str) -> None:
    rules, line = broken_file_error(tmp_path, "--rules", "bad.toml", text)
    assert line.startswith(f"keyguard: error: {rules}") and message in line


# -- header-only formats ------------------------------------------------------------------------


def sparse_safetensors(path: Path, size: int, metadata: dict[str, str]) -> None:
    header = json.dumps(
        {"__metadata__": metadata, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
    ).encode()
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(header)) + header)
        fh.truncate(size)  # sparse: no disk space used


def test_huge_safetensors_shard_is_not_skipped_for_size(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    shard = models / "model-00001-of-00009.safetensors"
    sparse_safetensors(shard, 4 << 30, {"hf_token": TOKEN})
    big_text = models / "big.txt"
    with open(big_text, "wb") as fh:
        fh.truncate(4 << 20)
    result = keyguard(tmp_path, "scan", str(models), "--max-file-size", "1MB", "-f", "json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert [Path(f["path"]).name for f in doc["findings"]] == [shard.name]
    assert "big.txt: larger than --max-file-size" in result.stderr
    assert ".safetensors:" not in result.stderr


def test_huge_gguf_is_not_skipped_but_a_fake_one_is(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    real = models / "real.gguf"
    with open(real, "wb") as fh:
        fh.write(b"GGUF" + struct.pack("<IQQ", 3, 0, 0))
        fh.truncate(4 << 30)
    fake = models / "fake.gguf"
    with open(fake, "wb") as fh:
        fh.write(b"NOTGGUF!")
        fh.truncate(4 << 20)
    result = keyguard(tmp_path, "scan", str(models), "--max-file-size", "1MB")
    assert "fake.gguf: larger than --max-file-size" in result.stderr
    assert "real.gguf: larger than" not in result.stderr


# -- text that a first look takes for binary ----------------------------------------------------


def test_secret_after_stray_nuls_and_in_utf32_is_found(tmp_path: Path) -> None:
    # a NUL in the first 4 KiB made the file binary and the secret after it was missed;
    # UTF-32 with a byte order mark was read as UTF-16 (little-endian) or as binary (big)
    tree = tmp_path / "tree"
    tree.mkdir()
    line = f"T={TOKEN}\n"
    log = b"".join(b"2024-01-01 request %d ok\n" % i for i in range(100))
    files = {
        "stray-nul.env": b"# header\0\n" + line.encode(),
        "zero-hole.log": log[:700] + b"\0" * 3000 + log + line.encode(),
        "le32.env": codecs.BOM_UTF32_LE + line.encode("utf-32-le"),
        "be32.env": codecs.BOM_UTF32_BE + line.encode("utf-32-be"),
    }
    for name, data in files.items():
        (tree / name).write_bytes(data)
    # an executable-like file: records with NULs all over; the token in it is not looked for
    records = b"".join(i.to_bytes(8, "little") + b"sym_%d\0" % i for i in range(400))
    (tree / "tool.bin").write_bytes(b"\x7fELF\x02\x01\x01\0" + records + line.encode())
    result = keyguard(tmp_path, "scan", str(tree), "-f", "json", "--show-secrets")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert {Path(f["path"]).name for f in doc["findings"]} == set(files)
    assert doc["stats"]["skipped"] == 1  # tool.bin: binary content skipped
