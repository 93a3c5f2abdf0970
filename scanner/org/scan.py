"""The org scan: list every repository, scan each unique new blob once, attribute, merge.

1. **List** (one task per repository): clone or fetch, resolve the tips; when they equal the
   recorded ones nothing is listed, otherwise the blobs reachable from the new tips and not
   from the recorded ones.
2. **Scan** (tasks sized by bytes, ``plan.batches``): every blob id listed by any repository
   and not in the state is scanned once; the blobs the state says had findings are read again
   to rebuild their findings (no finding is ever stored). Each finished batch is committed to
   the state; a batch lost with its worker is re-run by the engine and committed then.
3. **Attribute** (one task per repository with findings): introductions of its blobs with
   findings; each finding is placed at every path and commit (``attribute``).
4. **Merge**: ``results.finish`` dedupes (repository, path, rule, position, secret), applies
   suppressions and sorts; the command ends with ``engine.tail.conclude``.

A repository that cannot be reached is a problem naming it; the others finish.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from scanner.engine.context import ScanContext
from scanner.engine.results import BlobResult, ScanResult, finish
from scanner.models import Finding, SourceProblem
from scanner.org import tasks
from scanner.org.attribute import attribute
from scanner.org.manifest import RepoSpec
from scanner.org.plan import BATCH_BLOBS, BATCH_BYTES, Batch, OrgStats, Planned, batches
from scanner.org.repos import Where
from scanner.org.runners import Call, Runner
from scanner.org.state import CLEAN, FINDINGS, StateStore

Progress = Callable[[str, int, int], None]
"""Called with (phase, tasks done, tasks in the phase): phases ``list``, ``scan``, ``attribute``."""


@dataclass(frozen=True, slots=True)
class Tuning:
    batch_bytes: int = BATCH_BYTES
    batch_blobs: int = BATCH_BLOBS
    full: bool = False


@dataclass(slots=True)
class _Repo:
    """One repository through the run."""

    where: Where
    previous: tuple[str, ...]
    found: set[str]
    listing: tasks.Listing | None = None
    complete: bool = True

    @property
    def name(self) -> str:
        return self.where.spec.name


@dataclass(slots=True)
class _Run:
    repos: dict[str, _Repo]
    total: BlobResult = field(default_factory=BlobResult)
    per_blob: dict[str, list[Finding]] = field(default_factory=dict)
    stats: OrgStats = field(default_factory=OrgStats)


def _revs_key(spec: RepoSpec) -> str:
    return " ".join(spec.revs())


def run_org(
    specs: Sequence[RepoSpec],
    ctx: ScanContext,
    runner: Runner,
    state: StateStore,
    progress: Progress | None = None,
    tuning: Tuning = Tuning(),
) -> tuple[ScanResult, OrgStats]:
    started = time.monotonic()
    repos: dict[str, _Repo] = {}
    run_stats = OrgStats()  # repositories in manifest order
    for spec in specs:
        run_stats.repo(spec.name)
        tips, found = state.repo(spec.name, spec.location, _revs_key(spec))
        if tuning.full:
            tips, found = (), set()
        repos[spec.name] = _Repo(Where(spec, str(state.clones)), tips, found)
    run = _Run(repos, stats=run_stats)
    run.stats.repositories = len(repos)
    run.stats.runner = runner.name
    _list(run, runner, progress)
    _scan(run, runner, state, ctx, progress, tuning)
    findings = _attribute(run, runner, state, ctx, progress)
    run.total.findings.extend(findings)
    files = run.stats.scanned + run.stats.rescanned
    copies = ctx.settings.all_copies
    result = finish(run.total, files, ctx.matcher.engine, started, ctx.filters, all_copies=copies)
    return result, run.stats


def _phase(
    runner: Runner, calls: list[Call], phase: str, progress: Progress | None, stats: OrgStats
) -> Iterator[tuple[int, object]]:
    """Each call's (index, result) as it finishes (the caller commits it before the next)."""
    if progress is not None:
        progress(phase, 0, len(calls))
    for done, (index, result) in enumerate(runner.run(calls), 1):
        yield index, result
        stats.tasks += 1
        if progress is not None:
            progress(phase, done, len(calls))


def _problem(run: _Run, where: str, message: str) -> None:
    run.total.problems.append(SourceProblem(where, message))


def _fail(run: _Run, repo: _Repo, message: str) -> None:
    if repo.complete:
        run.stats.failed += 1
    repo.complete = False
    reason = message.removeprefix(f"{repo.name}: ")
    _problem(run, repo.name, f"repository not scanned: {reason}")
    stats = run.stats.repo(repo.name)
    stats.status = "failed"
    stats.errors.append(reason)


def _list(run: _Run, runner: Runner, progress: Progress | None) -> None:
    t0 = time.monotonic()
    order = list(run.repos.values())
    calls: list[Call] = [(tasks.list_repo, (r.where, r.previous)) for r in order]
    for index, result in _phase(runner, calls, "list", progress, run.stats):
        repo = order[index]
        if isinstance(result, BaseException):
            _fail(run, repo, f"listing failed ({type(result).__name__}: {result})")
        elif isinstance(result, tasks.Listing):
            if result.error is not None:
                _fail(run, repo, result.error)
                continue
            repo.listing = result
            repo.where = replace(repo.where, root=result.root)
            run.total.problems.extend(result.problems)
            run.stats.unchanged += result.unchanged
            stats = run.stats.repo(repo.name)
            stats.status = "unchanged" if result.unchanged else "scanned"
            stats.listed = len(result.blobs)
    run.stats.list_seconds = time.monotonic() - t0


