"""``keyguard org --cluster`` on a real local Dask cluster (a scheduler and two worker
processes on 127.0.0.1, started and stopped by the fixtures)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from scanner.commands.common import Settings
from scanner.engine.context import ScanContext
from scanner.models import Finding
from scanner.org import tasks
from scanner.org.manifest import load_manifest
from scanner.org.runners import DaskRunner, LocalRunner
from scanner.org.scan import Tuning, run_org
from scanner.org.state import StateStore, scan_digest
from testing.orgrepos import Cluster, Org, git_alone, org_cli, per_repo, report

pytestmark = pytest.mark.slow


def test_cluster_scan_equals_each_repository_alone(
    cluster: Cluster, org: Org, rules: Path, tmp_path: Path
) -> None:
    result = org_cli(
        org.manifest(), rules, tmp_path / "s.sqlite", "-f", "json", "--cluster", cluster.address
    )
    assert result.exit_code == 1, result.output
    doc = report(result)
    assert doc["org"]["runner"] == "dask" and doc["org"]["workers"] == 2
    assert doc["org"]["blobs_scanned"] == doc["org"]["blobs_unique"] < doc["org"]["blobs_listed"]
    got = per_repo(doc)
    for name, repo in org.repos.items():
        assert got[name] == git_alone(repo.path, rules), name
    from distributed import Client

    with Client(cluster.address, set_as_default=False) as client:
        # the rules reached every worker through the plugin (not with each task)
        assert set(client.run(tasks.scanner_installed).values()) == {True}


def test_unreachable_repository_on_the_cluster(
    cluster: Cluster, org: Org, rules: Path, tmp_path: Path
) -> None:
    manifest = org.manifest(["base0"], extra=(str(tmp_path / "missing-repo"),))
    args = ("-f", "json", "--cluster", cluster.address)
    result = org_cli(manifest, rules, tmp_path / "s.sqlite", *args)
    assert result.exit_code == 1
    assert "missing-repo" in result.stderr and "no such repository" in result.stderr
    assert set(per_repo(report(result))) == {"base0"}
    strict = org_cli(manifest, rules, tmp_path / "s.sqlite", *args, "--strict")
    assert strict.exit_code == 2


def test_cannot_reach_the_scheduler_is_a_user_error(org: Org, rules: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="needs keyguard[dask]")
    result = org_cli(org.manifest(), rules, tmp_path / "s.sqlite", "--cluster", "tcp://127.0.0.1:9")
    assert result.exit_code == 2
    assert "cannot connect to the Dask scheduler at tcp://127.0.0.1:9" in result.stderr


class _Killer:
    """Kills the worker process that holds the most running tasks once the first batch is in."""

    def __init__(self, cluster: Cluster, runner: DaskRunner) -> None:
        self.cluster = cluster
        self.runner = runner
        self.killed: str | None = None
        self.tasks_on_victim = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != "scan" or done != 1 or self.killed is not None:
            return
        processing: dict[str, Any] = self.runner.client.processing()
        names = {a: w["name"] for a, w in self.runner.client.scheduler_info()["workers"].items()}
        address = max(processing, key=lambda a: len(processing[a]))
        self.tasks_on_victim = len(processing[address])
        proc = self.cluster.workers[names[address]]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        self.killed = names[address]


def _key(f: Finding) -> tuple[object, ...]:
    return (f.origin.display, f.position, f.rule_id, f.fingerprint, f.origin.detail)


def test_worker_killed_mid_run_loses_nothing(
    cluster: Cluster, org: Org, rules: Path, tmp_path: Path
) -> None:
    specs = load_manifest(org.manifest())
    settings = Settings(rule_files=(rules,), only=("kgtest.*",), engine="aho-corasick")
    ctx = ScanContext.build(settings)
    digest = scan_digest(ctx.ruleset, ctx.limits, settings.decode_depth)
    with StateStore(tmp_path / "calm.sqlite", digest) as state:
        calm, calm_stats = run_org(specs, ctx, LocalRunner(ctx.matcher, ctx.limits, 1), state)
    runner = DaskRunner(cluster.address, ctx.matcher, ctx.limits)
    killer = _Killer(cluster, runner)
    try:
        with StateStore(tmp_path / "state.sqlite", digest) as state:
            result, stats = run_org(specs, ctx, runner, state, killer, Tuning(batch_bytes=1))
            recorded = state.blob_count()
    finally:
        runner.close()
        if killer.killed is not None:  # the module's cluster gets its worker back
            cluster.add_worker(killer.killed)
            cluster.wait_for_workers(2)
    assert killer.killed is not None and killer.tasks_on_victim > 0
    assert stats.batches == stats.unique == calm_stats.unique
    assert stats.failed == 0 and not result.stats.problems
    keys = [_key(f) for f in result.findings]
    assert len(keys) == len(set(keys))
    assert keys == [_key(f) for f in calm.findings]
    assert recorded == stats.unique
