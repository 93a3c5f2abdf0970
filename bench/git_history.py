#!/usr/bin/env python3
"""Git benchmark: full history of DEST/history and the pre-commit (staged) latency.

Usage::

    python3 bench/git_history.py DEST [--runs 5] [--staged-runs 15] [--workdir DIR]
                                      [--results bench/RESULTS.md] [--peers /opt/peers/bin]

DEST is the corpus made by ``python3 /work/shared/bench/make_corpus.py DEST`` (this script
builds no corpus): ``DEST/history`` (a git repository), ``DEST/tree`` (a file tree) and
``DEST/planted.jsonl`` (the planted secrets; rows with ``"where": "history"`` carry the commit
that added them).

1. History: ``keyguard git DEST/history`` against ``gitleaks git`` and ``kingfisher scan``
   (on the .git directory: history only), same machine, sequentially; median wall time of
   ``--runs`` runs after one warm-up run each (keyguard's warm-up also fills its Hyperscan
   database cache). Every planted history secret must be found at its path and attributed to
   its commit.
2. Staged: a repository holding a copy of DEST/tree (built once under --workdir, reused), one
   file changed and staged; wall time from process start to exit of
   ``python -m scanner git --staged`` against ``gitleaks git --pre-commit --staged``.

Results are printed and appended to the results file under a "git" heading.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # peers.py, also when loaded by path
import peers as peer_argv  # noqa: E402

PROJECT = Path(__file__).resolve().parent.parent


CPU: list[float] = []  # CPU seconds (user + sys) of the last median_of's runs


def timed(
    cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + sys, children included) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1, 200, 205):
        sys.stderr.write(proc.stderr.decode(errors="replace")[-2000:])
        raise SystemExit(f"{cmd[0]} exited {proc.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def median_of(
    cmd: list[str],
    runs: int,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    warmup: int = 1,
) -> tuple[float, list[float]]:
    for _ in range(warmup):
        timed(cmd, cwd, env)
    results = [timed(cmd, cwd, env) for _ in range(runs)]
    CPU[:] = [cpu for _, cpu in results]
    times = [wall for wall, _ in results]
    return statistics.median(times), times


def cpu_median() -> float:
    return statistics.median(CPU) if CPU else float("nan")


def byte_compile() -> None:
    """Write the package's bytecode, as ``pip install`` does: with PYTHONDONTWRITEBYTECODE set
    (some shells and containers set it) a checkout is otherwise compiled from source at every
    start, which doubled the staged check's time in a run at 2026-12-06 23:22 (401 ms)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(PROJECT / "scanner")], check=True)


def keyguard_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PROJECT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def keyguard_cmd() -> list[str]:
    return [sys.executable, "-m", "scanner"]


def check_planted(report: Path, planted: Path) -> tuple[int, int, list[str]]:
    doc = json.loads(report.read_text())
    found = {(f["path"], f.get("provenance", {}).get("commit")) for f in doc["findings"]}
    paths = {f["path"] for f in doc["findings"]}
    rows = [json.loads(line) for line in planted.read_text().splitlines() if line.strip()]
    history = [r for r in rows if r.get("where") == "history"]
    misses = []
    for row in history:
        if (row["path"], row["commit"]) in found:
            continue
        why = "found, wrong commit" if row["path"] in paths else "not found"
        misses.append(f"{row['kind']} {row['path']} @ {row['commit'][:10]}: {why}")
    return len(history) - len(misses), len(history), misses


def bench_history(dest: Path, runs: int, peers: Path, work: Path) -> list[str]:
    history = dest / "history"
    report = work / "keyguard-history.json"
    kg = [*keyguard_cmd(), "git", str(history), "-q", "-f", "json", "-o", str(report)]
    env = keyguard_env()
    kg_med, kg_times = median_of(kg, runs, cwd=history, env=env)
    ok, total, misses = check_planted(report, dest / "planted.jsonl")
    n_findings = len(json.loads(report.read_text())["findings"])
    lines = [
        f"History: `{history}` ({count_commits(history)} commits), median of {runs} "
        "after 1 warm-up.",
        "",
        "| tool | median wall (s) | runs (s) | median CPU (s) | wall vs keyguard |",
        "|---|---|---|---|---|",
        f"| keyguard git | {kg_med:.2f} | {fmt(kg_times)} | {cpu_median():.2f} | 1.00 |",
    ]
    if (peers / "gitleaks").exists():
        out = work / "gitleaks-history.json"
        cmd = peer_argv.gitleaks(peers, "git", history, out, "--log-level", "error")
        med, times = median_of(cmd, runs)
        lines.append(
            f"| gitleaks git | {med:.2f} | {fmt(times)} | {cpu_median():.2f} | {med / kg_med:.2f} |"
        )
    if (peers / "kingfisher").exists():
        out = work / "kingfisher-history.json"
        git_dir = subprocess.run(
            ["git", "-C", str(history), "rev-parse", "--absolute-git-dir"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        cmd = peer_argv.kingfisher(peers, git_dir, out)
        med, times = median_of(cmd, runs)
        lines.append(
            f"| kingfisher scan (.git) | {med:.2f} | {fmt(times)} | {cpu_median():.2f} | "
            f"{med / kg_med:.2f} |"
        )
    lines += [
        "",
        f"keyguard: {n_findings} finding(s); planted history secrets found at their path and "
        f"attributed to their commit: **{ok}/{total}**.",
    ]
    if misses:
        lines.append("Missed (detection rules, not attribution, unless it says wrong commit):")
        lines += [f"- {m}" for m in misses]
    return lines


def count_commits(repo: Path) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--all", "--count"],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() or "?"


def fmt(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


def tree_repo(dest: Path, work: Path) -> Path:
    """A repository whose one commit holds a copy of DEST/tree (built once, then reused)."""
    repo = work / "tree-repo"
    marker = repo / ".git" / "keyguard-bench-ready"
    if marker.exists():
        return repo
    if repo.exists():
        shutil.rmtree(repo)
    shutil.copytree(dest / "tree", repo, symlinks=True)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@invalid",
    }
    for cmd in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "commit", "-q", "--no-verify", "-m", "tree"],
    ):
        subprocess.run(cmd, cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)
    marker.write_text("ok\n")
    return repo