def _scan(
    run: _Run,
    runner: Runner,
    state: StateStore,
    ctx: ScanContext,
    progress: Progress | None,
    tuning: Tuning,
) -> None:
    t0 = time.monotonic()
    first: dict[str, Planned] = {}
    for repo in run.repos.values():
        if repo.listing is None:
            continue
        missing = huge = 0
        for sha, size, path in repo.listing.blobs:
            run.stats.listed += 1
            if size < 0:
                missing += 1
            elif size > ctx.limits.max_file_size:
                huge += 1
            elif sha not in first:
                first[sha] = Planned(sha, size, path, repo.where)
        if missing:
            _problem(run, repo.name, f"{missing} object(s) missing or corrupt; skipped")
        if huge:
            _problem(run, repo.name, f"{huge} blob(s) larger than --max-file-size; skipped")
            run.total.skipped += huge
    run.stats.unique = len(first)
    known = state.statuses(first) if not tuning.full else {}
    # Blobs recorded with findings are read again, wherever the repositories need them.
    for repo in run.repos.values():
        if repo.listing is not None:
            repo.found |= {sha for sha, _, _ in repo.listing.blobs if known.get(sha, (0,))[0]}
    wanted: dict[str, Planned] = {sha: p for sha, p in first.items() if sha not in known}
    run.stats.known_clean = sum(1 for s, _ in known.values() if s == CLEAN)
    run.stats.scanned = len(wanted)
    rescans = _rescans(run, state, first)
    run.stats.rescanned = len(rescans)
    wanted.update(rescans)
    ordered = sorted(wanted.values(), key=lambda p: (p.where.spec.name, p.path, p.sha))
    plan = list(batches(ordered, tuning.batch_bytes, tuning.batch_blobs))
    run.stats.batches = len(plan)
    calls: list[Call] = [(tasks.scan_batch, (batch,)) for batch in plan]
    for index, result in _phase(runner, calls, "scan", progress, run.stats):
        _collect(run, state, plan[index], result)
    run.stats.scan_seconds = time.monotonic() - t0


def _rescans(run: _Run, state: StateStore, first: dict[str, Planned]) -> dict[str, Planned]:
    """Blobs with recorded findings that some repository needs: read again."""
    holders: dict[str, _Repo] = {}
    for repo in run.repos.values():
        if repo.complete:
            for sha in repo.found:
                holders.setdefault(sha, repo)
    recorded = state.statuses(holders)
    out: dict[str, Planned] = {}
    for sha, repo in holders.items():
        status, path = recorded.get(sha, (CLEAN, ""))
        if status == FINDINGS:
            where = first[sha].where if sha in first else repo.where
            out[sha] = Planned(sha, 0, first[sha].path if sha in first else path, where)
    return out


def _collect(run: _Run, state: StateStore, batch: Batch, result: object) -> None:
    names = {where.spec.name for where, _ in batch}
    if isinstance(result, BaseException):
        for name in sorted(names):
            message = f"a scan task failed ({type(result).__name__}: {result}); not recorded"
            _fail(run, run.repos[name], message)
        return
    assert isinstance(result, tasks.BatchResult)
    run.total.merge(result.total, findings=False)
    for message in result.errors:
        name = message.split(": ", 1)[0]
        if name in run.repos:
            _fail(run, run.repos[name], message)
    if result.unreadable:
        _problem(run, ", ".join(sorted(names)), f"{len(result.unreadable)} blob(s) unreadable")
        run.total.skipped += len(result.unreadable)
    paths = {sha: path for _, items in batch for sha, path in items}
    outcomes: list[tuple[str, int, str]] = []
    for sha, findings in result.findings.items():
        outcomes.append((sha, FINDINGS if findings else CLEAN, paths[sha]))
        if findings:
            run.per_blob[sha] = findings
    state.record_blobs(outcomes)


def _attribute(
    run: _Run, runner: Runner, state: StateStore, ctx: ScanContext, progress: Progress | None
) -> list[Finding]:
    t0 = time.monotonic()
    todo: list[_Repo] = []
    for repo in run.repos.values():
        if repo.listing is None or not repo.complete:
            continue
        repo.found |= {sha for sha, _, _ in repo.listing.blobs if sha in run.per_blob}
        if repo.found:
            todo.append(repo)
        else:
            _record(state, repo, set())
    calls: list[Call] = []
    for repo in todo:
        gitmodules = repo.listing is not None and repo.listing.gitmodules
        calls.append((tasks.attribute_repo, (repo.where, frozenset(repo.found), gitmodules)))
    out: list[Finding] = []
    for index, result in _phase(runner, calls, "attribute", progress, run.stats):
        repo = todo[index]
        if isinstance(result, BaseException) or not isinstance(result, tasks.Introductions):
            _fail(run, repo, f"attribution failed ({type(result).__name__}: {result})")
            continue
        if result.error is not None:
            _fail(run, repo, result.error)
            continue
        run.total.problems.extend(result.problems)
        findings, used = attribute(
            repo.name, result.intros, dict(result.head), run.per_blob, ctx.ruleset
        )
        out.extend(findings)
        _record(state, repo, used)
    run.stats.attribute_seconds = time.monotonic() - t0
    return out


def _record(state: StateStore, repo: _Repo, found: set[str]) -> None:
    assert repo.listing is not None
    spec = repo.where.spec
    state.record_repo(spec.name, spec.location, _revs_key(spec), repo.listing.tips, found)
