"""git never stalls a scan for ever: the work tree's ``.gitattributes`` are not read for the
staged patch (a FIFO there blocked ``git diff-index``), and every git process that makes no
progress is stopped with its process group (``gitwatch``), reported in one line naming the
repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scanner.sources.git import Repo
from scanner.sources.gitwatch import Watchdog, WatchedStream, communicate
from testing.gitrepo import (
    GitRepo,
    fake_token,
    git_repo,
    json_secrets,
    keyguard_git,
    write_test_rules,
)
from testing.timeouts import deadline

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and process groups")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    repo = git_repo(tmp_path, "stalls")
    write_test_rules(tmp_path)
    repo.commit("one", {"a.env": "A=1\n", "sub/b.env": "B=1\n"})
    monkeypatch.chdir(tmp_path)
    return repo


@pytest.mark.parametrize(
    "where", [".gitattributes", "sub/.gitattributes", "sub/deep/x/.gitattributes"]
)
@pytest.mark.parametrize("args", [(), ("--whole-files",)])
def test_fifo_gitattributes_in_the_work_tree_does_not_stall_the_staged_check(
    repo: GitRepo, where: str, args: tuple[str, ...]
) -> None:
    # git diff-index --patch read the FIFO to learn the diff attributes: the hook hung for ever
    repo.stage({"sub/deep/x/c.env": f"T={fake_token(1)}\n", "sub/b.env": f"B={fake_token(2)}\n"})
    os.mkfifo(repo.path / where)
    result = keyguard_git(repo, "--staged", *args)
    assert result.exit_code == 1, result.output
    assert json_secrets(result) == {fake_token(1), fake_token(2)}


@pytest.mark.parametrize("planted", ["fifo", "open-to-all"])
def test_the_kept_empty_work_tree_is_not_used_unless_private_and_empty(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, planted: str
) -> None:
    # the staged patch runs in a directory kept in $TMPDIR: what is put there is not read
    temp = tmp_path / "temp"
    kept = temp / f"keyguard-{os.getuid()}-empty"
    kept.mkdir(parents=True)
    if planted == "fifo":
        os.mkfifo(kept / ".gitattributes")
    else:
        kept.chmod(0o777)
    monkeypatch.setenv("TMPDIR", str(temp))
    repo.stage({"c.env": f"T={fake_token(6)}\n"})
    result = keyguard_git(repo, "--staged")
    assert result.exit_code == 1, result.output
    assert json_secrets(result) == {fake_token(6)}
    assert sorted(p.name for p in temp.iterdir()) == [kept.name]  # the new one is gone


def test_attributes_staged_in_the_index_still_apply(repo: GitRepo) -> None:
    # the patch reads the index's attributes: a file they make binary has no hunks, so every
    # finding of its changed blob is kept (as for any binary change)
    repo.stage({".gitattributes": "*.env -diff\n"})
    repo.commit("attrs")
    repo.stage({"a.env": f"A=1\nT={fake_token(3)}\n"})
    os.unlink(repo.path / ".gitattributes")
    os.mkfifo(repo.path / ".gitattributes")
    result = keyguard_git(repo, "--staged")
    assert result.exit_code == 1, result.output
    assert json_secrets(result) == {fake_token(3)}


def test_a_hooks_relative_index_file_is_the_index_checked(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``git commit`` runs its hooks with GIT_INDEX_FILE=.git/index.lock (relative): the patch,
    # run elsewhere, read no index at all and passed every commit
    repo.env["GIT_INDEX_FILE"] = ".git/hook-index"
    repo.git("read-tree", "HEAD")
    repo.stage({"c.env": f"T={fake_token(5)}\n"})
    del repo.env["GIT_INDEX_FILE"]
    monkeypatch.setenv("GIT_INDEX_FILE", ".git/hook-index")
    monkeypatch.chdir(repo.path)
    result = keyguard_git(repo, "--staged")
    assert result.exit_code == 1, result.output
    assert json_secrets(result) == {fake_token(5)}


def _alternate_with_fifo(repo: GitRepo, tmp_path: Path) -> None:
    """An alternate object directory (outside ``.git``: not walked by the special-file check)
    whose pack index is a FIFO: git blocks opening it when it looks an object up."""
    pack = tmp_path / "alternate" / "objects" / "pack"
    pack.mkdir(parents=True)
    name = "pack-" + "0123456789abcdef" * 2 + "01234567"
    os.mkfifo(pack / f"{name}.idx")
    (pack / f"{name}.pack").write_bytes(b"")
    alternates = repo.path / ".git" / "objects" / "info" / "alternates"
    alternates.write_text(f"{pack.parent}\n")


@pytest.mark.parametrize("args", [("--staged",), ()], ids=["staged", "history"])
def test_stalled_git_is_stopped_and_named_in_one_line(
    repo: GitRepo, tmp_path: Path, args: tuple[str, ...]
) -> None:
    repo.stage({"c.env": f"T={fake_token(4)}\n"})
    _alternate_with_fifo(repo, tmp_path)
    started = time.monotonic()
    result = keyguard_git(repo, *args, "--git-timeout", "1")
    assert time.monotonic() - started < 30
    assert "Traceback" not in result.output
    if args:  # the staged diff cannot be had: the check fails, naming the repository
        assert result.exit_code == 2, result.output
        (line,) = result.stderr.strip().splitlines()
        assert re.match(
            rf"keyguard: error: {re.escape(str(repo.path))}: git [a-z-]+ made no progress for 1s",
            line,
        )
    else:  # the history listing stopped: reported, the scan ends with what it has
        assert f"{repo.path}" in result.stderr and "no progress for 1s" in result.stderr


# -- the watchdog itself ------------------------------------------------------------------------

# a shell that starts a grandchild holding the pipes open, then waits for it: the grandchild must
# be killed with it (a stalled git's helpers too)
_FAMILY = "sleep 60 & echo $!; wait"


def _spawn(script: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["sh", "-c", script],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as fh:  # a zombie waiting for its parent is gone too
        return fh.read().split(") ")[1].startswith("Z")


def test_communicate_stops_a_silent_process_group() -> None:
    proc = _spawn(_FAMILY)
    with deadline(20):
        assert communicate(proc, None, 0.5) is None
    assert proc.returncode is not None
    assert proc.stdout is not None


def test_communicate_passes_input_and_output_through() -> None:
    proc = subprocess.Popen(
        ["sh", "-c", "cat; echo done >&2"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    data = os.urandom(1 << 20)  # more than a pipe holds: written while output is read
    with deadline(20):
        streams = communicate(proc, data, 5)
    assert streams == (data, b"done\n")


def test_watched_stream_kills_the_group_when_waiting_for_nothing() -> None:
    with _spawn(_FAMILY) as proc:
        assert proc.stdout is not None
        watchdog = Watchdog(proc, 0.5)
        stream = WatchedStream(proc.stdout, watchdog)
        with deadline(20):
            grandchild = int(stream.readline())
            assert stream.readline() == b""  # the stall ends the stream
        watchdog.stop()
    assert watchdog.stalled
    assert proc.returncode != 0
    deadline_at = time.monotonic() + 5
    while not _gone(grandchild) and time.monotonic() < deadline_at:
        time.sleep(0.05)
    assert _gone(grandchild)


def test_slow_but_steady_output_and_time_spent_elsewhere_are_not_stalls() -> None:
    with _spawn("for i in 1 2 3 4 5 6; do echo $i; sleep 0.3; done") as proc:
        assert proc.stdout is not None
        watchdog = Watchdog(proc, 1.0)
        stream = WatchedStream(proc.stdout, watchdog)
        with deadline(20):
            first = stream.readline()
            time.sleep(1.5)  # keyguard busy: git waits on us, not we on git
            lines = [first, *stream]
        watchdog.stop()
    assert not watchdog.stalled
    assert lines == [f"{i}\n".encode() for i in range(1, 7)]
    assert proc.returncode == 0


# -- cat-file: a stalled object read ends the reads, not the scan ------------------------------


def _silent_cat_file(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """``git cat-file --batch`` replaced by a process that takes requests and never answers
    (as git blocked on a FIFO pack would); the pids it started."""
    from scanner.sources import gitcat

    started: list[int] = []

    def silent(repo: object) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            ["sh", "-c", "read request; sleep 60"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            process_group=0,
        )
        started.append(proc.pid)
        return proc

    monkeypatch.setattr(gitcat, "batch_process", silent)
    return started


def _stalled_repo(tmp_path: Path) -> Repo:
    return Repo("stalled", tmp_path, tmp_path / ".git", False, False, None, idle=0.5)


def test_cat_file_that_stalls_leaves_the_rest_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scanner.sources.gitcat import CatFile

    started = _silent_cat_file(monkeypatch)
    shas = [f"{i:040x}" for i in range(5)]
    cat = CatFile(_stalled_repo(tmp_path))
    with deadline(20):
        assert list(cat.contents(shas)) == [(sha, None) for sha in shas]
    assert len(started) == 1  # stalled: not restarted for every object
    assert all(_gone(pid) for pid in started)


def test_batch_session_that_stalls_answers_none_from_then_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scanner.sources.gitcat import BatchSession

    started = _silent_cat_file(monkeypatch)
    session = BatchSession(_stalled_repo(tmp_path))
    shas = [f"{i:040x}" for i in range(3)]
    with deadline(20):
        assert session.read(shas) == [(sha, None) for sha in shas]
        assert session.read(shas[:1]) == [(shas[0], None)]
    session.close()
    assert len(started) == 1
    assert all(_gone(pid) for pid in started)


def test_a_large_input_and_output_do_not_deadlock() -> None:
    """Writing more than a pipe holds while git writes more than a pipe holds back (cat-file
    --batch-check of a whole history's blobs): the write must not block the reads."""
    data = b"0123456789abcdef0123456789abcdef01234567\n" * 50_000  # 2 MB
    proc = subprocess.Popen(
        ["cat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        process_group=0,
    )
    with deadline(30):
        streams = communicate(proc, data, idle=20)
    assert streams is not None
    assert streams[0] == data
