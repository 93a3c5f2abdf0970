"""Streaming git processes (``git.git_output``): stdout as it comes, stderr drained, the process
reaped however the reading ends, and a failure reported once with git's own message."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.models import SourceProblem
from scanner.sources.git import git_output
from scanner.sources.gitlog import iter_log_records
from scanner.sources.gitobjects import ReachableBlobs
from scanner.sources.gitopen import open_repo
from testing.gitrepo import GitRepo, git_repo


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = git_repo(tmp_path)
    for n in range(3):
        repo.commit(f"commit {n}", {f"f{n}.txt": f"line {n}\n" * 2000})
    return repo


def test_output_streams_stdout_and_reports_nothing_on_success(repo: GitRepo) -> None:
    errors: list[str] = []
    with git_output(repo.path, ["rev-list", "HEAD"], errors.append) as out:
        shas = out.read().split()
    assert [s.decode() for s in shas] == repo.git("rev-list", "HEAD").split()
    assert errors == []


def test_output_reports_the_failure_with_git_message(repo: GitRepo) -> None:
    errors: list[str] = []
    with git_output(repo.path, ["log", "no-such-branch", "--"], errors.append) as out:
        assert out.read() == b""
    assert len(errors) == 1
    assert "no-such-branch" in errors[0] and not errors[0].startswith("fatal:")


def test_output_reaped_when_the_reader_stops_early(repo: GitRepo) -> None:
    errors: list[str] = []
    with git_output(repo.path, ["log", "-p", "HEAD"], errors.append) as out:
        assert out.read(10)
    assert out.closed  # and the process waited for: no ResourceWarning (warnings are errors)
    assert len(errors) <= 1  # git may report the broken pipe


def test_output_reaped_when_the_body_raises(repo: GitRepo) -> None:
    errors: list[str] = []
    with (
        pytest.raises(KeyError),
        git_output(repo.path, ["log", "-p", "HEAD"], errors.append) as out,
    ):
        raise KeyError("stop")
    assert out.closed


def test_log_records_failure_is_a_problem(repo: GitRepo) -> None:
    problems: list[SourceProblem] = []
    records = list(iter_log_records(open_repo(str(repo.path)), ["no-such-branch"], problems))
    assert records == []
    [problem] = problems
    assert problem.message.startswith("git log stopped early (") and "partial" in problem.message


def test_log_records_one_per_commit(repo: GitRepo) -> None:
    problems: list[SourceProblem] = []
    records = list(iter_log_records(open_repo(str(repo.path)), ["HEAD"], problems))
    assert len(records) == 3 and problems == []


def test_reachable_blobs_failure_is_recorded(repo: GitRepo) -> None:
    source = ReachableBlobs(open_repo(str(repo.path)), ["no-such-branch"], None, None, None)  # type: ignore[arg-type]
    assert list(source._objects()) == []
    assert source.failed is not None and "no-such-branch" in source.failed
