"""The staged index read in one ``git diff-index`` run answers as the two runs of their own do."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.models import SourceProblem
from scanner.sources import gitindex
from scanner.sources.gitindex import split_patch_with_raw
from scanner.sources.gitopen import open_repo
from testing.gitrepo import GitRepo, git_calls, git_repo

A, B = b"a" * 40, b"b" * 40
MODIFIED = b":100644 100644 " + A + b" " + B + b" M\0a.py\0"
RENAMED = b":100644 100644 " + A + b" " + B + b" R090\0old.py\0new.py\0"
PATCH = b"diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -0,0 +1 @@\n+x\n"


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        (b"", (b"", b"")),
        (MODIFIED + b"\0" + PATCH, (MODIFIED, PATCH)),
        (RENAMED + MODIFIED + b"\0" + PATCH, (RENAMED + MODIFIED, PATCH)),
        # a text file may hold a NUL past its first 8000 bytes: the patch keeps it
        (MODIFIED + b"\0" + PATCH + b"+a\0b\n", (MODIFIED, PATCH + b"+a\0b\n")),
        (MODIFIED + b"\0* Unmerged path c.py\n", (MODIFIED, b"* Unmerged path c.py\n")),
    ],
    ids=["empty", "raw-and-patch", "rename", "nul-in-patch", "unmerged"],
)
def test_split_patch_with_raw(out: bytes, expected: tuple[bytes, bytes]) -> None:
    assert split_patch_with_raw(out) == expected


@pytest.mark.parametrize(
    "out",
    [
        PATCH,  # no raw records before a patch
        MODIFIED,  # no patch after the records
        MODIFIED + PATCH,  # no NUL between them
        MODIFIED[:-1],  # a record cut short
        RENAMED[: RENAMED.index(b"new.py")],  # a rename without its second path
    ],
    ids=["patch-only", "raw-only", "no-separator", "truncated", "rename-cut"],
)
def test_split_patch_with_raw_refuses_other_output(out: bytes) -> None:
    assert split_patch_with_raw(out) is None


def _tricky(tmp_path: Path) -> GitRepo:
    """Staged changes of every kind the two runs tell apart: names git quotes in a patch, a
    rename, a mode change, a deletion, binary content, a NUL past 8000 bytes, a new file, a
    submodule."""
    repo = git_repo(tmp_path)
    repo.commit(
        "base",
        {
            "plain.txt": "a\nb\n",
            "tab\tname.txt": "x\n",
            'héllo "q".py': "x\n",
            "ren_src.txt": "keep this line\n" * 5,
            "mode.sh": "mode\n",
            "del.txt": "gone\n",
            "bin.dat": bytes(range(256)) * 4,
        },
    )
    repo.stage(
        {
            "plain.txt": "a\nB\nc\n",
            "tab\tname.txt": "x\ny\n",
            'héllo "q".py': "x\nz\n",
            "bin.dat": bytes(reversed(range(256))) * 4,
            "latenul.txt": b"x" * 9000 + b"\0tail\n",
            "new.txt": "new\nfile\n",
        },
        remove=("del.txt",),
    )
    repo.git("mv", "ren_src.txt", "ren_dst.txt")
    (repo.path / "mode.sh").chmod(0o755)
    repo.git("add", "mode.sh")
    sub = git_repo(repo.path, "sub")
    sub.commit("sub")
    repo.git("add", "sub")
    return repo


def _both_ways(repo: GitRepo) -> None:
    opened = open_repo(str(repo.path))
    one: list[SourceProblem] = []
    files, added = gitindex.staged_diff(opened, one)
    two: list[SourceProblem] = []
    assert files == gitindex.staged_changes(opened, two)
    assert one == two
    separate = gitindex.staged_added_lines(opened)
    # the lines of every scanned file (a submodule's are read by nothing)
    assert {f.raw_path: added.get(f.raw_path) for f in files} == {
        f.raw_path: separate.get(f.raw_path) for f in files
    }


def test_one_run_answers_as_two(tmp_path: Path) -> None:
    repo = _tricky(tmp_path)
    _both_ways(repo)
    problems: list[SourceProblem] = []
    files, added = gitindex.staged_diff(open_repo(str(repo.path)), problems)
    assert {f.path for f in files} >= {"plain.txt", "tab\tname.txt", 'héllo "q".py', "new.txt"}
    assert added[b"plain.txt"] == {2, 3}
    assert [p.where for p in problems] == ["sub"]


def test_one_run_before_the_first_commit_and_in_a_merge(tmp_path: Path) -> None:
    unborn = git_repo(tmp_path, "unborn")
    unborn.stage({"a.py": "x = 1\n"})
    _both_ways(unborn)
    repo = git_repo(tmp_path)
    repo.commit("base", {"c.py": "v = 0\n"})
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side", {"c.py": "v = 1\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main", {"c.py": "v = 2\n", "d.py": "w = 1\n"})
    assert repo.attempt("merge", "-q", "side").returncode != 0  # a conflict in c.py
    repo.stage({"e.py": "u = 3\n"})
    _both_ways(repo)


def test_one_git_run_and_the_two_when_it_reads_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _tricky(tmp_path)
    opened = open_repo(str(repo.path))
    expected = gitindex.staged_diff(opened, [])
    runs = git_calls(monkeypatch)
    assert gitindex.staged_diff(opened, []) == expected
    assert len(runs) == 1
    monkeypatch.setattr(gitindex, "split_patch_with_raw", lambda out: None)
    files, added = gitindex.staged_diff(opened, [])
    assert len(runs) == 1 + 3  # the one run, then it again and the two of their own
    assert files == expected[0]
    assert {f.raw_path: added.get(f.raw_path) for f in files} == {
        f.raw_path: expected[1].get(f.raw_path) for f in files
    }
