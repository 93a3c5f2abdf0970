"""An organisation of small git repositories for ``keyguard org`` tests and benchmarks.

``make_org`` builds ``bases`` repositories, each with a few commits (one secret per base, a
vendored file every repository shares, some clean files) and ``forks`` clones of each base
that diverge with commits of their own (one with a new secret). Forks share every blob of
their base, so an org scan must scan those once. Tokens are synthetic (``kgtest.token`` rule
of ``testing.gitrepo``).

``start_cluster`` starts a real local Dask cluster: ``dask scheduler`` plus worker processes
(``dask worker --no-nanny``, so each worker is one process a test can kill) on 127.0.0.1 with
random ports, with bounded waits; ``Cluster.stop`` ends every process it started. The CLI
helpers run ``keyguard org`` / ``keyguard git`` and compare their findings per repository.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from testing.gitrepo import GitRepo, cli_args, fake_token, git_repo

VENDORED = "# vendored helper shared by every repository\n" + "".join(
    f"def helper_{i}(x):\n    return x * {i}\n" for i in range(40)
)


@dataclass
class Org:
    """The repositories (name -> repo) and the secrets each one's history holds."""

    root: Path
    repos: dict[str, GitRepo] = field(default_factory=dict)
    secrets: dict[str, set[str]] = field(default_factory=dict)

    def manifest(self, names: list[str] | None = None, extra: tuple[str, ...] = ()) -> Path:
        """A plain-text manifest of ``names`` (all by default) plus ``extra`` lines."""
        chosen = list(self.repos) if names is None else names
        path = self.root / "org.txt"
        lines = ["# keyguard org test manifest", *(str(self.repos[n].path) for n in chosen)]
        path.write_text("\n".join([*lines, *extra]) + "\n", encoding="utf-8")
        return path


def _clone(source: GitRepo, target: Path) -> GitRepo:
    subprocess.run(
        ["git", "clone", "-q", "--no-hardlinks", str(source.path), str(target)],
        env=source.env,
        capture_output=True,
        check=True,
    )
    fork = GitRepo(path=target, tick=source.tick + 100, env=dict(source.env))
    fork.git("config", "commit.gpgsign", "false")
    return fork


def make_org(
    root: Path, bases: int = 3, forks: int = 2, files: int = 4, body_lines: int = 20
) -> Org:
    """``bases`` repositories and ``forks`` divergent forks of each (see the module doc)."""
    org = Org(root)
    n = 0
    for b in range(bases):
        name = f"base{b}"
        repo = git_repo(root, name)
        clean = {
            f"src/mod{b}_{i}.py": "".join(
                f"value_{b}_{i}_{j} = {j * (i + 1)}\n" for j in range(body_lines)
            )
            for i in range(files)
        }
        repo.commit("initial", {**clean, "vendor/helpers.py": VENDORED})
        n += 1
        secret = fake_token(n)
        repo.commit("add settings", {"config/settings.py": f"TOKEN = '{secret}'\n"})
        repo.commit("tidy", {f"src/mod{b}_0.py": clean[f"src/mod{b}_0.py"] + "tidy = 1\n"})
        org.repos[name] = repo
        org.secrets[name] = {secret}
        for f in range(forks):
            fork_name = f"base{b}-fork{f}"
            fork = _clone(repo, root / fork_name)
            n += 1
            own = fake_token(n)
            fork.commit(
                f"fork {f} work",
                {
                    f"fork/notes{f}.md": f"fork {fork_name}\n" * 5,
                    f"fork/deploy{f}.env": f"DEPLOY_TOKEN={own}\n",
                },
            )
            org.repos[fork_name] = fork
            org.secrets[fork_name] = {secret, own}
    return org


def add_commit(org: Org, name: str, n: int) -> str:
    """A new commit in ``name`` with one new secret (token ``n``) and one new clean file."""
    repo = org.repos[name]
    secret = fake_token(n)
    repo.commit(
        f"more work {n}",
        {f"later/new{n}.py": f"KEY = '{secret}'\n", f"later/clean{n}.txt": f"clean {n}\n"},
    )
    org.secrets[name].add(secret)
    return secret


# --- a local Dask cluster ---------------------------------------------------------------

START_TIMEOUT = 30.0


@dataclass
class Cluster:
    address: str
    root: Path
    env: dict[str, str]
    scheduler: subprocess.Popen[bytes]
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def add_worker(self, name: str) -> subprocess.Popen[bytes]:
        dask = Path(sys.executable).with_name("dask")
        log = open(self.root / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            [str(dask), "worker", self.address, "--no-nanny", "--nthreads", "1",
             "--host", "127.0.0.1", "--no-dashboard", "--name", name,
             "--local-directory", str(self.root / name)],
            stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=self.root,
        )  # fmt: skip
        log.close()
        self.workers[name] = proc
        return proc

    def wait_for_workers(self, count: int) -> None:
        from distributed import Client

        with Client(self.address, timeout="20s", set_as_default=False) as client:
            client.wait_for_workers(count, timeout=START_TIMEOUT)

    def stop(self) -> None:
        """Workers first (they close cleanly while the scheduler is up), then the scheduler;
        whatever has not exited after a few seconds is killed."""
        for group in (list(self.workers.values()), [self.scheduler]):
            for proc in group:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 5
            for proc in group:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)


