"""``keyguard org`` on local worker processes (no cluster): findings, dedupe, state, failures."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from scanner.commands.common import Settings
from scanner.engine.context import ScanContext
from scanner.org.manifest import load_manifest
from scanner.org.runners import Call, LocalRunner
from scanner.org.scan import Tuning, run_org
from scanner.org.state import StateStore, scan_digest
from testing.orgrepos import (
    DieOnce,
    Org,
    add_commit,
    git_alone,
    make_org,
    org_cli,
    per_repo,
    report,
    write_manifest,
)


def test_same_findings_as_scanning_each_repository_alone(
    org: Org, rules: Path, tmp_path: Path
) -> None:
    result = org_cli(org.manifest(), rules, tmp_path / "s.sqlite", "-f", "json", "-j", "2")
    assert result.exit_code == 1, result.output
    got = per_repo(report(result))
    assert set(got) == set(org.repos)
    for name, repo in org.repos.items():
        assert got[name] == git_alone(repo.path, rules), name
        assert len(got[name]) == len(org.secrets[name])
    assert "9 repositories (0 failed, 0 unchanged)" in result.stderr


def test_blobs_shared_by_forks_are_scanned_once(org: Org, rules: Path, tmp_path: Path) -> None:
    result = org_cli(org.manifest(), rules, tmp_path / "s.sqlite", "-f", "json")
    stats = report(result)["org"]
    distinct = set()
    listed = 0
    for repo in org.repos.values():
        out = repo.git("rev-list", "--objects", "--all", "--filter=object:type=blob")
        ids = {line.split()[0] for line in out.splitlines() if " " in line}
        listed += len(ids)
        distinct |= ids
    assert stats["blobs_listed"] == listed
    assert stats["blobs_unique"] == stats["blobs_scanned"] == len(distinct) < listed
    assert stats["blobs_shared"] == listed - len(distinct)
    assert report(result)["stats"]["files"] == len(distinct)


def test_rerun_scans_only_new_blobs(rules: Path, tmp_path: Path) -> None:
    org = make_org(tmp_path / "org", bases=2, forks=1)
    state = tmp_path / "state.sqlite"
    first = org_cli(org.manifest(), rules, state, "-f", "json")
    assert first.exit_code == 1
    again = org_cli(org.manifest(), rules, state, "-f", "json")
    stats = report(again)["org"]
    assert stats["unchanged"] == 4 and stats["blobs_scanned"] == 0 and stats["blobs_listed"] == 0
    assert per_repo(report(again)) == per_repo(report(first))
    secret = add_commit(org, "base1-fork0", 500)
    third = org_cli(org.manifest(), rules, state, "-f", "json")
    stats = report(third)["org"]
    assert stats["unchanged"] == 3
    assert stats["blobs_scanned"] == 2  # the new secret file and the new clean file
    got = per_repo(report(third))
    assert len(got["base1-fork0"]) == len(per_repo(report(first))["base1-fork0"]) + 1
    assert got["base1-fork0"] == git_alone(org.repos["base1-fork0"].path, rules)
    assert secret not in third.stdout
    full = org_cli(org.manifest(), rules, state, "-f", "json", "--full")
    assert report(full)["org"]["blobs_scanned"] == report(full)["org"]["blobs_unique"]
    assert per_repo(report(full)) == got


def test_unreachable_repository_is_reported_and_the_rest_finish(
    org: Org, rules: Path, tmp_path: Path
) -> None:
    manifest = org.manifest(
        ["base0", "base1"],
        extra=(str(tmp_path / "gone"), "http://127.0.0.1:9/nowhere/lost.git"),
    )
    state = tmp_path / "s.sqlite"
    result = org_cli(manifest, rules, state, "-f", "json")
    assert result.exit_code == 1  # the findings of the others; no --strict
    errors = [line for line in result.stderr.splitlines() if "gone" in line or "lost" in line]
    assert len(errors) == 2, result.stderr
    assert any("gone" in e and "no such repository" in e for e in errors)
    assert any("nowhere/lost" in e and "cannot clone" in e for e in errors)
    assert set(per_repo(report(result))) == {"base0", "base1"}
    assert report(result)["org"]["failed"] == 2
    strict = org_cli(manifest, rules, state, "-f", "json", "--strict")
    assert strict.exit_code == 2
    assert set(per_repo(report(strict))) == {"base0", "base1"}


def test_clone_url_is_mirrored_under_the_state(org: Org, rules: Path, tmp_path: Path) -> None:
    bare = tmp_path / "mirror.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(org.repos["base2"].path), str(bare)], check=True
    )
    manifest = write_manifest(
        tmp_path,
        "org.toml",
        f'[[repo]]\nurl = "{bare.as_uri()}"\nname = "remote"\n\n'
        f'[[repo]]\npath = "{bare}"\nname = "bare"\nbranch = "main"\n',
    )
    state = tmp_path / "st" / "org.sqlite"
    result = org_cli(manifest, rules, state, "-f", "json")
    assert result.exit_code == 1, result.output
    got = per_repo(report(result))
    alone = git_alone(org.repos["base2"].path, rules)
    assert got["remote"] == alone
    assert {k[:5] for k in got["bare"]} == {k[:5] for k in alone}
    assert len(list((tmp_path / "st" / "org.clones").glob("remote-*.git"))) == 1
    assert report(result)["org"]["blobs_scanned"] == report(result)["org"]["blobs_unique"]


class _Wrapping:
    """A local runner around ``inner``; the subclasses change what ``run`` does."""

    name = "local"

    def __init__(self, inner: LocalRunner) -> None:
        self.inner = inner

    def run(self, calls: Sequence[Call]) -> Iterator[tuple[int, Any]]:
        yield from self.inner.run(calls)

    def close(self) -> None:
        self.inner.close()


class _Interrupting(_Wrapping):
    """A local runner whose run stops (as if the machine went down) after ``after`` batches."""

    def __init__(self, inner: LocalRunner, after: int) -> None:
        super().__init__(inner)
        self.after = after

    def run(self, calls: Sequence[Call]) -> Iterator[tuple[int, Any]]:
        done = 0
        for item in self.inner.run(calls):
            yield item
            if calls[0][0].__name__ == "scan_batch":
                done += 1
                if done == self.after:
                    raise KeyboardInterrupt


def test_interrupted_run_resumes_from_the_state(org: Org, rules: Path, tmp_path: Path) -> None:
    specs = load_manifest(org.manifest())
    settings = Settings(rule_files=(rules,), only=("kgtest.*",), engine="aho-corasick", jobs=1)
    ctx = ScanContext.build(settings)
    digest = scan_digest(ctx.ruleset, ctx.limits, settings.decode_depth)
    tuning = Tuning(batch_bytes=1)  # one blob per batch
    path = tmp_path / "state.sqlite"
    with StateStore(path, digest) as state, pytest.raises(KeyboardInterrupt):
        run_org(specs, ctx, _Interrupting(LocalRunner(ctx.matcher, ctx.limits, 1), 5), state,
                tuning=tuning)  # fmt: skip
    with StateStore(path, digest) as state:
        resumed, stats = run_org(specs, ctx, LocalRunner(ctx.matcher, ctx.limits, 1), state)
    with StateStore(tmp_path / "fresh.sqlite", digest) as state:
        whole, fresh = run_org(specs, ctx, LocalRunner(ctx.matcher, ctx.limits, 1), state)
    assert stats.scanned == fresh.scanned - 5
    assert stats.unchanged == 0
    keys = [(f.origin.display, f.position, f.rule_id, f.fingerprint) for f in resumed.findings]
    assert len(keys) == len(set(keys))
    assert keys == [
        (f.origin.display, f.position, f.rule_id, f.fingerprint) for f in whole.findings
    ]


def test_toml_branch_and_since_match_git_alone(org: Org, rules: Path, tmp_path: Path) -> None:
    base = org.repos["base0"]
    first = base.git("rev-list", "--max-parents=0", "HEAD")
    base.git("branch", "-f", "side", "HEAD~1")
    manifest = write_manifest(
        tmp_path,
        "org.toml",
        f'[[repo]]\npath = "{base.path}"\nname = "recent"\nsince = "{first}"\n\n'
        f'[[repo]]\npath = "{base.path}"\nname = "side"\nbranch = "side"\n',
    )
    result = org_cli(manifest, rules, tmp_path / "s.sqlite", "-f", "json")
    got = per_repo(report(result))
    assert got["recent"] == git_alone(base.path, rules, "--since", first)
    assert got["side"] == git_alone(base.path, rules, "--branch", "side")
    assert got["recent"] and got["side"]


def test_progress_reports_each_phase(org: Org, rules: Path, tmp_path: Path) -> None:
    specs = load_manifest(org.manifest(["base0", "base0-fork0"]))
    settings = Settings(rule_files=(rules,), only=("kgtest.*",), engine="aho-corasick", jobs=1)
    ctx = ScanContext.build(settings)
    seen: list[tuple[str, int, int]] = []
    digest = scan_digest(ctx.ruleset, ctx.limits, settings.decode_depth)
    with StateStore(tmp_path / "s.sqlite", digest) as state:
        _, stats = run_org(
            specs, ctx, LocalRunner(ctx.matcher, ctx.limits, 1), state,
            lambda *a: seen.append(a), Tuning(batch_bytes=1),
        )  # fmt: skip
    assert [s for s in seen if s[1] == 0] == [
        ("list", 0, 2), ("scan", 0, stats.batches), ("attribute", 0, 2)
    ]  # fmt: skip
    assert seen[-1] == ("attribute", 2, 2) and ("scan", stats.batches, stats.batches) in seen
    result = org_cli(org.manifest(["base0"]), rules, tmp_path / "t.sqlite", "--progress")
    assert result.exit_code == 1 and "Traceback" not in result.output
    err = result.stderr
    for label in ("listing repositories", "scanning blobs", "attributing"):
        assert label in err  # --progress draws the bar even when stderr is not a terminal
    # the bar is gone before the summary line and the warnings
    assert err.index("keyguard: org: 1 repositories") > err.rindex("attributing")
    assert (
        "attributing" not in org_cli(org.manifest(["base0"]), rules, tmp_path / "t.sqlite").stderr
    )  # no bar by default when stderr is not a terminal


def test_cluster_without_the_dask_extra_is_a_user_error(
    org: Org, rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if keyguard[dask] were missing
    result = org_cli(org.manifest(), rules, tmp_path / "s.sqlite", "--cluster", "tcp://h:1")
    assert result.exit_code == 2
    assert "pip install 'keyguard[dask]'" in result.stderr and result.stderr.count("\n") == 1


class _Recording(_Wrapping):
    """A local runner that keeps the pickled size of every call it is given."""

    def __init__(self, inner: LocalRunner) -> None:
        super().__init__(inner)
        self.sizes: dict[str, list[int]] = {}

    def run(self, calls: Sequence[Call]) -> Iterator[tuple[int, Any]]:
        import pickle

        for fn, args in calls:
            self.sizes.setdefault(fn.__name__, []).append(len(pickle.dumps((fn, args))))
        yield from self.inner.run(calls)


def test_tasks_carry_ids_and_paths_not_the_rules(org: Org, rules: Path, tmp_path: Path) -> None:
    from scanner.org import tasks

    specs = load_manifest(org.manifest())
    # the built-in rules: the payload a worker plugin carries is large
    settings = Settings(engine="aho-corasick", jobs=1)
    ctx = ScanContext.build(settings)
    digest = scan_digest(ctx.ruleset, ctx.limits, settings.decode_depth)
    runner = _Recording(LocalRunner(ctx.matcher, ctx.limits, 1))
    with StateStore(tmp_path / "s.sqlite", digest) as state:
        run_org(specs, ctx, runner, state, tuning=Tuning(batch_bytes=1))
    rules_bytes = len(tasks.payload(ctx.matcher, ctx.limits))
    assert {"list_repo", "scan_batch"} <= set(runner.sizes)
    biggest = max(max(sizes) for sizes in runner.sizes.values())
    assert rules_bytes > 100_000 and biggest < 5_000, (rules_bytes, runner.sizes)


class _Dying(_Wrapping):
    """A local pool whose first scan task kills the worker process running it."""

    def __init__(self, inner: LocalRunner, flag: Path) -> None:
        super().__init__(inner)
        self.flag = flag

    def run(self, calls: Sequence[Call]) -> Iterator[tuple[int, Any]]:
        wrapped: list[Call] = [
            (DieOnce(fn, self.flag), args) if fn.__name__ == "scan_batch" else (fn, args)
            for fn, args in calls
        ]
        yield from self.inner.run(wrapped)


def test_local_worker_killed_mid_run_loses_nothing(org: Org, rules: Path, tmp_path: Path) -> None:
    specs = load_manifest(org.manifest())
    settings = Settings(rule_files=(rules,), only=("kgtest.*",), engine="aho-corasick", jobs=2)
    ctx = ScanContext.build(settings)
    digest = scan_digest(ctx.ruleset, ctx.limits, settings.decode_depth)
    with StateStore(tmp_path / "calm.sqlite", digest) as state:
        calm, _ = run_org(specs, ctx, LocalRunner(ctx.matcher, ctx.limits, 1), state)
    pool = LocalRunner(ctx.matcher, ctx.limits, 2)
    runner = _Dying(pool, tmp_path / "died")
    try:
        with StateStore(tmp_path / "state.sqlite", digest) as state:
            result, stats = run_org(specs, ctx, runner, state, tuning=Tuning(batch_bytes=1))
            recorded = state.blob_count()
    finally:
        runner.close()
    assert (tmp_path / "died").exists() and pool.restarts == 1
    assert stats.failed == 0 and not result.stats.problems
    keys = [(f.origin.display, f.position, f.rule_id, f.fingerprint) for f in result.findings]
    assert len(keys) == len(set(keys))
    assert keys == [(f.origin.display, f.position, f.rule_id, f.fingerprint) for f in calm.findings]
    assert recorded == stats.unique == stats.scanned
