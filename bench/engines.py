"""Ray or Dask distributed for ``keyguard org``: the figures behind docs/scale.md.

    python bench/engines.py [--ray-python /tmp/venv-ray/bin/python]
                            [--dask-python /tmp/venv-dask/bin/python] [--runs 3] [--tasks 10000]
                            [--install] [--results bench/RESULTS.md | --no-results]

Each engine lives in a throwaway virtual environment of its own (``--install`` makes them:
``pip install ray`` / ``pip install 'dask[distributed]'``, timed); ray is never a keyguard
dependency. For each engine the script measures, with the median of ``--runs`` runs:

- **install size**: the files pip put in site-packages (pip and setuptools left out), and the
  number of distributions; ``import`` time of the engine;
- **embedded start**: ``ray.init(num_cpus=2)`` / ``LocalCluster(n_workers=2)`` + ``Client``
  until a task has run on each of two workers (what ``keyguard org`` does with no cluster);
- **CLI start**: how a user starts a cluster, ``ray start --head --block`` /
  ``dask scheduler`` + ``dask worker --nworkers 2``, until a client has run a task on each of two
  workers;
- **per-task overhead**: 10,000 no-op tasks submitted at once and gathered, wall time / tasks,
  on both clusters;
- **memory**: resident set (RSS) and proportional set (PSS, shared pages split among the
  processes sharing them) of each worker process and of all processes the cluster started.

The child side of the script (``--child ENGINE MODE``) runs inside the engine's venv and prints
one JSON object; it imports nothing from keyguard. Processes it starts are stopped by process
group id at the end. Results are printed and appended to bench/RESULTS.md under "engines".
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # results.py, also when loaded by path
from results import append_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SKIP_DISTS = ("pip", "setuptools", "_distutils_hack", "pkg_resources", "__pycache__")


# --- child side: runs in the engine's venv --------------------------------------------------


def _noop(i: int) -> int:
    return i


def _pid(_: int) -> int:
    time.sleep(0.2)  # long enough that two tasks land on two workers
    return os.getpid()


def _memory(pid: int) -> dict[str, int]:
    """RSS and PSS of one process, in kB (0 when it is gone)."""
    out = {"rss": 0, "pss": 0}
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss"):
            out[key.lower()] = int(rest.split()[0])
    return out


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        for kid in children.get(todo.pop(), []):
            out.append(kid)
            todo.append(kid)
    return out


def _footprint(roots: list[int], workers: list[int]) -> dict[str, Any]:
    every = sorted({p for r in roots for p in [r, *_descendants(r)]})
    mem = {p: _memory(p) for p in every}
    per_worker = [mem.get(p) or _memory(p) for p in workers]
    return {
        "processes": len(every),
        "total_rss_kb": sum(m["rss"] for m in mem.values()),
        "total_pss_kb": sum(m["pss"] for m in mem.values()),
        "worker_rss_kb": statistics.median(m["rss"] for m in per_worker) if per_worker else 0,
        "worker_pss_kb": statistics.median(m["pss"] for m in per_worker) if per_worker else 0,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop the processes this script started, each with its process group (own session)."""
    for proc in reversed(procs):
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        time.sleep(0.5)  # let the group's other members exit, then make sure
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def child_dask(
    mode: str, tasks: int, procs: list[subprocess.Popen[bytes]], tmp: str
) -> dict[str, Any]:
    import importlib

    dist: Any = importlib.import_module("distributed")  # untyped: everything from it is Any
    Client, LocalCluster = dist.Client, dist.LocalCluster
    t0 = time.perf_counter()
    if mode == "embedded":
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        )
        client = Client(cluster)
    else:
        port = _free_port()
        bindir = Path(sys.executable).parent
        addr = f"tcp://127.0.0.1:{port}"
        for cmd in (
            [str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"],
            [str(bindir / "dask"), "worker", addr, "--nworkers", "2", "--nthreads", "1",
             "--host", "127.0.0.1", "--no-dashboard"],
        ):  # fmt: skip
            procs.append(
                subprocess.Popen(
                    cmd,
                    start_new_session=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        client = Client(addr, timeout=60)
    client.wait_for_workers(2, timeout=120)
    pids = set(client.gather(client.map(_pid, range(8), pure=False)))
    started = time.perf_counter() - t0
    client.gather(client.map(_noop, range(200), pure=False))  # warm
    t1 = time.perf_counter()
    client.gather(client.map(_noop, range(tasks), pure=False))
    per_task = (time.perf_counter() - t1) / tasks
    workers = list(client.run(os.getpid).values())
    roots = [os.getpid()] if mode == "embedded" else [p.pid for p in procs]
    mem = _footprint(roots, workers)
    if mode == "embedded":  # the scheduler lives in this process
        mem["driver_rss_kb"] = _memory(os.getpid())["rss"]
    t2 = time.perf_counter()
    client.close()
    if mode == "embedded":
        cluster.close()
    from importlib.metadata import version

    return {
        "engine": "dask",
        "version": f"dask {version('dask')}, distributed {version('distributed')}",
        "mode": mode,
        "start_s": started,
        "workers_used": len(pids),
        "per_task_us": per_task * 1e6,
        "stop_s": time.perf_counter() - t2,
        **mem,
    }


def child_ray(
    mode: str, tasks: int, procs: list[subprocess.Popen[bytes]], tmp: str
) -> dict[str, Any]:
    # Ray swaps a loopback address for the machine's address unless told this is no cluster
    # (ray._private.services.resolve_ip_for_localhost); everything here stays on 127.0.0.1.
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    os.environ["HOME"] = tmp  # ray writes ~/.ray/auth_token: keep it in the throwaway dir
    import importlib

    ray: Any = importlib.import_module("ray")  # in its own venv only

    t0 = time.perf_counter()
    if mode == "embedded":
        ray.init(num_cpus=2, include_dashboard=False, _temp_dir=tmp, logging_level="ERROR")
    else:
        port = _free_port()
        bindir = Path(sys.executable).parent
        procs.append(subprocess.Popen(  # noqa: S603
            [str(bindir / "ray"), "start", "--head", "--block", "--port", str(port),
             "--node-ip-address", "127.0.0.1", "--num-cpus", "2", "--include-dashboard=false",
             "--temp-dir", tmp, "--disable-usage-stats"],
            start_new_session=True, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL))  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            try:
                ray.init(address=f"127.0.0.1:{port}", logging_level="ERROR")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    noop = ray.remote(num_cpus=1)(_noop)
    pid = ray.remote(num_cpus=1)(_pid)
    pids = set(ray.get([pid.remote(i) for i in range(8)]))
    started = time.perf_counter() - t0
    ray.get([noop.remote(i) for i in range(200)])  # warm
    t1 = time.perf_counter()
    ray.get([noop.remote(i) for i in range(tasks)])
    per_task = (time.perf_counter() - t1) / tasks
    roots = [os.getpid()] if mode == "embedded" else [p.pid for p in procs]
    mem = _footprint(roots, sorted(pids))
    if mode == "embedded":
        mem["driver_rss_kb"] = _memory(os.getpid())["rss"]
    t2 = time.perf_counter()
    ray.shutdown()
    return {
        "engine": "ray",
        "version": f"ray {ray.__version__}",
        "mode": mode,
        "start_s": started,
        "workers_used": len(pids),
        "per_task_us": per_task * 1e6,
        "stop_s": time.perf_counter() - t2,
        **mem,
    }


# --- parent side ----------------------------------------------------------------------------


def site_packages(python: str) -> Path:
    out = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return Path(out.stdout.strip())


def install_size(python: str) -> dict[str, Any]:
    site = site_packages(python)
    total = 0
    for top in site.iterdir():
        name = top.name.split("-")[0].lower()
        if name in SKIP_DISTS:
            continue
        if top.is_file():
            total += top.stat().st_size
            continue
        total += sum(p.stat().st_size for p in top.rglob("*") if p.is_file() and not p.is_symlink())
    dists = [p for p in site.glob("*.dist-info") if p.name.split("-")[0].lower() not in SKIP_DISTS]
    return {"site_mb": total / 1e6, "distributions": len(dists)}


def import_seconds(python: str, module: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([python, "-c", f"import {module}"], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def install(python_path: Path, spec: str) -> float:
    venv = python_path.parent.parent
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    t0 = time.perf_counter()
    subprocess.run([str(python_path), "-m", "pip", "install", "-q", spec], check=True)
    return time.perf_counter() - t0


def run_child(python: str, engine: str, mode: str, tasks: int) -> dict[str, Any]:
    out = subprocess.run(
        [python, __file__, "--child", engine, mode, "--tasks", str(tasks)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if out.returncode != 0:
        raise SystemExit(f"{engine} {mode} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def median_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [k for k, v in rows[0].items() if isinstance(v, int | float) and not isinstance(v, bool)]
    merged = dict(rows[0])
    for k in keys:
        merged[k] = statistics.median(r[k] for r in rows)
    merged["spread_per_task_us"] = (
        min(r["per_task_us"] for r in rows), max(r["per_task_us"] for r in rows)
    )  # fmt: skip
    merged["spread_start_s"] = (min(r["start_s"] for r in rows), max(r["start_s"] for r in rows))
    return merged


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


def table(sizes: dict[str, dict[str, Any]], results: list[dict[str, Any]], args: Any) -> str:
    lines = [
        "| engine | install (site-packages) | distributions | `import` | mode | start until 2 "
        "workers ran a task | per no-op task (10k at once) | RSS per worker | PSS per worker "
        "| processes | all processes RSS / PSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s = sizes[r["engine"]]
        lo, hi = r["spread_per_task_us"]
        slo, shi = r["spread_start_s"]
        lines.append(
            f"| {r['version']} | {s['site_mb']:.0f} MB | {s['distributions']} "
            f"| {s['import_s']:.2f} s | {r['mode']} | {r['start_s']:.2f} s ({slo:.2f}–{shi:.2f}) "
            f"| {r['per_task_us']:.0f} µs ({lo:.0f}–{hi:.0f}) | {r['worker_rss_kb'] / 1024:.0f} MB "
            f"| {r['worker_pss_kb'] / 1024:.0f} MB | {r['processes']:.0f} "
            f"| {r['total_rss_kb'] / 1024:.0f} / {r['total_pss_kb'] / 1024:.0f} MB |"
        )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs=2, metavar=("ENGINE", "MODE"), help=argparse.SUPPRESS)
    ap.add_argument("--ray-python", default="/tmp/venv-ray/bin/python")
    ap.add_argument("--dask-python", default="/tmp/venv-dask/bin/python")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--install", action="store_true", help="create both venvs first (timed)")
    ap.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    ap.add_argument("--no-results", action="store_true")
    args = ap.parse_args()
    if args.child:
        engine, mode = args.child
        fn = child_ray if engine == "ray" else child_dask
        procs: list[subprocess.Popen[bytes]] = []
        # short: ray's unix sockets live in it
        with tempfile.TemporaryDirectory(prefix="kgeng", dir="/tmp") as tmp:
            try:
                print(json.dumps(fn(mode, args.tasks, procs, tmp)))
            finally:
                _stop(procs)
        return 0
    pythons = {"ray": args.ray_python, "dask": args.dask_python}
    sizes: dict[str, dict[str, Any]] = {}
    for engine, spec, module in (
        ("dask", "dask[distributed]", "distributed"),
        ("ray", "ray", "ray"),
    ):
        if args.install:
            t = install(Path(pythons[engine]), spec)
            print(f"[engines] pip install {spec}: {t:.1f} s", file=sys.stderr)
        sizes[engine] = install_size(pythons[engine])
        sizes[engine]["import_s"] = import_seconds(pythons[engine], module, args.runs)
        print(f"[engines] {engine}: {sizes[engine]}", file=sys.stderr)
    load_before = os.getloadavg()
    results = []
    for engine in ("dask", "ray"):
        for mode in ("embedded", "cli"):
            rows = []
            for i in range(args.runs):
                row = run_child(pythons[engine], engine, mode, args.tasks)
                print(f"[engines] {engine} {mode} run {i + 1}: {row}", file=sys.stderr)
                rows.append(row)
            results.append(median_of(rows))
    load_after = os.getloadavg()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = (
        f"### {stamp}: `python bench/engines.py --runs {args.runs} --tasks {args.tasks}` "
        f"({machine()}; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after; "
        f"medians of {args.runs} runs, min–max in brackets)"
    )
    text = f"{header}\n\n{table(sizes, results, args)}\n"
    print(text)
    if not args.no_results:
        append_section(args.results, "engines", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
