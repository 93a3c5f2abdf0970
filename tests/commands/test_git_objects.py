"""History scanning by reachable blobs: each blob once, introductions only for blobs with
findings (scanner.sources.gitobjects)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import scanner.sources.gitlog as gitlog
import scanner.sources.gitobjects as gitobjects
from scanner.cli import main
from scanner.extractors import Limits
from scanner.sources.gitblobs import ReadStats
from scanner.sources.gitcat import CatFile
from scanner.sources.gitobjects import ReachableBlobs, excludes_commits, introductions_of
from scanner.sources.gitopen import open_repo
from testing.gitrepo import GitRepo, cli_args, fake_token


def run_git(repo: GitRepo, rules: Path, *extra: str) -> tuple[int, dict]:
    result = CliRunner().invoke(
        main, ["git", str(repo.path), "-f", "json", *cli_args(rules), *extra]
    )
    out = result.stdout
    return result.exit_code, json.loads(out) if out.strip().startswith("{") else {}


def test_excludes_commits() -> None:
    assert not excludes_commits(["--all"])
    assert not excludes_commits(["main", "abc123"])
    assert excludes_commits(["a..HEAD"])
    assert excludes_commits(["new", "^old"])
    assert excludes_commits(["new", "--not", "--remotes"])


def test_blob_reachable_only_from_a_tag(repo: GitRepo, rules: Path) -> None:
    repo.commit("base", {"README": "hello\n"})
    repo.git("checkout", "-q", "-b", "gone")
    tagged = repo.commit("tagged secret", {"t.env": f"T={fake_token(21)}\n"})
    repo.git("tag", "-a", "-m", "release", "v1")
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-q", "-D", "gone")
    code, doc = run_git(repo, rules)
    assert code == 1
    [f] = doc["findings"]
    assert (f["path"], f["provenance"]["commit"]) == ("t.env", tagged)
    assert f["provenance"]["in_head"] == "false"


def test_blob_at_two_paths_in_one_commit_and_later(repo: GitRepo, rules: Path) -> None:
    content = f"k={fake_token(22)}\n"
    c1 = repo.commit("two", {"a.txt": content, "b/c.txt": content})
    c2 = repo.commit("three", {"z/copy.txt": content})
    repo.commit("edit a", {"a.txt": "clean\n" + content})
    code, doc = run_git(repo, rules)
    assert code == 1
    got = sorted((f["path"], f["provenance"]["commit"]) for f in doc["findings"])
    assert got == [("a.txt", c1), ("b/c.txt", c1), ("z/copy.txt", c2)]
    assert doc["stats"]["files"] == 2  # the shared blob once, the edited a.txt once


def test_whole_history_does_not_use_the_full_introduction_list(
    repo: GitRepo, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c1 = repo.commit("secret", {"s.env": f"T={fake_token(23)}\n"})
    repo.commit("clean", {"x.txt": "nothing\n"})

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("iter_introductions must not run for a whole-history scan")

    monkeypatch.setattr(gitlog, "iter_introductions", forbidden)
    code, doc = run_git(repo, rules)
    assert code == 1
    assert [f["provenance"]["commit"] for f in doc["findings"]] == [c1]


def test_range_still_uses_the_log(repo: GitRepo, rules: Path) -> None:
    # a.txt's blob is reachable from the excluded base; re-adding it at a new path in the range
    # is still an introduction there
    content = f"k={fake_token(24)}\n"
    repo.commit("old", {"a.txt": content})
    base = repo.git("rev-parse", "HEAD")
    c2 = repo.commit("copy", {"again.txt": content})
    code, doc = run_git(repo, rules, "--since", base)
    assert code == 1
    assert [(f["path"], f["provenance"]["commit"]) for f in doc["findings"]] == [("again.txt", c2)]


def test_only_blobs_with_findings_get_introductions(repo: GitRepo) -> None:
    files = {f"f{i}.txt": f"n={i}\n" for i in range(20)}
    repo.commit("many", files)
    repo.commit("more", {f"f{i}.txt": f"n={i}!\n" for i in range(10)})
    wanted = repo.git("rev-parse", "HEAD:f15.txt")
    r = open_repo(str(repo.path))
    problems: list = []
    intros = list(introductions_of(r, ["--all"], {wanted}, problems))
    assert [(i.blob, i.path) for i in intros] == [(wanted, "f15.txt")]
    assert problems == []
    assert list(introductions_of(r, ["--all"], set(), problems)) == []


def test_reachable_blobs_stream_in_bounded_groups(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.commit("many", {f"f{i}.txt": f"n={i}\n" for i in range(10)})
    repo.commit("more", {f"f{i}.txt": f"n={i}!\n" for i in range(5)})
    monkeypatch.setattr(gitobjects, "GROUP", 3)
    sizes: list[int] = []
    real = gitobjects.GitBlobs

    def spy(cat, wanted, limits, stats):  # type: ignore[no-untyped-def]
        sizes.append(len(wanted))
        return real(cat, wanted, limits, stats)

    monkeypatch.setattr(gitobjects, "GitBlobs", spy)
    r = open_repo(str(repo.path))
    source = ReachableBlobs(r, ["--all"], CatFile(r), Limits(), ReadStats())
    keys = [b.key for b in source.items()]
    assert len(keys) == len(set(keys)) == 15
    assert max(sizes) <= 3 and sum(sizes) == 15
    assert source.failed is None and not source.gitmodules


def test_missing_blob_listed_by_rev_list_is_counted(repo: GitRepo) -> None:
    repo.commit("one", {"a.txt": "a\n", "b.txt": "b\n"})
    blob = repo.git("rev-parse", "HEAD:b.txt")
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    r = open_repo(str(repo.path))
    stats = ReadStats()
    source = ReachableBlobs(r, ["--all"], CatFile(r), Limits(), stats)
    assert [b.origin.path for b in source.items()] == ["a.txt"]
    assert stats.missing == 1 and source.failed is None
