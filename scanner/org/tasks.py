"""The three tasks a worker runs, and the scanner each worker process holds.

- ``list_repo``: open (clone or fetch) a repository, resolve its tips and list the blobs
  reachable from them that earlier runs did not cover (id, size, a path), each once;
- ``scan_batch``: read a batch of blobs (grouped by repository, one ``cat-file`` each) and scan
  each through the engine's ``scan_blob``;
- ``attribute_repo``: the introductions (commit, author, date, path) of a repository's blobs
  with findings, and what HEAD holds at those paths.

The compiled matcher and limits reach a worker once: a forked local worker inherits them
(``install``); a Dask worker gets them from a worker plugin as pickled bytes (``install_payload``)
and each of its threads unpickles its own copy (a Hyperscan scratch is not thread-safe). Tasks
never raise for a bad repository: they return the error as data.
"""

from __future__ import annotations

import pickle
import posixpath
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from scanner.blob import Blob
from scanner.engine.results import BlobResult
from scanner.engine.unit import scan_blob
from scanner.errors import SourceError
from scanner.extractors import Limits
from scanner.matcher import Matcher
from scanner.models import Finding, Origin, SourceProblem
from scanner.org.repos import Where, object_reader, open_target, present, tips
from scanner.sources import git as gitsrc
from scanner.sources import gitlog
from scanner.sources.git import Introduction
from scanner.sources.gitblobs import ReadStats
from scanner.sources.gitcat import CatFile
from scanner.sources.gitobjects import ReachableBlobs, excludes_commits, introductions_of

SIZE_GROUP = 4096
"""Blob ids sized per ``cat-file --batch-check`` call while listing."""

# Per worker process: the scanner (local pool: the objects, inherited by fork; Dask: the pickled
# bytes from the worker plugin) and, per thread, the unpickled copy.
_slot: dict[str, Any] = {}
_local = threading.local()


def install(matcher: Matcher, limits: Limits) -> None:
    """Local worker initializer: the scanner objects, used by this process's one thread."""
    _slot["scanner"] = (matcher, limits)


def uninstall() -> None:
    """Forget the scanner (the client process, after running tasks inline)."""
    _slot.clear()
    _local.__dict__.clear()


def install_payload(payload: bytes) -> None:
    """Dask worker plugin: the pickled ``(matcher, limits)``; each thread loads its own."""
    _slot["payload"] = payload
    _slot.pop("scanner", None)
    _local.__dict__.clear()


def scanner_installed() -> bool:
    """Whether this worker process holds the scanner (diagnostics: ``client.run`` it)."""
    return "scanner" in _slot or "payload" in _slot


def payload(matcher: Matcher, limits: Limits) -> bytes:
    return pickle.dumps((matcher, limits), protocol=pickle.HIGHEST_PROTOCOL)


def _scanner() -> tuple[Matcher, Limits]:
    if "scanner" in _slot:
        got: tuple[Matcher, Limits] = _slot["scanner"]
        return got
    mine: tuple[Matcher, Limits] | None = getattr(_local, "scanner", None)
    if mine is None or getattr(_local, "payload", None) is not _slot.get("payload"):
        data = _slot.get("payload")
        if data is None:
            raise RuntimeError("keyguard scanner not installed on this worker")
        # our own payload, made by the client from the compiled rules (never scanned content)
        mine = pickle.loads(data)
        _local.scanner, _local.payload = mine, data
    assert mine is not None
    return mine


# --- listing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Listing:
    """One repository as a worker found it: its tips and the blobs not covered before.

    ``blobs`` holds (blob id, size, path) with size -1 for an object git cannot read;
    ``unchanged`` when the tips equal the previous run's (nothing listed); ``error`` when the
    repository could not be opened (nothing else is set)."""

    name: str
    root: str = ""
    tips: tuple[str, ...] = ()
    blobs: tuple[tuple[str, int, str], ...] = ()
    problems: tuple[SourceProblem, ...] = ()
    unchanged: bool = False
    gitmodules: bool = False
    error: str | None = None


