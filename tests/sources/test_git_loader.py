"""Git blobs handed over by id and read where they are scanned (``GitBlobs.light_items``,
``GitLoader``, ``gitcat.BatchSession``), and the pool's ``Loader`` seam."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import scanner.engine.pool as pool
from scanner.blob import Blob
from scanner.cli import main
from scanner.engine.pool import BlobPool
from scanner.extractors import Limits
from scanner.models import Origin, SourceProblem
from scanner.rulebook.loader import load_ruleset
from scanner.sources.gitblobs import GitLoader, ReadStats
from scanner.sources.gitcat import LFS_MAX, BatchSession, CatFile
from scanner.sources.gitobjects import ReachableBlobs
from scanner.sources.gitopen import open_repo
from testing.gitrepo import GitRepo, cli_args, fake_token, git_repo, write_test_rules
from testing.scan import ENGINES, build
from testing.tokens import github_token


def _filler(n: int, size: int) -> str:
    line = f"value_{n} = {n * 7919 % 100003}  # filler line of a large text file\n"
    return line * (size // len(line) + 1)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return git_repo(tmp_path)


def _loose(repo: GitRepo, sha: str) -> Path:
    obj = repo.path / ".git" / "objects" / sha[:2] / sha[2:]
    os.chmod(obj, 0o644)  # loose objects are read-only
    return obj


def test_light_items_hand_large_blobs_over_by_id(repo: GitRepo) -> None:
    repo.commit("one", {"small.txt": "tiny\n", "big.txt": _filler(1, 3 * LFS_MAX)})
    r = open_repo(str(repo.path))
    stats = ReadStats()
    items = {
        b.origin.path: b
        for b in ReachableBlobs(r, ["--all"], CatFile(r), Limits(), stats, lazy=True).items()
    }
    assert set(items) == {"small.txt", "big.txt"}
    small, big = items["small.txt"], items["big.txt"]
    assert small.data == b"tiny\n"  # short enough to be a Git LFS pointer: read here
    assert big.data is None and big.path is None and big.size >= 3 * LFS_MAX
    assert big.key == repo.git("rev-parse", "HEAD:big.txt")
    loader = GitLoader(r)
    try:
        loaded = list(loader.load([big, small]))
    finally:
        loader.close()
    assert loaded[1] is small
    full = loaded[0]
    assert isinstance(full, Blob)
    assert full.data == (repo.path / "big.txt").read_bytes()
    assert (full.size, full.key, full.origin, full.name) == (
        big.size,
        big.key,
        big.origin,
        "big.txt",
    )


def test_batch_session_skips_missing_and_corrupt_objects_and_goes_on(repo: GitRepo) -> None:
    files = {f"f{i}.txt": _filler(i, 2 * LFS_MAX) for i in range(3)}
    repo.commit("one", files)
    ids = [repo.git("rev-parse", f"HEAD:f{i}.txt") for i in range(3)]
    # truncated: git still reads the header (type, size), then dies streaming the content
    obj = _loose(repo, ids[1])
    obj.write_bytes(obj.read_bytes()[: len(obj.read_bytes()) // 2])
    missing = "1234567890123456789012345678901234567890"
    session = BatchSession(open_repo(str(repo.path)))
    try:
        got = session.read([ids[0], missing, ids[1], ids[2], ids[0]])
    finally:
        session.close()
    assert [sha for sha, _ in got] == [ids[0], missing, ids[1], ids[2], ids[0]]
    assert got[0][1] == got[4][1] == files["f0.txt"].encode()
    assert got[1][1] is None and got[2][1] is None
    assert got[3][1] == files["f2.txt"].encode()


def _read_in_child(session: BatchSession, sha: str, conn: object) -> None:
    data = session.read([sha])[0][1]
    conn.send((os.getpid(), session._pid, data))  # type: ignore[attr-defined]
    session.close()


def test_batch_session_forked_copy_starts_its_own_git(repo: GitRepo) -> None:
    repo.commit("one", {"a.txt": _filler(5, 2 * LFS_MAX)})
    sha = repo.git("rev-parse", "HEAD:a.txt")
    session = BatchSession(open_repo(str(repo.path)))
    try:
        assert session.read([sha])[0][1] is not None
        parent_git = session._proc
        assert parent_git is not None
        ctx = multiprocessing.get_context("fork")
        here, there = ctx.Pipe()
        child = ctx.Process(target=_read_in_child, args=(session, sha, there))
        child.start()
        assert here.poll(30)
        pid, owner, data = here.recv()
        child.join(30)
        assert child.exitcode == 0
        assert owner == pid != os.getpid()
        assert data == (repo.path / "a.txt").read_bytes()
        # the parent's git was not touched by the child: it still answers
        assert session._proc is parent_git and parent_git.poll() is None
        assert session.read([sha])[0][1] == data
    finally:
        session.close()
    assert parent_git.poll() is not None


class _Problems:
    """A loader that cannot read blobs named ``*.gone``."""

    def load(self, blobs: Sequence[Blob]) -> list[Blob | SourceProblem]:
        return [
            SourceProblem(b.origin.path, "object missing or corrupt; skipped")
            if b.name.endswith(".gone")
            else b
            for b in blobs
        ]


def test_pool_loader_problem_is_a_skipped_blob(session_cache: Path) -> None:
    matcher = build(load_ruleset(only=["github.*"]), ENGINES[-1], session_cache)
    token = github_token()
    items = [
        Blob.from_bytes(f"T={token}\n".encode(), Origin(path="a.env"), "a.env", key="k1"),
        Blob(origin=Origin(path="b.gone"), name="b.gone", size=10, key="k2"),
    ]
    with BlobPool(matcher, Limits(), jobs=1, loader=_Problems()) as p:
        out = {b.origin.path: r for b, r in p.scan(items)}
    assert len(out["a.env"].findings) == 1
    assert out["b.gone"].skipped == 1 and out["b.gone"].findings == []
    assert [x.message for x in out["b.gone"].problems] == ["object missing or corrupt; skipped"]
    # an inline pool keeps where content was found, not the content
    with BlobPool(matcher, Limits(), jobs=1) as p:
        list(p.scan(items[:1]))
        assert all(b.data is None for b, _ in p._seen.done.values())


def _run(repo: GitRepo, rules: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(
        main, ["git", str(repo.path), "-f", "json", *cli_args(rules), *extra]
    )
    doc = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
    return result.exit_code, doc, result.stderr


def test_history_workers_read_their_own_blobs(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = write_test_rules(tmp_path)
    files = {f"d/f{i:02d}.txt": _filler(i, 2 * LFS_MAX) for i in range(40)}
    files["d/f17.txt"] = _filler(17, 2 * LFS_MAX) + f"T={fake_token(17)}\n"
    files["small.env"] = f"T={fake_token(18)}\n"
    c1 = repo.commit("many", files)
    c2 = repo.commit("edit", {"d/f03.txt": _filler(3, 2 * LFS_MAX) + f"K={fake_token(19)}\n"})
    serial = _run(repo, rules, "--jobs", "1")
    read_here: list[str] = []
    real = CatFile.contents

    def spy(self: CatFile, shas: list[str]):  # type: ignore[no-untyped-def]
        read_here.extend(shas)
        return real(self, shas)

    monkeypatch.setattr(CatFile, "contents", spy)
    monkeypatch.setattr(pool, "PARALLEL_MIN_BYTES", 0)
    parallel = _run(repo, rules, "--jobs", "2")
    assert parallel[0] == serial[0] == 1, parallel[2]
    assert parallel[1]["findings"] == serial[1]["findings"]
    got = {(f["path"], f["provenance"]["commit"]) for f in parallel[1]["findings"]}
    assert got == {("d/f17.txt", c1), ("small.env", c1), ("d/f03.txt", c2)}
    assert parallel[1]["stats"]["files"] == serial[1]["stats"]["files"] == 42
    # the parent read only the blobs short enough to be Git LFS pointers
    large = {repo.git("rev-parse", f"{c1}:d/f{i:02d}.txt") for i in range(40)}
    assert read_here and not large.intersection(read_here)


def test_history_blob_unreadable_in_a_worker_is_reported(repo: GitRepo, tmp_path: Path) -> None:
    rules = write_test_rules(tmp_path)
    repo.commit(
        "one",
        {
            "a.txt": _filler(1, 2 * LFS_MAX) + f"T={fake_token(21)}\n",
            "b.txt": _filler(2, 2 * LFS_MAX),
        },
    )
    obj = _loose(repo, repo.git("rev-parse", "HEAD:b.txt"))
    obj.write_bytes(obj.read_bytes()[: len(obj.read_bytes()) // 2])
    code, doc, err = _run(repo, rules)
    assert code == 1
    assert [f["path"] for f in doc["findings"]] == ["a.txt"]
    assert "b.txt" in err and "missing or corrupt" in err


def test_batch_session_copied_to_a_spawned_worker_starts_its_own_git(repo: GitRepo) -> None:
    repo.commit("one", {"a.txt": "a\n"})
    sha = repo.git("rev-parse", "HEAD:a.txt")
    session = BatchSession(open_repo(str(repo.path)))
    try:
        assert session.read([sha]) == [(sha, b"a\n")]
        copy = pickle.loads(pickle.dumps(session))
        assert copy._proc is None and copy.repo == session.repo
        assert copy.read([sha]) == [(sha, b"a\n")]
        assert copy._proc is not session._proc
    finally:
        session.close()
        copy.close()


def test_batch_session_left_unfinished_answers_the_next_call_right(repo: GitRepo) -> None:
    files = {f"f{i}.txt": _filler(i, 2 * LFS_MAX) for i in range(3)}
    repo.commit("one", files)
    ids = [repo.git("rev-parse", f"HEAD:f{i}.txt") for i in range(3)]
    session = BatchSession(open_repo(str(repo.path)))
    try:
        partial = session.stream(ids)
        assert next(partial) == (ids[0], files["f0.txt"].encode())
        partial.close()  # two answers were never read
        assert session.read([ids[2], ids[1]]) == [
            (ids[2], files["f2.txt"].encode()),
            (ids[1], files["f1.txt"].encode()),
        ]
    finally:
        session.close()
