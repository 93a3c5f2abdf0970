from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from scanner.cli import main
from testing.gitrepo import GitRepo, cli_args, fake_token


def staged(repo: GitRepo, rules: Path, *extra: str) -> tuple[int, list[dict], str]:
    res = CliRunner().invoke(
        main, ["git", str(repo.path), "--staged", "-f", "json", *cli_args(rules), *extra]
    )
    doc = json.loads(res.stdout) if res.stdout.strip().startswith("{") else {"findings": []}
    return res.exit_code, doc["findings"], res.stderr


def test_staged_first_commit_without_head(repo: GitRepo, rules: Path) -> None:
    repo.stage({"a.env": f"one\nT={fake_token(1)}\n"})
    code, findings, _ = staged(repo, rules)
    assert code == 1
    assert [(f["path"], f["line"]) for f in findings] == [("a.env", 2)]


def test_staged_clean_change_passes(repo: GitRepo, rules: Path) -> None:
    repo.commit("base", {"a.txt": "hello\n"})
    repo.stage({"a.txt": "hello world\n"})
    code, findings, _ = staged(repo, rules)
    assert code == 0 and findings == []


def test_staged_old_secret_on_untouched_line_is_not_flagged(repo: GitRepo, rules: Path) -> None:
    repo.commit("old", {"c.py": f"A = '{fake_token(2)}'\nB = 1\n"})
    repo.stage({"c.py": f"A = '{fake_token(2)}'\nB = 2\n"})
    code, findings, _ = staged(repo, rules)
    assert code == 0 and findings == []
    code, findings, _ = staged(repo, rules, "--whole-files")
    assert code == 1 and [f["line"] for f in findings] == [1]


def test_staged_changed_line_reports_staged_line_number(repo: GitRepo, rules: Path) -> None:
    repo.commit("old", {"c.py": "a = 1\nb = 2\nc = 3\n"})
    repo.stage({"c.py": f"a = 1\nnew = 0\nb = 2\nc = '{fake_token(3)}'\n"})
    code, findings, _ = staged(repo, rules)
    assert code == 1 and [f["line"] for f in findings] == [4]


def test_staged_reads_index_not_working_tree(repo: GitRepo, rules: Path) -> None:
    repo.commit("base", {"a.txt": "x\n"})
    # Secret staged, then removed in the working tree only: still blocked.
    repo.stage({"a.txt": f"x\nT={fake_token(4)}\n"})
    repo.write("a.txt", "x\n")
    code, findings, _ = staged(repo, rules)
    assert code == 1 and len(findings) == 1
    # Secret only in the working tree (unstaged): not flagged.
    repo.git("add", "a.txt")
    repo.write("a.txt", f"x\nT={fake_token(5)}\n")
    code, findings, _ = staged(repo, rules)
    assert code == 0 and findings == []


def test_staged_deletion_and_pure_rename_pass(repo: GitRepo, rules: Path) -> None:
    repo.commit("base", {"old.env": f"T={fake_token(6)}\n", "gone.env": f"T={fake_token(7)}\n"})
    repo.git("mv", "old.env", "new.env")
    repo.git("rm", "-q", "gone.env")
    code, findings, _ = staged(repo, rules)
    assert code == 0 and findings == []


def test_staged_rename_with_added_secret_is_flagged(repo: GitRepo, rules: Path) -> None:
    body = "".join(f"line {i}\n" for i in range(20))
    repo.commit("base", {"old.txt": body})
    repo.git("mv", "old.txt", "new.txt")
    repo.stage({"new.txt": body + f"T={fake_token(8)}\n"})
    code, findings, _ = staged(repo, rules)
    assert code == 1 and [(f["path"], f["line"]) for f in findings] == [("new.txt", 21)]


def test_staged_binary_zip_is_scanned_whole(repo: GitRepo, rules: Path) -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("inner/creds.txt", f"T={fake_token(9)}\n")
    repo.commit("base", {"readme": "x\n"})
    repo.stage({"bundle.zip": buf.getvalue()})
    code, findings, _ = staged(repo, rules)
    assert code == 1
    assert findings[0]["location"] == "bundle.zip!inner/creds.txt"


def test_staged_merge_in_progress_with_conflict(repo: GitRepo, rules: Path) -> None:
    repo.commit("base", {"f.txt": "base\n", "other.txt": "o\n"})
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side", {"f.txt": "side\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main", {"f.txt": "main\n"})
    repo.git("merge", "-q", "side", check=False)
    repo.stage({"other.txt": f"o\nT={fake_token(10)}\n"})
    code, findings, err = staged(repo, rules)
    assert code == 1
    assert [f["path"] for f in findings] == ["other.txt"]
    assert "f.txt: unmerged" in err


def test_staged_nothing_staged_exits_zero(repo: GitRepo, rules: Path) -> None:
    repo.commit("base", {"a": "b\n"})
    code, findings, err = staged(repo, rules)
    assert (code, findings, err) == (0, [], "")


def test_staged_non_utf8_path(repo: GitRepo, rules: Path) -> None:
    repo.commit("base", {"a": "b\n"})
    name = b"caf\xe9.env"
    (repo.path / name.decode("utf-8", "surrogateescape")).write_bytes(
        f"T={fake_token(11)}\n".encode()
    )
    repo.git("add", "-A")
    code, findings, _ = staged(repo, rules)
    assert code == 1
    assert findings[0]["path"] == "caf\\xe9.env"
