from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from testing.gitrepo import cli_args, fake_token, git_repo


def run(path: Path, rules: Path, *extra: str) -> tuple[int, dict, str]:
    res = CliRunner().invoke(main, ["git", str(path), "-f", "json", *cli_args(rules), *extra])
    doc = json.loads(res.stdout) if res.stdout.strip().startswith("{") else {}
    return res.exit_code, doc, res.stderr


def test_not_a_repository_exits_2(tmp_path: Path, rules: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    code, _, err = run(plain, rules)
    assert code == 2
    assert "not a git repository" in err


def test_missing_path_exits_2(tmp_path: Path, rules: Path) -> None:
    code, _, err = run(tmp_path / "nope", rules)
    assert code == 2 and "no such file or directory" in err


def test_empty_repository_exits_2_with_hint(tmp_path: Path, rules: Path) -> None:
    repo = git_repo(tmp_path)
    code, _, err = run(repo.path, rules)
    assert code == 2
    assert "no commits yet" in err


def test_unknown_revision_exits_2(tmp_path: Path, rules: Path) -> None:
    repo = git_repo(tmp_path)
    repo.commit("one", {"a": "b\n"})
    code, _, err = run(repo.path, rules, "--since", "no-such-branch")
    assert code == 2 and "unknown revision" in err


def test_shallow_clone_warns_history_is_partial(tmp_path: Path, rules: Path) -> None:
    repo = git_repo(tmp_path)
    repo.commit("one", {"a.txt": f"T={fake_token(1)}\n"})
    c2 = repo.commit("two", {"b.txt": f"T={fake_token(2)}\n"})
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)], check=True
    )
    code, doc, err = run(clone, rules)
    assert code == 1, err
    assert "shallow clone: history is partial" in err
    assert {f["provenance"]["commit"] for f in doc["findings"]} == {c2}


def _garble(obj: Path) -> None:
    obj.write_bytes(b"garbage that is not zlib")


@pytest.mark.parametrize(
    ("damage", "message"),
    [(Path.unlink, "missing or corrupt"), (_garble, "warning")],
    ids=["missing", "corrupt"],
)
def test_damaged_object_warns_and_continues(
    tmp_path: Path, rules: Path, damage: Callable[[Path], None], message: str
) -> None:
    repo = git_repo(tmp_path)
    repo.commit("one", {"a.txt": f"T={fake_token(3)}\n", "b.txt": f"T={fake_token(4)}\n"})
    blob = repo.git("rev-parse", "HEAD:b.txt")
    obj = repo.path / ".git" / "objects" / blob[:2] / blob[2:]
    os.chmod(obj, 0o644)  # loose objects are read-only
    damage(obj)
    code, doc, err = run(repo.path, rules)
    assert code == 1
    assert [f["path"] for f in doc["findings"]] == ["a.txt"]
    assert message in err


def test_submodule_not_descended(tmp_path: Path, rules: Path) -> None:
    sub = git_repo(tmp_path, "sub")
    sub.commit("sub secret", {"s.txt": f"T={fake_token(7)}\n"})
    repo = git_repo(tmp_path)
    repo.git(
        "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "vendor/sub"
    )
    repo.commit("add submodule")
    code, doc, err = run(repo.path, rules)
    assert code == 0 and doc["findings"] == []
    assert "vendor/sub: submodule; not descended" in err


def test_lfs_pointer_reported_as_pointer(tmp_path: Path, rules: Path) -> None:
    repo = git_repo(tmp_path)
    pointer = (
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" * 32 + "\nsize 12345\n"
    )
    repo.commit("lfs", {"model.bin": pointer})
    code, _, err = run(repo.path, rules)
    assert code == 0
    assert "1 Git LFS pointer file(s) (e.g. model.bin)" in err


def test_huge_blob_skipped_rest_scanned(tmp_path: Path, rules: Path) -> None:
    repo = git_repo(tmp_path)
    repo.commit("big", {"big.bin": b"\0" * 300_000, "a.txt": f"T={fake_token(8)}\n"})
    code, doc, err = run(repo.path, rules, "--max-file-size", "100KB")
    assert code == 1
    assert [f["path"] for f in doc["findings"]] == ["a.txt"]
    assert "big.bin: blob larger than --max-file-size" in err


def test_non_utf8_path_and_message_in_history(tmp_path: Path, rules: Path) -> None:
    repo = git_repo(tmp_path)
    raw = b"d\xe9j\xe0.env"
    (repo.path / os.fsdecode(raw)).write_bytes(f"T={fake_token(9)}\n".encode())
    repo.git("add", "-A")
    repo.git("-c", "i18n.commitEncoding=latin-1", "commit", "-q", "-m", "caf\u00e9 latin")
    code, doc, _ = run(repo.path, rules)
    assert code == 1
    [f] = doc["findings"]
    assert f["path"] == "d\\xe9j\\xe0.env"
    assert f["provenance"]["summary"].startswith("caf")


def test_bare_repository_history_and_staged(tmp_path: Path, rules: Path) -> None:
    repo = git_repo(tmp_path)
    repo.commit("one", {"a.txt": f"T={fake_token(10)}\n"})
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    code, doc, _ = run(bare, rules)
    assert code == 1 and len(doc["findings"]) == 1
    code, _, err = run(bare, rules, "--staged")
    assert code == 2 and "bare repository" in err


def test_option_conflicts_are_usage_errors(tmp_path: Path, rules: Path) -> None:
    repo = git_repo(tmp_path)
    repo.commit("one", {"a": "b\n"})
    code, _, _ = run(repo.path, rules, "--staged", "--since", "HEAD")
    assert code == 2
    code, _, _ = run(repo.path, rules, "--whole-files")
    assert code == 2
