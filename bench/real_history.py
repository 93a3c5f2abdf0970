#!/usr/bin/env python3
"""Git history benchmark on a real code base: every listed release of a PyPI project, one
commit per release, with a few planted synthetic secrets added and later removed.

Usage::

    python3 bench/real_history.py WORKDIR [--project django] [--runs 3] [--jobs 6]
                                  [--peers /opt/peers/bin] [--results bench/RESULTS.md]
                                  [--build-only]

WORKDIR caches everything: ``sdists/<version>/`` (``pip download --no-deps --no-binary :all:``),
``repo`` (the history; rebuilt only when the version list or the plants change) and
``planted.jsonl``. The history is deterministic: fixed identity and dates, the same plants.

keyguard (``python -m scanner git REPO``), ``gitleaks git REPO`` and ``kingfisher scan
REPO/.git`` (history only; command lines from ``bench/peers.py``, binaries in ``--peers``) run
in turn, ``--runs`` times (paired runs) after one warm-up each; the table gives medians of
wall time, CPU time (user + sys, children included) and peak RSS (the largest single
process, from ``wait4``), and which planted secrets each tool's report holds. keyguard is
also checked for attribution (the planted secret's path and the commit that added it).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # peers.py, also when loaded by path

import peers as peer_argv  # noqa: E402

from testing.tokens import aws_key_id, github_token  # noqa: E402

DJANGO = [
    "1.8",
    "1.9",
    "1.10",
    "1.11",
    "1.11.29",
    "2.0",
    "2.1",
    "2.2",
    "2.2.10",
    "2.2.28",
    "3.0",
    "3.1",
    "3.2",
    "3.2.5",
    "3.2.10",
    "3.2.25",
    "4.0",
    "4.0.5",
    "4.1",
    "4.1.5",
    "4.2",
    "4.2.1",
    "4.2.2",
    "4.2.3",
    "4.2.5",
    "4.2.8",
    "4.2.11",
    "4.2.15",
    "4.2.20",
    "5.0",
    "5.0.1",
    "5.0.4",
    "5.0.8",
    "5.1",
    "5.1.1",
    "5.1.4",
    "5.2",
    "5.2.1",
    "5.2.4",
    "5.2.8",
]


@dataclass(frozen=True)
class Plant:
    kind: str
    path: str
    text: str
    secret: str
    added: int  # index of the release that adds it
    removed: int  # index of the release that no longer has it


def plants() -> list[Plant]:
    ghp = github_token("RealHistPlant0GhToken1Body2Aa9")
    ghp2 = github_token("RealHistPlant1GhToken3Body4Bb8")
    akia, aws_secret = aws_key_id("RHB7Q2W3E4R5T6YP"), "rhBench9Qz/3xVb7+Lm2Np5Rt8Wy1Hc4Jd6Fs0GkQ"
    slack = "xoxb-" + "2384691057" + "-" + "4720583916273" + "-" + "Rh4bQ9zLm2Xc7Vn1Tk5Wp8Ys"
    stripe = "sk_live_" + "51RhBq7Xz2Lm9Vc4Tn8Wk3Ps6Yd1Gf5Hj0"
    glpat = "glpat-" + "Rh7bQ2zLm9Xc4Vn1Tk5W"
    return [
        Plant("github-pat", "deploy/github.env", f"GITHUB_TOKEN={ghp}\n", ghp, 3, 8),
        Plant(
            "aws-key-pair",
            "settings/aws_prod.py",
            f'AWS_ACCESS_KEY_ID = "{akia}"\nAWS_SECRET_ACCESS_KEY = "{aws_secret}"\n',
            akia,
            10,
            14,
        ),
        Plant(
            "slack-bot",
            "tools/notify.sh",
            f'curl -H "Authorization: Bearer {slack}"\n',
            slack,
            15,
            20,
        ),
        Plant(
            "stripe-live",
            "payments/keys.yaml",
            f"stripe:\n  secret_key: {stripe}\n",
            stripe,
            22,
            25,
        ),
        Plant("github-pat", "scripts/release.cfg", f"[release]\ntoken = {ghp2}\n", ghp2, 28, 29),
        Plant("gitlab-pat", "ci/gitlab.env", f"GITLAB_TOKEN={glpat}\n", glpat, 33, 36),
    ]


def download(work: Path, project: str, versions: list[str], jobs: int) -> list[Path]:
    def one(version: str) -> Path:
        target = work / "sdists" / version
        found = sorted(target.glob("*.tar.gz")) if target.exists() else []
        if not found:
            target.mkdir(parents=True, exist_ok=True)
            cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary"]
            cmd += [":all:", f"{project}=={version}", "-d", str(target)]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            found = sorted(target.glob("*.tar.gz"))
        if len(found) != 1:
            raise SystemExit(f"{target}: expected one .tar.gz, found {found}")
        return found[0]

    with cf.ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(one, versions))


def build_repo(work: Path, project: str, versions: list[str], jobs: int) -> Path:
    repo = work / "repo"
    spec = json.dumps([project, versions, [p.__dict__ for p in plants()]], sort_keys=True)
    digest = hashlib.sha256(spec.encode()).hexdigest()
    marker = repo / ".git" / "keyguard-real-history"
    if marker.exists() and marker.read_text().strip() == digest:
        return repo
    sdists = download(work, project, versions, jobs)
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    base_env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@invalid",
        "GIT_CONFIG_NOSYSTEM": "1",
    }

    def git(*args: str, env: dict[str, str] = base_env) -> str:
        out = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
        return out.stdout.decode().strip()

    git("init", "-q", "-b", "main")
    rows = []
    for i, (version, sdist) in enumerate(zip(versions, sdists, strict=True)):
        for entry in repo.iterdir():
            if entry.name != ".git":
                shutil.rmtree(
                    entry
                ) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        subprocess.run(
            ["tar", "-xzf", str(sdist), "--strip-components=1", "--no-same-owner", "-C", str(repo)],
            check=True,
        )
        for p in plants():
            if p.added <= i < p.removed:
                target = repo / p.path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(p.text)
        when = (dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=i)).isoformat()
        env = {**base_env, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        git("-c", "core.autocrlf=false", "add", "-A", "-f", env=env)
        git(
            "-c",
            "core.autocrlf=false",
            "commit",
            "-q",
            "--no-verify",
            "--allow-empty",
            "-m",
            f"{project} {version}",
            env=env,
        )
        sha = git("rev-parse", "HEAD")
        for p in plants():
            if p.added == i:
                rows.append({"kind": p.kind, "path": p.path, "commit": sha, "secret": p.secret})
    git("gc", "-q")
    (work / "planted.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    marker.write_text(digest + "\n")
    return repo


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    start = time.perf_counter()
    # from a neutral directory: this project's .keyguard.toml (it excludes tests/ and docs/)
    # must not apply to the scanned history
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=tempfile.gettempdir(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1, 200, 205):  # kingfisher: 200/205 when it finds secrets
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def tools(
    repo: Path, work: Path, peers: Path
) -> dict[str, tuple[list[str], Path, dict[str, str] | None]]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    kg_out = work / "keyguard.json"
    kg = [sys.executable, "-m", "scanner", "git", str(repo), "-q", "--show-secrets"]
    out: dict[str, tuple[list[str], Path, dict[str, str] | None]] = {
        "keyguard git": ([*kg, "-f", "json", "-o", str(kg_out)], kg_out, env)
    }
    if (peers / "gitleaks").exists():
        report = work / "gitleaks.json"
        cmd = peer_argv.gitleaks(peers, "git", repo, report, "--log-level", "error")
        out["gitleaks git"] = (cmd, report, None)
    if (peers / "kingfisher").exists():
        report = work / "kingfisher.json"
        out["kingfisher scan (.git)"] = (
            peer_argv.kingfisher(peers, repo / ".git", report),
            report,
            None,
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--project", default="django")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=6, help="parallel downloads")
    parser.add_argument("--results", type=Path, default=PROJECT / "bench" / "RESULTS.md")
    parser.add_argument("--peers", type=Path, default=Path("/opt/peers/bin"))
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    if args.project != "django":
        parser.error("only django's release list is built in")
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    repo = build_repo(work, args.project, DJANGO, args.jobs)
    if args.build_only:
        return 0
    planted = [json.loads(x) for x in (work / "planted.jsonl").read_text().splitlines()]
    load_start = os.getloadavg()
    table = tools(repo, work, args.peers)
    runs: dict[str, list[Run]] = {name: [] for name in table}
    for cmd, _, env in table.values():
        measure(cmd, env)  # warm-up (rule caches, page cache)
    for _ in range(args.runs):
        for name, (cmd, _, env) in table.items():
            runs[name].append(measure(cmd, env))
    load_end = os.getloadavg()
    count = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--all", "--count"], capture_output=True, text=True
    ).stdout.strip()
    blobs = subprocess.run(
        ["git", "-C", str(repo), "count-objects", "-v"], capture_output=True, text=True
    ).stdout.replace("\n", "; ")
    lines = [
        "",
        "## git (real history)",
        "",
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, nproc "
        f"{os.cpu_count()}, load average {load_start[0]:.1f} at start and {load_end[0]:.1f} at "
        f"end, Python {platform.python_version()}. Command: "
        f"`python bench/real_history.py {args.workdir} --runs {args.runs}`.",
        "",
        f"History: {len(DJANGO)} {args.project} releases ({DJANGO[0]} to {DJANGO[-1]}) from "
        f"their sdists, one commit each ({count} commits; {blobs.strip('; ')}), "
        f"{len(planted)} planted synthetic secrets each added and later removed. Medians of "
        f"{args.runs} paired runs after one warm-up each.",
        "",
        "| tool | wall (s) | runs (s) | CPU (s) | peak RSS (MB) | planted found "
        "| wall vs keyguard | CPU vs keyguard |",
        "|---|---|---|---|---|---|---|---|",
    ]
    kg_wall = statistics.median(r.wall for r in runs["keyguard git"])
    kg_cpu = statistics.median(r.cpu for r in runs["keyguard git"])
    for name, (_, report, _) in table.items():
        text = report.read_text(errors="replace") if report.exists() else ""
        found = sum(1 for p in planted if p["secret"] in text)
        wall = statistics.median(r.wall for r in runs[name])
        cpu = statistics.median(r.cpu for r in runs[name])
        lines.append(
            f"| {name} | {wall:.2f} | {', '.join(f'{r.wall:.2f}' for r in runs[name])} | "
            f"{cpu:.2f} | {statistics.median(r.rss_mb for r in runs[name]):.0f} | "
            f"{found}/{len(planted)} | {wall / kg_wall:.2f} | {cpu / kg_cpu:.2f} |"
        )
    doc = json.loads((work / "keyguard.json").read_text())
    attributed = {(f["path"], f.get("provenance", {}).get("commit")) for f in doc["findings"]}
    ok = sum(1 for p in planted if (p["path"], p["commit"]) in attributed)
    lines += [
        "",
        f"keyguard: {len(doc['findings'])} finding(s); planted secrets at their path and "
        f"attributed to the commit that added them: {ok}/{len(planted)}.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    with open(args.results, "a", encoding="utf-8") as out:
        out.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
