#!/usr/bin/env python3
"""Directory-scan benchmark: keyguard against gitleaks, kingfisher and detect-secrets.

Usage::

    python3 bench/scan.py DEST [--peers /opt/peers/bin] [--runs 3] [--results bench/RESULTS.md]

DEST is the corpus from ``python3 ../shared/bench/make_corpus.py DEST``; peers come from
``../shared/peers/setup.sh``. All tools scan ``DEST/tree`` in the same run, with their default
worker counts on this machine, after one warm-up run each, in paired rounds (each round runs
every tool once, in turn, so that a machine whose speed drifts slows them alike). For each:
median wall time, MB/s and the ratio to keyguard; median CPU time (user + system, worker
processes included) and its ratio; peak memory of the largest run; how many of the tree
needles in ``planted.jsonl`` were found (a finding on the needle's file and line); and how many
findings are elsewhere in the tree (real third-party code: nearly all false alarms).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # peers.py, also when loaded by path
import peers as peer_argv  # noqa: E402

Location = tuple[str, int]


ROOT = Path(__file__).resolve().parent.parent


def run_timed(cmd: list[str]) -> tuple[float, int, int, float]:
    """Wall seconds, exit code, peak RSS (KiB) and CPU seconds (user + system, its worker
    processes included) of one child process, started in a neutral directory (this project's
    .keyguard.toml, which excludes tests/ and docs/, must not apply to the scanned tree) with
    this checkout first on the import path. ``wait4`` gives this child's own figures (the
    process-wide ``RUSAGE_CHILDREN`` peak would carry an earlier tool's over)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=tempfile.gettempdir(),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, proc.returncode, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def keyguard(tree: Path, out: Path) -> tuple[list[str], Callable[[], set[Location]]]:
    cmd = [sys.executable, "-m", "scanner", "scan", str(tree), "-f", "json", "-o", str(out), "-q"]

    def parse() -> set[Location]:
        doc = json.loads(out.read_text())
        return {(f["path"], f["line"]) for f in doc["findings"]}

    return cmd, parse


def gitleaks(peers: Path, tree: Path, out: Path) -> tuple[list[str], Callable[[], set[Location]]]:
    cmd = peer_argv.gitleaks(peers, "dir", tree, out)

    def parse() -> set[Location]:
        return {(f["File"], f["StartLine"]) for f in json.loads(out.read_text())}

    return cmd, parse


def kingfisher(peers: Path, tree: Path, out: Path) -> tuple[list[str], Callable[[], set[Location]]]:
    cmd = peer_argv.kingfisher(peers, tree, out, "--git-history", "none")

    def parse() -> set[Location]:
        found = set()
        for item in json.loads(out.read_text()).get("findings", []):
            finding = item.get("finding", item)
            path = finding.get("path") or finding.get("file") or ""
            line = finding.get("line") or finding.get("line_num") or 0
            found.add((str(path), int(line)))
        return found

    return cmd, parse


def detect_secrets(
    peers: Path, tree: Path, out: Path
) -> tuple[list[str], Callable[[], set[Location]]]:
    cmd = ["sh", "-c", f"{peers / 'detect-secrets'} -C {tree} scan -n --all-files > {out}"]

    def parse() -> set[Location]:
        results = json.loads(out.read_text())["results"]
        return {
            (str(tree / path), item["line_number"])
            for path, items in results.items()
            for item in items
        }

    return cmd, parse


def needles(dest: Path) -> list[Location]:
    rows = [json.loads(line) for line in (dest / "planted.jsonl").read_text().splitlines()]
    out = []
    for row in rows:
        if row["where"] == "tree":
            for line in row["lines"]:
                out.append((str(dest / "tree" / row["path"]), line))
    return out


