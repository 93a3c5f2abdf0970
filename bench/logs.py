"""Benchmark for ``keyguard filter``: lines/s through the CLI on a realistic application-log mix.

The corpus (``bench/logcorpus.py``, deterministic, seeded) is mostly ``key=value`` application
logs in which token, key, auth, session, password and secret play non-secret roles, access logs
with query strings (some percent-encoded), JSON logs with nested objects, stack traces, SQL and
libpq connection strings; one line in a thousand holds a synthetic secret of one of nine kinds.

For each engine it runs ``python -m scanner filter --quiet < corpus > out`` ``--runs`` times and
reports the median wall time and the CPU time of the filter process (the machine may be shared:
the load average is printed), then checks that the line count is kept, every planted secret is
gone from its line and no other line changed. ``--write`` appends the figures to
``bench/RESULTS.md`` under a "filter" heading.

    python bench/logs.py [--lines 1000000] [--runs 3] [--engines hyperscan,aho-corasick] [--write]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from logcorpus import generate  # noqa: E402

from scanner.filters import is_placeholder  # noqa: E402


def check(output: bytes, corpus: bytes, planted: list[tuple[int, str]]) -> list[str]:
    """Problems: a changed line count, a planted secret left in place, other lines changed."""
    out_lines = output.split(b"\n")
    in_lines = corpus.split(b"\n")
    if len(out_lines) != len(in_lines):
        return [f"line count {len(out_lines) - 1} != {len(in_lines) - 1}"]
    problems = []
    for index, secret in planted:
        line = out_lines[index]
        if secret.encode() in line or b"[REDACTED:" not in line:
            problems.append(f"line {index + 1}: planted secret not redacted")
    planted_lines = {i for i, _ in planted}
    changed = sum(
        1 for i, (a, b) in enumerate(zip(in_lines, out_lines, strict=True)) if a != b
    ) - sum(1 for i in planted_lines if in_lines[i] != out_lines[i])
    if changed:
        problems.append(f"{changed} clean lines changed")
    return problems


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(src: Path, dst: Path, extra: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one filter run, start-up included."""
    cmd = [sys.executable, "-m", "scanner", "filter", "--quiet", *extra]
    cpu = _children_cpu()
    start = time.perf_counter()
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        subprocess.run(cmd, stdin=fin, stdout=fout, check=True, cwd=ROOT)
    return time.perf_counter() - start, _children_cpu() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engines", default="hyperscan,aho-corasick")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()

    corpus, planted = generate(args.lines, is_placeholder=is_placeholder)
    report = [
        f"corpus: `bench/logcorpus.py` seed 7, {args.lines:,} lines, {len(corpus) / 1e6:.1f} MB, "
        f"{len(planted)} planted secrets (9 kinds)"
    ]
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.log", Path(tmp) / "out.log"
        src.write_bytes(corpus)
        run_cli(src, dst, [])  # warm the rule cache (the Hyperscan database compiles once)
        for engine in args.engines.split(","):
            load = os.getloadavg()[0]
            runs = [run_cli(src, dst, ["--engine", engine]) for _ in range(args.runs)]
            problems = check(dst.read_bytes(), corpus, planted)
            ok = ok and not problems
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            report.append(
                f"`python -m scanner filter --quiet --engine {engine} < corpus > out`: median of "
                f"{args.runs} {wall:.2f} s wall = **{args.lines / wall:,.0f} lines/s** "
                f"({', '.join(f'{w:.2f}' for w, _ in runs)} s; load average {load:.1f} at start), "
                f"{cpu:.2f} CPU-s = {args.lines / cpu:,.0f} lines per CPU-second; "
                + (
                    "every planted secret redacted, no line lost or changed"
                    if not problems
                    else "; ".join(problems[:3])
                )
            )
    text = "\n".join(f"- {line}" for line in report)
    print(text)
    if args.write:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        machine = f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as out:
            out.write(f"\n## filter\n\n`python bench/logs.py` ({stamp}, {machine}):\n\n{text}\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
