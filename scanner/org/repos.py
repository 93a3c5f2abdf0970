"""Repositories on a worker: clone or fetch a URL into the cache, open a path, list tips.

Clones are bare mirrors under the cache directory (one per URL), made and refreshed through the
hardened git command line (``sources.git.git_argv`` / ``git_env``) with exactly the URL's
transport allowed; the ``ext`` transport never is. A lock file serialises the worker processes
of one machine on the same mirror. Local paths are opened where they are (a cluster needs them
on a shared filesystem).
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import SourceError
from scanner.org.manifest import RepoSpec
from scanner.sources.git import (
    Repo,
    error_line,
    git_argv,
    git_env,
    resolve_commit,
)
from scanner.sources.gitopen import open_repo

FETCH_TIMEOUT = 600.0
"""Seconds a clone or fetch may take before the repository is reported unreachable."""


@dataclass(frozen=True, slots=True)
class Where:
    """A repository to open on a worker: what the manifest says and where clones go."""

    spec: RepoSpec
    cache_dir: str
    root: str = ""
    """Where a listing task found the repository (lets scan tasks skip re-opening it)."""


def mirror_path(where: Where) -> Path:
    digest = hashlib.sha256(where.spec.location.encode("utf-8")).hexdigest()[:16]
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", where.spec.name)[:60]
    return Path(where.cache_dir) / f"{safe}-{digest}.git"


def open_target(where: Where, *, refresh: bool) -> Repo:
    """The repository of ``where``: a URL is cloned (or, with ``refresh``, fetched) first.

    ``SourceError`` names the repository when it cannot be reached or is not a repository."""
    spec = where.spec
    if not spec.is_url:
        if not Path(spec.location).exists():
            raise SourceError(f"{spec.name}: {spec.location}: no such repository")
        try:
            return open_repo(spec.location)
        except SourceError as exc:
            raise SourceError(f"{spec.name}: {exc}") from None
    mirror = mirror_path(where)
    mirror.parent.mkdir(parents=True, exist_ok=True)
    with _locked(mirror.with_suffix(".lock")):
        if not (mirror / "HEAD").exists():
            tmp = mirror.with_suffix(".tmp")
            _remove(tmp)
            _transfer(spec, ["clone", "--mirror", "--quiet", "--", spec.location, str(tmp)], None)
            tmp.rename(mirror)
        elif refresh:
            _transfer(spec, ["fetch", "--prune", "--quiet", "origin"], mirror)
    try:
        return open_repo(str(mirror))
    except SourceError as exc:
        raise SourceError(f"{spec.name}: {exc}") from None


def object_reader(where: Where) -> Repo:
    """A repository to read objects from (``gitcat.CatFile``): where the listing task found
    it when that directory is here, else opened (cloned) as ``open_target`` does."""
    if where.root and Path(where.root).is_dir():
        root = Path(where.root)
        return Repo(where.spec.name, root, root, bare=False, shallow=False, head=None)
    return open_target(where, refresh=False)


def _transfer(spec: RepoSpec, args: list[str], cwd: Path | None) -> None:
    """``git clone`` / ``git fetch`` with only the URL's transport allowed, never a prompt."""
    scheme = _scheme(spec.location)
    env = git_env()
    env["GIT_ALLOW_PROTOCOL"] = scheme
    extra = ["-c", f"protocol.{scheme}.allow=always"]
    if scheme == "ssh":
        extra += ["-c", "core.sshCommand=ssh -o BatchMode=yes"]
    try:
        proc = subprocess.run(
            git_argv([*extra, *args]),
            cwd=cwd,
            env=env,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=FETCH_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise SourceError("git is not installed (or not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise SourceError(f"{spec.name}: {args[0]} timed out after {FETCH_TIMEOUT:.0f}s") from None
    if proc.returncode != 0:
        message = _strip_credentials(error_line(proc.stderr))
        raise SourceError(f"{spec.name}: cannot {args[0]} ({message})")


def _scheme(location: str) -> str:
    match = re.match(r"^([a-z][a-z0-9+.-]*)://", location, re.IGNORECASE)
    return match.group(1).lower() if match else "ssh"


def _strip_credentials(text: str) -> str:
    return re.sub(r"([a-z][a-z0-9+.-]*://)[^/@\s]*@", r"\1", text)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove(path: Path) -> None:
    import shutil

    if path.exists():
        shutil.rmtree(path)


def tips(repo: Repo, spec: RepoSpec) -> tuple[str, ...]:
    """What the scan covers, as sorted ``sha name`` lines: every ref and HEAD, or the
    resolved ``ref`` / ``since`` (``SourceError`` when one does not resolve)."""
    if spec.ref is None and spec.since is None:
        proc = repo.run(["for-each-ref", "--format=%(objectname) %(refname)"], check=False)
        lines = set(proc.stdout.decode("utf-8", "replace").splitlines())
        if repo.head is not None:
            lines.add(f"{repo.head} HEAD")
        return tuple(sorted(line for line in lines if line.strip()))
    out: list[str] = []
    for label, rev in (("ref", spec.ref or "HEAD"), ("since", spec.since)):
        if rev is None:
            continue
        sha = resolve_commit(repo, rev)
        if sha is None:
            raise SourceError(f"{spec.name}: unknown revision {rev!r} (`{label}`)")
        out.append(f"{sha} {label}")
    return tuple(sorted(out))


def present(repo: Repo, shas: list[str]) -> list[str]:
    """The commits of ``shas`` that the repository still has (a force push drops some)."""
    if not shas:
        return []
    proc = repo.run(
        ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
        input=("\n".join(shas) + "\n").encode("ascii"),
        check=False,
    )
    found = {
        parts[0]
        for parts in (line.split() for line in proc.stdout.decode("ascii", "replace").splitlines())
        if len(parts) == 2 and parts[1] == "commit"
    }
    return [sha for sha in shas if sha in found]