def list_repo(where: Where, previous: tuple[str, ...], refresh: bool = True) -> Listing:
    """The blobs of ``where`` reachable from its tips and not from ``previous`` ones."""
    name = where.spec.name
    try:
        repo = open_target(where, refresh=refresh)
        if not gitsrc.has_any_ref(repo):
            raise SourceError(f"{name}: the repository has no commits")
        now = tips(repo, where.spec)
    except SourceError as exc:
        return Listing(name, error=str(exc))
    if previous and now == previous:
        return Listing(name, str(repo.root), tips=now, unchanged=True)
    problems: list[SourceProblem] = []
    if repo.shallow:
        problems.append(SourceProblem(name, "shallow clone: history is partial"))
    revs = where.spec.revs()
    if excludes_commits(revs):
        entries = _log_blobs(repo, revs, problems)
        gitmodules = False
    else:
        old = present(repo, [line.split()[0] for line in previous])
        walk = [*revs, "--not", *old] if old else revs
        source = ReachableBlobs(repo, walk, CatFile(repo), Limits(), ReadStats())
        entries = _sized(repo, source._objects())
        gitmodules = source.gitmodules
        if source.failed is not None:
            return Listing(name, error=f"{name}: cannot list history ({source.failed})")
    return Listing(
        name, str(repo.root), now, tuple(entries), tuple(problems), gitmodules=gitmodules
    )


def _log_blobs(
    repo: gitsrc.Repo, revs: list[str], problems: list[SourceProblem]
) -> list[tuple[str, int, str]]:
    """Blobs introduced by the commits of a range (``since``), each once, with sizes."""
    first: dict[str, bytes] = {}
    for intro in gitlog.iter_introductions(repo, revs, problems):
        first.setdefault(intro.blob, intro.raw_path)
    return _sized(repo, first.items())


def _sized(
    repo: gitsrc.Repo, objects: Iterable[tuple[str, bytes | None]]
) -> list[tuple[str, int, str]]:
    cat = CatFile(repo)
    out: list[tuple[str, int, str]] = []
    group: list[tuple[str, bytes | None]] = []

    def flush() -> None:
        infos = cat.sizes([sha for sha, _ in group])
        for sha, raw in group:
            info = infos.get(sha)
            if info is not None and info.kind != "blob":
                continue
            size = -1 if info is None else info.size
            out.append((sha, size, gitsrc.display_path(raw or b"")))
        group.clear()

    for sha, raw in objects:
        group.append((sha, raw))
        if len(group) >= SIZE_GROUP:
            flush()
    if group:
        flush()
    return out


# --- scanning --------------------------------------------------------------------------------


@dataclass(slots=True)
class BatchResult:
    """Findings per blob id (blobs scanned clean map to an empty list), and the totals."""

    findings: dict[str, list[Finding]] = field(default_factory=dict)
    total: BlobResult = field(default_factory=BlobResult)
    unreadable: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def scan_batch(groups: tuple[tuple[Where, tuple[tuple[str, str], ...]], ...]) -> BatchResult:
    """Scan the blobs of each (repository, ((blob id, path), ...)) group."""
    matcher, limits = _scanner()
    out = BatchResult()
    for where, items in groups:
        try:
            repo = object_reader(where)
        except SourceError as exc:
            out.errors.append(str(exc))
            out.unreadable.extend(sha for sha, _ in items)
            continue
        paths = dict(items)
        for sha, data in CatFile(repo).contents([sha for sha, _ in items]):
            if data is None:
                out.unreadable.append(sha)
                continue
            path = paths[sha]
            name = posixpath.basename(path) or path
            blob = Blob.from_bytes(data, Origin(path=path, kind="git"), name, key=sha)
            result = scan_blob(blob, matcher, limits)
            out.total.merge(result, findings=False)
            out.findings[sha] = result.findings
    return out


# --- attribution -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Introductions:
    """Where and when a repository's blobs with findings came in (oldest first), and the blob
    HEAD holds at each of those paths."""

    name: str
    intros: tuple[Introduction, ...] = ()
    head: tuple[tuple[bytes, str], ...] = ()
    problems: tuple[SourceProblem, ...] = ()
    error: str | None = None


def attribute_repo(where: Where, blobs: frozenset[str], submodules: bool) -> Introductions:
    name = where.spec.name
    try:
        repo = open_target(where, refresh=False)
    except SourceError as exc:
        return Introductions(name, error=str(exc))
    problems: list[SourceProblem] = []
    revs = where.spec.revs()
    intros = tuple(introductions_of(repo, revs, set(blobs), problems, submodules=submodules))
    paths = {intro.raw_path for intro in intros}
    tree = gitlog.head_tree(repo)
    head = tuple(sorted((p, sha) for p, sha in tree.items() if p in paths))
    problems = [SourceProblem(f"{name}/{p.where}", p.message, p.kind) for p in problems]
    return Introductions(name, intros, head, tuple(problems))
