#!/usr/bin/env python3
"""A/B benchmark: the same keyguard command from two source trees, in paired, interleaved runs.

Usage::

    python3 bench/ab.py BEFORE AFTER [--runs 9] [--cwd DIR] [--write] -- KEYGUARD-ARGS...

BEFORE and AFTER are directories holding a ``scanner`` package (for example a copy of the tree
before a change, and the working tree). Each run is ``python -m scanner KEYGUARD-ARGS`` with
``PYTHONPATH`` set to one of them and its own ``KEYGUARD_CACHE_DIR`` (under the system
temporary directory), so the two never share a Hyperscan database. One warm-up run each
(fills the caches), then ``--runs`` rounds; each round runs both, alternating which goes first,
so load on a shared machine falls on both alike. Reported: median wall time, median CPU time
(user + sys of the process and the children it waited for: workers, git) and the 1-minute load
average seen during the runs. CPU time is the figure to trust on a busy machine. ``--write``
appends the table to ``bench/RESULTS.md`` under an "A/B" heading.

Exit statuses 0 and 1 (no findings, findings) count as success; anything else stops the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def run_once(tree: Path, args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of ``python -m scanner args`` run from ``tree``."""
    tag = hashlib.sha256(str(tree).encode()).hexdigest()[:12]
    cache = Path(tempfile.gettempdir()) / f"keyguard-ab-cache-{tag}"
    env = {**os.environ, "PYTHONPATH": str(tree), "KEYGUARD_CACHE_DIR": str(cache)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "scanner", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr.decode(errors="replace")[-2000:])
        raise SystemExit(f"{tree}: keyguard exited {proc.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def compare(
    trees: list[Path], args: list[str], runs: int, cwd: Path
) -> tuple[dict[Path, list[tuple[float, float]]], list[float]]:
    for tree in trees:
        run_once(tree, args, cwd)  # warm-up
    results: dict[Path, list[tuple[float, float]]] = {tree: [] for tree in trees}
    loads: list[float] = []
    for i in range(runs):
        for tree in trees if i % 2 == 0 else trees[::-1]:
            results[tree].append(run_once(tree, args, cwd))
            loads.append(os.getloadavg()[0])
    return results, loads


def table(results: dict[Path, list[tuple[float, float]]]) -> list[str]:
    lines = [
        "| tree | median wall (s) | median CPU (s) | wall runs (s) |",
        "|---|---|---|---|",
    ]
    for tree, rows in results.items():
        walls = [w for w, _ in rows]
        cpus = [c for _, c in rows]
        lines.append(
            f"| `{tree}` | {statistics.median(walls):.3f} | {statistics.median(cpus):.3f} | "
            + ", ".join(f"{w:.2f}" for w in walls)
            + " |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--cwd", type=Path, default=Path.cwd())
    parser.add_argument("--write", action="store_true")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    ns = parser.parse_args(argv[:cut])
    args = argv[cut + 1 :]
    if not args:
        parser.error("give the keyguard arguments after --")
    trees = [ns.before.resolve(), ns.after.resolve()]
    for tree in trees:
        if not (tree / "scanner" / "__main__.py").is_file():
            parser.error(f"{tree} holds no scanner package")
    results, loads = compare(trees, args, ns.runs, ns.cwd)
    text = "\n".join(
        [
            "",
            f"### {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: `bench/ab.py` "
            f"`keyguard {' '.join(args)}` (cwd `{ns.cwd}`; {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}, load average {min(loads):.1f} to {max(loads):.1f}; "
            f"{ns.runs} paired rounds after one warm-up each)",
            "",
            *table(results),
            "",
        ]
    )
    print(text)
    if ns.write:
        results_md = PROJECT / "bench" / "RESULTS.md"
        with open(results_md, "a", encoding="utf-8") as out:
            out.write("\n## A/B\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