def start_cluster(root: Path, workers: int = 2) -> Cluster:
    root.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "HOME": str(root),
        "DASK_DISTRIBUTED__WORKER__DAEMON": "False",
        "DASK_LOGGING__DISTRIBUTED": "warning",
    }
    dask = Path(sys.executable).with_name("dask")
    info = root / "scheduler.json"
    log = open(root / "scheduler.log", "wb")  # noqa: SIM115 (closed with the process)
    scheduler = subprocess.Popen(
        [str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(info)],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root,
    )  # fmt: skip
    log.close()
    deadline = time.monotonic() + START_TIMEOUT
    address = ""
    while time.monotonic() < deadline and scheduler.poll() is None:
        try:
            address = json.loads(info.read_text())["address"]
            break
        except (OSError, ValueError, KeyError):
            time.sleep(0.1)
    cluster = Cluster(address, root, env, scheduler)
    if not address:
        cluster.stop()
        raise RuntimeError(f"dask scheduler did not start: {(root / 'scheduler.log').read_text()}")
    try:
        for i in range(workers):
            cluster.add_worker(f"w{i}")
        cluster.wait_for_workers(workers)
    except BaseException:
        cluster.stop()
        raise
    return cluster


# --- a worker process that dies -------------------------------------------------------------


@dataclass(frozen=True)
class DieOnce:
    """``fn`` as a task, except that the first call (across processes: an exclusive flag
    file) kills its own worker process with SIGKILL, as the out-of-memory killer would."""

    fn: Any
    flag: Path

    def __call__(self, *args: Any) -> Any:
        try:
            os.close(os.open(self.flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return self.fn(*args)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")


# --- rotation through the exec provider ----------------------------------------------------

ROTATION_HOOK = """\
import json, sys
payload = json.load(sys.stdin)
with open(sys.argv[1], "a") as out:
    out.write(payload["fingerprint"] + "\\n")
if "deploy" in payload["location"]:
    print("refused for " + payload["secret"], file=sys.stderr)
    sys.exit(1)
"""
"""Records each fingerprint it is called for; refuses (exit 1, echoing the secret it was given)
the secrets found in ``deploy`` files, that is the forks' own."""


def rotation_hook(tmp_path: Path) -> tuple[list[str], Path]:
    """CLI args for an ``exec`` rotation entry running ``ROTATION_HOOK`` (``pass_secret``, no
    retries; state and audit in ``tmp_path``), and the file the hook appends fingerprints to."""
    script = tmp_path / "hook.py"
    script.write_text(ROTATION_HOOK, encoding="utf-8")
    calls = tmp_path / "calls.txt"
    command = json.dumps([sys.executable, str(script), str(calls)])
    config = tmp_path / "kg.toml"
    config.write_text(
        '[[rotation]]\nname = "hook"\nprovider = "exec"\nrules = ["kgtest.*"]\n'
        f"command = {command}\npass_secret = true\nretries = 0\n",
        encoding="utf-8",
    )
    args = ["--config", str(config), "--rotation-state", str(tmp_path / "rot.json"),
            "--rotation-audit", str(tmp_path / "audit.jsonl")]  # fmt: skip
    return args, calls


# --- running and comparing -----------------------------------------------------------------


def write_manifest(directory: Path, name: str, text: str) -> Path:
    """A manifest file ``name`` (``.txt``: one repository a line; ``.toml``: ``[[repo]]``
    tables) holding ``text``."""
    manifest = directory / name
    manifest.write_text(text, encoding="utf-8")
    return manifest


def invoke(args: list[str]) -> Result:
    from scanner.cli import main

    return CliRunner().invoke(main, args, catch_exceptions=False)


def org_cli(manifest: Path, rules: Path, state: Path, *extra: str) -> Result:
    return invoke(["org", str(manifest), *cli_args(rules), "--state", str(state), *extra])


def report(result: Result) -> dict[str, Any]:
    """The JSON report in ``result``'s stdout."""
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def per_repo(doc: dict[str, Any]) -> dict[str, set[tuple[Any, ...]]]:
    """(path, line, column, rule, fingerprint, commit, in_head) per repository of an org report."""
    out: dict[str, set[tuple[Any, ...]]] = {}
    for f in doc["findings"]:
        prov = f["provenance"]
        name = prov["repository"]
        assert f["path"].startswith(name + "/")
        out.setdefault(name, set()).add(_key(f, f["path"][len(name) + 1 :]))
    return out


def git_alone(repo: Path, rules: Path, *extra: str) -> set[tuple[Any, ...]]:
    """The same tuples from ``keyguard git REPO`` on one repository."""
    result = invoke(["git", str(repo), *cli_args(rules), "-f", "json", *extra])
    assert result.exit_code in (0, 1), result.output
    return {_key(f, f["path"]) for f in report(result)["findings"]}


def _key(f: dict[str, Any], path: str) -> tuple[Any, ...]:
    prov = f["provenance"]
    return (
        path,
        f["line"],
        f["column"],
        f["rule_id"],
        f["fingerprint"],
        prov["commit"],
        prov["date"],
        prov["in_head"],
    )