def bench_staged(dest: Path, runs: int, peers: Path, work: Path) -> list[str]:
    repo = tree_repo(dest, work)
    files = subprocess.run(
        ["git", "ls-files", "-z", "--", "*.py"], cwd=repo, capture_output=True, check=True
    ).stdout.split(b"\0")
    target = repo / os.fsdecode(files[len(files) // 2] or files[0])
    original = target.read_bytes()
    n_files = subprocess.run(
        ["git", "ls-files"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.count("\n")
    try:
        target.write_bytes(original + b"\nBENCH_SETTING = 'a harmless new line'\n")
        subprocess.run(["git", "add", "--", str(target)], cwd=repo, check=True)
        env = keyguard_env()
        kg = [*keyguard_cmd(), "git", "--staged", "-q"]
        kg_med, kg_times = median_of(kg, runs, cwd=repo, env=env, warmup=2)
        lines = [
            f"Staged check: repository with a copy of `{dest / 'tree'}` ({n_files} files), one "
            f"file changed and staged (`{target.relative_to(repo)}`); wall time from process start "
            f"to exit, median of {runs} after 2 warm-ups.",
            "",
            "| tool | median wall (ms) | min (ms) | max (ms) | median CPU (ms) |",
            "|---|---|---|---|---|",
            f"| keyguard git --staged | {kg_med * 1000:.0f} | {min(kg_times) * 1000:.0f} | "
            f"{max(kg_times) * 1000:.0f} | {cpu_median() * 1000:.0f} |",
        ]
        if (peers / "gitleaks").exists():
            cmd = peer_argv.gitleaks(
                peers, "git", ".", None, "--pre-commit", "--staged", "--log-level", "error"
            )
            med, times = median_of(cmd, runs, cwd=repo, warmup=2)
            lines.append(
                f"| gitleaks git --pre-commit --staged | {med * 1000:.0f} | "
                f"{min(times) * 1000:.0f} | {max(times) * 1000:.0f} | "
                f"{cpu_median() * 1000:.0f} |"
            )
        lines.append("")
        lines.append(
            f"Target: keyguard median under 200 ms: **{'met' if kg_med < 0.2 else 'not met'}**"
            f" ({kg_med * 1000:.0f} ms)."
        )
        return lines
    finally:
        target.write_bytes(original)
        subprocess.run(["git", "add", "--", str(target)], cwd=repo, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--staged-runs", type=int, default=15)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "keyguard-git-bench"
    )
    parser.add_argument("--results", type=Path, default=PROJECT / "bench" / "RESULTS.md")
    parser.add_argument("--peers", type=Path, default=Path("/opt/peers/bin"))
    parser.add_argument("--skip-history", action="store_true")
    parser.add_argument("--skip-staged", action="store_true")
    args = parser.parse_args()
    for need in ("history", "tree", "planted.jsonl"):
        if not (args.dest / need).exists():
            parser.error(f"{args.dest / need} is missing (make it with make_corpus.py)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    byte_compile()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "",
        "## git",
        "",
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
        f"{os.cpu_count()} CPU(s), load average at start {load:.1f}, Python "
        f"{platform.python_version()}, `bench/git_history.py {args.dest}`.",
        "",
    ]
    if not args.skip_history:
        lines += bench_history(args.dest, args.runs, args.peers, args.workdir) + [""]
    if not args.skip_staged:
        lines += bench_staged(args.dest, args.staged_runs, args.peers, args.workdir) + [""]
    text = "\n".join(lines)
    print(text)
    with open(args.results, "a", encoding="utf-8") as out:
        out.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
