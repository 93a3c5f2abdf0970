"""Benchmark ``keyguard org``: 200 forks of the corpus repository, local processes vs Dask.

    python bench/org.py [--corpus DEST] [--repos 200] [--runs 3] [--workers 2]
                        [--keep DIR] [--results bench/RESULTS.md | --no-results]

DEST is the shared corpus (``python3 /work/shared/bench/make_corpus.py DEST``, built when
missing). Its ``history`` repository (a real code base and 3,000 synthetic commits) is the
upstream; each of the ``--repos`` forks is a bare local clone whose ``main`` is a different point
of that history (fork ``i`` at ``HEAD~(37 * i mod 1500)``) plus one to three divergent commits
of its own (a new file each, a fake token in every fourth fork). The forks share most blobs,
which is what the org scan's dedupe is for.

Then, ``--runs`` times each, with a fresh state store every run (a full scan):

- ``local``: ``keyguard org MANIFEST -j WORKERS`` (forked local worker processes);
- ``dask``: the same against a local Dask cluster started here (``dask scheduler`` and
  ``dask worker --nworkers WORKERS --nthreads 1`` on 127.0.0.1), ``--cluster tcp://...``;

plus one incremental re-run (same state, nothing new) per runner. Reported: wall time,
the ``org`` section of the JSON report (blobs listed / unique / scanned, tasks, seconds per
phase), the findings (which must be the same for both runners), the scheduler's overhead per
task (2,000 no-op tasks on the same cluster, and the difference of the scan phases divided by
the tasks), the cost per scanned blob, and a projection to 100,000 repositories.
Results are printed and appended to bench/RESULTS.md under "org".
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testing.tokens import B62, github_token  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # results.py, also when loaded by path
from results import append_section  # noqa: E402

MAKE_CORPUS = Path("/work/shared/bench/make_corpus.py")
ENV = {
    "GIT_AUTHOR_NAME": "Bench Fork",
    "GIT_AUTHOR_EMAIL": "fork@bench.invalid",
    "GIT_COMMITTER_NAME": "Bench Fork",
    "GIT_COMMITTER_EMAIL": "fork@bench.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _brief(org: dict[str, Any]) -> dict[str, Any]:
    """The org record without its per-repository part (one line per run in the log)."""
    return {k: v for k, v in org.items() if k != "per_repository"}


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True, text=True, check=True, env={**os.environ, **ENV, **(env or {})},
    )  # fmt: skip
    return out.stdout.strip()


def fork_token(i: int) -> str:
    """A fake GitHub token (valid checksum, "Fake" in the body) unique to fork ``i``."""
    digest = hashlib.sha256(f"fork{i}".encode()).digest()
    body = "FakeOrgFork" + f"{i:05d}" + "".join(B62[b % 62] for b in digest[:14])
    return github_token(body)


def build_forks(upstream: Path, dest: Path, count: int) -> list[Path]:
    """``count`` bare forks of ``upstream``, each at its own point of history with commits of
    its own (written with plumbing: no work trees)."""
    dest.mkdir(parents=True, exist_ok=True)
    depth = int(git(upstream, "rev-list", "--count", "HEAD"))
    forks = []
    for i in range(count):
        repo = dest / f"fork{i:04d}.git"
        subprocess.run(
            ["git", "clone", "-q", "--bare", str(upstream), str(repo)],
            check=True, env={**os.environ, **ENV},
        )  # fmt: skip
        back = (37 * i) % min(1500, depth - 1)
        head = git(repo, "rev-parse", f"HEAD~{back}")
        index = {"GIT_INDEX_FILE": str(repo / "bench-index")}
        git(repo, "read-tree", head, env=index)
        for c in range(1 + i % 3):
            date = f"2025-{1 + (i + c) % 12:02d}-{1 + i % 28:02d}T12:00:00+00:00"
            body = f"# fork {i} change {c}\n\n" + f"line {i * 31 + c}\n" * (5 + c)
            if c == 0 and i % 4 == 0:
                body += f"\nGITHUB_TOKEN={fork_token(i)}\n"
            blob = _hash_object(repo, body)
            path = f"fork/notes_{i}_{c}.md"
            git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=index)
            tree = git(repo, "write-tree", env=index)
            dated = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
            head = git(repo, "commit-tree", tree, "-p", head, "-m", f"fork {i} change {c}",
                       env=dated)  # fmt: skip
        (repo / "bench-index").unlink()
        git(repo, "update-ref", "refs/heads/main", head)
        forks.append(repo)
    return forks


def _hash_object(repo: Path, text: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), "hash-object", "-w", "--stdin"],
        input=text, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DaskCluster:
    """A scheduler and ``workers`` single-threaded worker processes on 127.0.0.1."""

    def __init__(self, workers: int, logdir: Path) -> None:
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        dask = str(Path(sys.executable).parent / "dask")
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Any] = []
        for name, cmd in (
            ("scheduler", [dask, "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                           "--no-dashboard"]),
            ("worker", [dask, "worker", self.address, "--nworkers", str(workers),
                        "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]),
        ):  # fmt: skip
            log = open(logdir / f"dask-{name}.log", "wb")  # noqa: SIM115
            self.logs.append(log)
            self.procs.append(
                subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True, cwd=ROOT)
            )
        import importlib

        dist: Any = importlib.import_module("distributed")  # untyped: everything from it is Any
        self.client: Any = dist.Client(self.address, timeout=60)
        self.client.wait_for_workers(workers, timeout=120)

    def noop_overhead(self, tasks: int = 2000) -> float:
        """Seconds per no-op task, submitted at once and gathered."""
        self.client.gather(self.client.map(_noop, range(200), pure=False))
        t0 = time.perf_counter()
        self.client.gather(self.client.map(_noop, range(tasks), pure=False))
        return (time.perf_counter() - t0) / tasks

    def close(self) -> None:
        self.client.close()
        for proc in reversed(self.procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=15)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for log in self.logs:
            log.close()


def _noop(i: int) -> int:
    return i


def keyguard_org(manifest: Path, state: Path, extra: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "scanner", "org", str(manifest), "--state", str(state),
           "-f", "json", "--no-progress", *extra]  # fmt: skip
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=3600)
    wall = time.perf_counter() - t0
    if out.returncode not in (0, 1):
        raise SystemExit(f"keyguard org failed ({out.returncode}):\n{out.stderr[-3000:]}")
    doc = json.loads(out.stdout)
    keys = sorted({(f["provenance"].get("repository", ""), f["path"], f["rule_id"],
                    f["fingerprint"]) for f in doc["findings"]})  # fmt: skip
    return {"wall": wall, "org": doc["org"], "findings": len(doc["findings"]), "keys": keys}


def rerun(label: str, manifest: Path, state: Path, extra: list[str]) -> dict[str, Any]:
    """A re-run on the state of a full run: nothing new to scan. The state is keyed by a
    digest of the rules, so a rule file edited during the full run (a working checkout) makes
    it start over; then the full run and the re-run are repeated once."""
    for attempt in range(2):
        again = keyguard_org(manifest, state, extra)
        print(
            f"[org] {label} re-run: {again['wall']:.1f} s, {_brief(again['org'])}", file=sys.stderr
        )
        again["stale"] = again["org"]["unchanged"] != again["org"]["repositories"]
        if not again["stale"] or attempt:
            return again
        print(f"[org] {label}: the state was discarded (rules changed?); again", file=sys.stderr)
        state.unlink()
        keyguard_org(manifest, state, extra)
    raise AssertionError("unreachable")


def run_series(
    label: str, manifest: Path, work: Path, runs: int, extra: list[str]
) -> dict[str, Any]:
    rows = []
    for i in range(runs):
        state = work / f"state-{label}-{i}.sqlite"
        row = keyguard_org(manifest, state, extra)
        print(
            f"[org] {label} run {i + 1}: {row['wall']:.1f} s, {_brief(row['org'])}", file=sys.stderr
        )
        rows.append(row)
    again = rerun(label, manifest, work / f"state-{label}-{runs - 1}.sqlite", extra)
    if any(r["keys"] != rows[0]["keys"] for r in rows) or again["keys"] != rows[0]["keys"]:
        raise SystemExit(f"{label}: findings differ between runs")
    med = statistics.median

    def phase(name: str) -> float:
        return float(med(r["org"]["seconds"][name] for r in rows))

    return {
        "label": label,
        "wall": med(r["wall"] for r in rows),
        "wall_range": (min(r["wall"] for r in rows), max(r["wall"] for r in rows)),
        "scan_s": phase("scan"),
        "list_s": phase("list"),
        "attribute_s": phase("attribute"),
        "org": rows[0]["org"],
        "findings": rows[0]["findings"],
        "keys": rows[0]["keys"],
        "rerun_wall": again["wall"],
        "rerun_org": again["org"],
        "rerun_stale": again["stale"],
    }


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


def report(series: list[dict[str, Any]], noop_s: float, args: Any, info: dict[str, Any]) -> str:
    local, dask = series
    o = local["org"]
    lines = [
        f"{args.repos} forks of the corpus history ({info['upstream_commits']} commits, "
        f"{info['upstream_blobs']} blobs); {local['findings']} findings, the same set for both "
        "runners and every run.",
        "",
        "| runner | wall (median, min–max) | list | scan | attribute | blobs listed | unique "
        "| scanned | dedupe saving | tasks | re-run, nothing new (blobs scanned, re-read) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in series:
        g = s["org"]
        saving = 1 - g["blobs_scanned"] / g["blobs_listed"] if g["blobs_listed"] else 0.0
        lo, hi = s["wall_range"]
        lines.append(
            f"| {s['label']} ({g['workers']} workers) | {s['wall']:.1f} s ({lo:.1f}–{hi:.1f}) "
            f"| {s['list_s']:.1f} s | {s['scan_s']:.1f} s | {s['attribute_s']:.1f} s "
            f"| {g['blobs_listed']:,} | {g['blobs_unique']:,} | {g['blobs_scanned']:,} "
            f"| {saving:.1%} | {g['tasks']:,} | {s['rerun_wall']:.1f} s "
            f"({s['rerun_org']['blobs_scanned']}, {s['rerun_org']['blobs_rescanned']})"
            + (" state discarded: rules changed during the run" if s["rerun_stale"] else "")
            + " |"
        )
    scan_tasks = max(o["batches"], 1)
    diff = (dask["scan_s"] - local["scan_s"]) / scan_tasks
    per_blob = local["scan_s"] * o["workers"] / max(o["blobs_scanned"], 1)
    lines += [
        "",
        f"- Dask scheduler overhead per task: {noop_s * 1e6:.0f} µs (2,000 no-op tasks on the "
        f"same cluster); scan phase Dask − local over {scan_tasks:,} scan batches: "
        f"{diff * 1e3:+.1f} ms per batch.",
        f"- Scan cost per unique blob (local scan phase × workers / blobs scanned): "
        f"{per_blob * 1e3:.2f} ms of one core.",
    ]
    lines += ["", projection(per_blob, local, noop_s)]
    return "\n".join(lines)


def projection(per_blob: float, local: dict[str, Any], noop_s: float) -> str:
    """100,000 repositories at the measured costs, for a few shapes of organisation.

    Measured here (local runner): core-seconds per unique blob scanned, and per repository for
    listing (``list`` phase) and attribution (``attribute`` phase); blobs per scan task."""
    o = local["org"]
    repos = max(o["repositories"], 1)
    workers = o["workers"]
    per_repo_list = local["list_s"] * workers / repos
    per_repo_attr = local["attribute_s"] * workers / repos
    unique_per_repo = o["blobs_unique"] / repos
    batch_blobs = o["blobs_scanned"] / max(o["batches"], 1)
    family = o["repositories"]
    shapes = [
        (f"{100_000 // family:,} families of {family} forks like this bench", unique_per_repo),
        ("no sharing, 5,000 blobs per repository", 5000.0),
        ("no sharing, 50,000 blobs per repository", 50000.0),
    ]
    lines = [
        f"Projection to 100,000 repositories from this run's local figures: "
        f"{per_blob * 1e3:.2f} ms of one core per unique blob, {per_repo_list:.2f} core-s per "
        f"repository to list its blobs and {per_repo_attr:.2f} core-s to attribute its findings "
        f"(histories of {o['blobs_listed'] / repos:,.0f} blobs here), {batch_blobs:.0f} blobs per "
        "scan task, two more tasks per repository, and the no-op task overhead above for the "
        "scheduler:",
        "",
        "| organisation | unique blobs | scan core-h | list + attribute core-h | total on 32 cores "
        "| on 256 cores | scheduler: tasks × overhead |",
        "|---|---|---|---|---|---|---|",
    ]
    per_repo_h = 100_000 * (per_repo_list + per_repo_attr) / 3600
    for name, unique in shapes:
        blobs = 100_000 * unique
        scan_h = blobs * per_blob / 3600
        tasks = blobs / max(batch_blobs, 1) + 2 * 100_000
        lines.append(
            f"| {name} | {blobs:,.0f} | {scan_h:,.1f} | {per_repo_h:,.1f} "
            f"| {(scan_h + per_repo_h) / 32:,.2f} h | {(scan_h + per_repo_h) / 256:,.2f} h "
            f"| {tasks:,.0f} × {noop_s * 1e6:.0f} µs = {tasks * noop_s / 60:,.0f} min |"
        )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=Path("/tmp/corpus/DEST"))
    ap.add_argument("--repos", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="build the forks here and keep them")
    ap.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    ap.add_argument("--no-results", action="store_true")
    args = ap.parse_args()
    upstream = args.corpus / "history"
    if not (args.corpus / "planted.jsonl").exists():
        subprocess.run([sys.executable, str(MAKE_CORPUS), str(args.corpus)], check=True)
    work = Path(args.keep or tempfile.mkdtemp(prefix="kg-org-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return _bench(args, upstream, work)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def _bench(args: Any, upstream: Path, work: Path) -> int:
    t0 = time.perf_counter()
    forks = sorted((work / "forks").glob("fork*.git")) if (work / "forks").exists() else []
    if len(forks) != args.repos:
        shutil.rmtree(work / "forks", ignore_errors=True)
        forks = build_forks(upstream, work / "forks", args.repos)
    print(f"[org] {len(forks)} forks ready in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    manifest = work / "repos.txt"
    manifest.write_text("".join(f"{f}\n" for f in forks))
    info = {
        "upstream_commits": git(upstream, "rev-list", "--count", "HEAD"),
        "upstream_blobs": git(
            upstream, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype)"
        )
        .split()
        .count("blob"),
    }
    load_before = os.getloadavg()
    jobs = ["-j", str(args.workers)]
    local = run_series("local", manifest, work, args.runs, jobs)
    cluster = DaskCluster(args.workers, work)
    try:
        noop_s = cluster.noop_overhead()
        dask = run_series("dask", manifest, work, args.runs, ["--cluster", cluster.address])
    finally:
        cluster.close()
    load_after = os.getloadavg()
    if local["keys"] != dask["keys"]:
        raise SystemExit("local and dask runs found different findings")
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = (
        f"### {stamp}: `python bench/org.py --repos {args.repos} --runs {args.runs} "
        f"--workers {args.workers}` ({machine()}; load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after; medians of {args.runs} full runs, fresh state each)"
    )
    text = f"{header}\n\n{report([local, dask], noop_s, args, info)}\n"
    print(text)
    if not args.no_results:
        append_section(args.results, "org", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
