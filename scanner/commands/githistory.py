"""``keyguard git`` over history: every reachable blob once, then the introductions (blob,
path, commit) of the blobs with findings, each finding attributed to the oldest commit that put
that secret at that path (see ``commands.git`` for the whole story)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace

from scanner.commands.git import (
    BlobFindings,
    GitTarget,
    _allowed_at,
    _commit_detail,
)
from scanner.engine.context import ScanContext
from scanner.engine.results import ScanResult
from scanner.errors import SourceError
from scanner.models import Finding, Origin, SourceProblem
from scanner.sources import git as gitsrc
from scanner.sources import gitlog
from scanner.sources.git import Introduction, Repo
from scanner.sources.gitblobs import GitLoader
from scanner.sources.gitobjects import ReachableBlobs, excludes_commits, introductions_of


def _check_revs(repo: Repo, target: GitTarget) -> None:
    wanted = [target.since, target.branch] if not target.revs else []
    for rev in wanted:
        if rev is not None and gitsrc.resolve_commit(repo, rev) is None:
            raise SourceError(
                f"{repo.given}: unknown revision {rev!r} (not a branch, tag or commit)"
            )
    if target.since and repo.head is None:
        raise SourceError(f"{repo.given}: --since needs a HEAD commit")


@dataclass(slots=True)
class _Found:
    seq: int
    intro: Introduction
    finding: Finding


def scan_history(repo: Repo, target: GitTarget, ctx: ScanContext) -> ScanResult:
    started = time.monotonic()
    problems: list[SourceProblem] = []
    if not gitsrc.has_any_ref(repo):
        raise SourceError(
            f"{repo.given}: the repository has no commits yet (nothing to scan; "
            "`keyguard git --staged` checks what is staged)"
        )
    _check_revs(repo, target)
    if repo.shallow:
        problems.append(
            SourceProblem(repo.given, "shallow clone: history is partial (git fetch --unshallow)")
        )
    revs = target.log_revs()
    if excludes_commits(revs):
        return _scan_history_log(repo, revs, ctx, problems, started)
    # Every reachable blob once, streamed; then the introductions of those with findings only.
    # With worker processes, each reads the blobs it scans (by id) through its own git.
    blobs = BlobFindings(repo, ctx)
    blobs.total.problems.extend(problems)
    lazy = (ctx.settings.jobs or os.cpu_count() or 1) > 1
    source = ReachableBlobs(repo, revs, blobs.cat, ctx.limits, blobs.stats, lazy=lazy)
    loader = GitLoader(repo) if lazy else None
    try:
        per_blob = blobs.scan_blobs(source.items(), loader)
    finally:
        if loader is not None:
            loader.close()
    if source.failed is not None:
        # rev-list could not walk the history: read it the older way, which names what the
        # log can still reach and reports git's failure.
        return _scan_history_log(repo, revs, ctx, problems, started)
    log_problems: list[SourceProblem] = []
    by_blob: dict[str, list[tuple[int, Introduction]]] = {}
    intros = introductions_of(repo, revs, set(per_blob), log_problems, submodules=source.gitmodules)
    for seq, intro in enumerate(intros, 1):
        by_blob.setdefault(intro.blob, []).append((seq, intro))
    blobs.total.problems.extend(log_problems)
    return _attribute(repo, ctx, blobs, per_blob, by_blob, started)


def _scan_history_log(
    repo: Repo,
    revs: list[str],
    ctx: ScanContext,
    problems: list[SourceProblem],
    started: float,
) -> ScanResult:
    """History through one ``git log --raw`` that names every introduction up front (for
    revisions that exclude commits, and when ``rev-list`` fails)."""
    by_blob: dict[str, list[tuple[int, Introduction]]] = {}
    count = 0
    log_problems: list[SourceProblem] = []
    for count, intro in enumerate(gitlog.iter_introductions(repo, revs, log_problems), 1):
        by_blob.setdefault(intro.blob, []).append((count, intro))
    failed = [p for p in log_problems if "git log stopped early" in p.message]
    if count == 0 and failed:
        raise SourceError(
            f"{repo.given}: nothing could be read from the history ({failed[0].message})"
        )
    blobs = BlobFindings(repo, ctx)
    blobs.total.problems.extend(problems)
    blobs.total.problems.extend(log_problems)
    per_blob = blobs.scan({sha: intros[0][1] for sha, intros in by_blob.items()})
    return _attribute(repo, ctx, blobs, per_blob, by_blob, started)


def _attribute(
    repo: Repo,
    ctx: ScanContext,
    blobs: BlobFindings,
    per_blob: dict[str, list[Finding]],
    by_blob: dict[str, list[tuple[int, Introduction]]],
    started: float,
) -> ScanResult:
    """Each finding at every path its blob was introduced at, from the oldest commit that put
    that secret at that path; a rule's path allow list applies at each path (the scanned path
    applied it already)."""
    best: dict[tuple[bytes, tuple[str, ...], str, str], _Found] = {}
    for sha, findings in per_blob.items():
        intros = by_blob.get(sha, [])
        for finding in findings:
            for seq, intro in intros:
                if intro.path != finding.origin.path and _allowed_at(
                    ctx.ruleset, finding, intro.path
                ):
                    continue
                key = (
                    intro.raw_path,
                    finding.origin.members,
                    finding.rule_id,
                    finding.secret.digest(),
                )
                if key not in best or seq < best[key].seq:
                    best[key] = _Found(seq, intro, finding)
    in_head = _head_holds(repo, best, per_blob, blobs)
    attributed: list[Finding] = []
    for key, found in best.items():
        origin = found.finding.origin
        detail = _commit_detail(found.intro, key in in_head) + origin.detail
        attributed.append(
            replace(
                found.finding,
                origin=Origin(found.intro.path, origin.members, detail, kind="git"),
            )
        )
    return blobs.finish(repo.given, attributed, started)


def _head_holds(
    repo: Repo,
    best: dict[tuple[bytes, tuple[str, ...], str, str], _Found],
    per_blob: dict[str, list[Finding]],
    blobs: BlobFindings,
) -> set[tuple[bytes, tuple[str, ...], str, str]]:
    """The finding keys whose secret is still at that path in HEAD's tree."""
    if not best:
        return set()
    tree = gitlog.head_tree(repo)
    paths = {key[0] for key in best}
    extra = {
        tree[p]: Introduction.uncommitted(tree[p], p)
        for p in paths
        if p in tree and tree[p] not in blobs.seen
    }
    head_findings = dict(per_blob)
    if extra:
        head_findings.update(blobs.scan(extra))
    out: set[tuple[bytes, tuple[str, ...], str, str]] = set()
    for key in best:
        blob = tree.get(key[0])
        if blob is None:
            continue
        for f in head_findings.get(blob, ()):
            if (f.origin.members, f.rule_id, f.secret.digest()) == key[1:]:
                out.add(key)
                break
    return out
