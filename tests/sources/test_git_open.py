"""open_repo: the one-call fast path inside a work tree answers as the step-by-step path does."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scanner.errors import SourceError
from scanner.sources import git as gitsrc
from scanner.sources import gitopen
from testing.gitrepo import git_calls, git_repo


def _slow(path: str, monkeypatch: pytest.MonkeyPatch) -> gitsrc.Repo:
    with monkeypatch.context() as m:
        m.setattr(gitopen, "_open_work_tree", lambda path, target, idle: None)
        return gitopen.open_repo(path)


@pytest.mark.parametrize("where", ["root", "subdir", "file", "unborn", "dot-git", "bare"])
def test_fast_and_slow_paths_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    repo = git_repo(tmp_path)
    if where != "unborn":
        repo.commit("one", {"pkg/mod.py": "x = 1\n"})
    target = {
        "root": repo.path,
        "subdir": repo.path / "pkg",
        "file": repo.path / "pkg" / "mod.py",
        "unborn": repo.path,
        "dot-git": repo.path / ".git",
        "bare": tmp_path / "bare.git",
    }[where]
    if where == "bare":
        subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(target)], check=True)
    slow = _slow(str(target), monkeypatch)
    calls = git_calls(monkeypatch)
    fast = gitopen.open_repo(str(target))
    assert fast == slow
    assert fast.bare is (where == "bare")
    assert (fast.head is None) is (where == "unborn")
    work_tree = where in ("root", "subdir", "file", "unborn")
    if work_tree:
        assert fast.root == repo.path.resolve()
    # inside a work tree: one git process; elsewhere the fast try plus the step-by-step path
    assert len(calls) == (1 if work_tree else 4 if where != "bare" else 3)


def test_not_a_repository_is_a_source_error(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(SourceError, match="not a git repository"):
        gitopen.open_repo(str(plain))


def test_resolve_commit_names_the_commit_or_none(tmp_path: Path) -> None:
    repo = git_repo(tmp_path)
    first = repo.commit("one", {"a.txt": "a\n"})
    second = repo.commit("two", {"b.txt": "b\n"})
    repo.git("tag", "v1", first)
    opened = gitopen.open_repo(str(repo.path))
    assert gitsrc.resolve_commit(opened, "main") == second
    assert gitsrc.resolve_commit(opened, "HEAD~1") == first
    assert gitsrc.resolve_commit(opened, "v1") == first
    assert gitsrc.resolve_commit(opened, "no-such-branch") is None
    assert gitsrc.resolve_commit(opened, "HEAD:a.txt") is None  # a blob, not a commit
    assert gitsrc.resolve_commit(opened, "--all") is None  # never read as an option