def score(found: set[Location], planted: list[Location]) -> tuple[int, int]:
    norm = {(os.path.normpath(p), line) for p, line in found}
    by_file: dict[str, set[int]] = {}
    for p, line in norm:
        by_file.setdefault(p, set()).add(line)
    hits = 0
    planted_files = {os.path.normpath(p) for p, _ in planted}
    for path, line in planted:
        lines = by_file.get(os.path.normpath(path), set())
        if any(abs(line - got) <= 2 for got in lines):
            hits += 1
    elsewhere = sum(1 for p, _ in norm if p not in planted_files)
    return hits, elsewhere


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dest", type=Path)
    ap.add_argument("--peers", type=Path, default=Path("/opt/peers/bin"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    ap.add_argument("--skip", action="append", default=[], help="a tool to leave out")
    args = ap.parse_args()
    tree = args.dest / "tree"
    size = sum(f.stat().st_size for f in tree.rglob("*") if f.is_file() and not f.is_symlink())
    planted = needles(args.dest)
    work = Path(tempfile.mkdtemp(prefix="kg-bench-"))
    tools = {
        "keyguard": keyguard(tree, work / "kg.json"),
        "gitleaks": gitleaks(args.peers, tree, work / "gl.json"),
        "kingfisher": kingfisher(args.peers, tree, work / "kf.json"),
        "detect-secrets": detect_secrets(args.peers, tree, work / "ds.json"),
    }
    chosen = {name: tool for name, tool in tools.items() if name not in args.skip}
    fast = [name for name in chosen if name != "detect-secrets"]  # minutes per run: one run
    for name in fast:
        run_timed(chosen[name][0])  # warm-up: page cache, keyguard's Hyperscan cache, kingfisher's
    measured: dict[str, list[tuple[float, int, float]]] = {name: [] for name in chosen}
    for _ in range(args.runs):  # paired: each round runs every tool once, in turn
        for name in fast:
            wall, _code, peak, cpu = run_timed(chosen[name][0])
            measured[name].append((wall, peak, cpu))
    if "detect-secrets" in chosen:
        wall, _code, peak, cpu = run_timed(chosen["detect-secrets"][0])
        measured["detect-secrets"].append((wall, peak, cpu))
    rows = []
    for name, (_cmd, parse) in chosen.items():
        runs = measured[name]
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[2] for r in runs)
        peak = max(r[1] for r in runs)
        hits, elsewhere = score(parse(), planted)
        rows.append((name, wall, cpu, peak, hits, elsewhere))
        print(
            f"{name}: {wall:.2f}s wall, {cpu:.2f}s CPU, needles {hits}/{len(planted)}, "
            f"elsewhere {elsewhere}",
            flush=True,
        )
    kg_time, kg_cpu = rows[0][1], rows[0][2]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    lines = [
        "",
        f"### {stamp}: `python3 bench/scan.py DEST` ({os.cpu_count()} CPUs, load {load:.1f}, "
        f"Python {platform.python_version()}; DEST/tree {size / 1e6:.0f} MB, "
        f"{len(planted)} needle lines)",
        "",
        "| tool | median wall | MB/s | keyguard speed-up | median CPU | keyguard CPU ratio "
        "| peak RSS | needles found | findings elsewhere |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, wall, cpu, peak, hits, elsewhere in rows:
        lines.append(
            f"| {name} | {wall:.2f} s | {size / 1e6 / wall:.0f} | {wall / kg_time:.2f}x | "
            f"{cpu:.2f} s | {cpu / kg_cpu:.2f}x | {peak / 1024:.0f} MB | {hits}/{len(planted)} "
            f"| {elsewhere} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    results = args.results.read_text() if args.results.exists() else "# Benchmarks\n"
    if "\n## scan\n" not in results:
        results += "\n## scan\n"
    head, _, tail = results.partition("\n## scan\n")
    nxt = tail.find("\n## ")
    section, rest = (tail, "") if nxt == -1 else (tail[:nxt], tail[nxt:])
    args.results.write_text(head + "\n## scan\n" + section.rstrip("\n") + "\n" + text + rest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
