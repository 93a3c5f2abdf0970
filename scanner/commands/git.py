"""``keyguard git [REPO]``: history (all refs, a branch, a range) or the staged index.

History is scanned one unique blob at a time: ``git rev-list --objects`` names every blob
reachable from the asked revisions once, streamed in bounded groups; each is read once through
``git cat-file --batch`` (with worker processes, by the worker that scans it: the parent hands
over ids) and scanned once. Only then, and only for the blobs that had findings,
one ``git log --raw`` names the (blob, path, commit) introductions (``sources.gitobjects``).
Revisions that exclude commits (``--since``, pre-push ranges) list every introduction up front
instead, as a range is small and ``rev-list`` would drop blobs re-added from excluded commits.
Each finding is reported for every path that blob was introduced at, attributed to the oldest
commit that put that secret at that path (a later edit of the same file does not repeat it).
Whether HEAD still holds the secret is part of the provenance; deleted secrets are still
reported.

``--staged`` scans the index against HEAD and, unless ``whole_files``, keeps only findings on
lines the change adds or modifies.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace

from scanner.blob import Blob
from scanner.commands.common import Settings
from scanner.engine.context import ScanContext
from scanner.engine.results import BlobResult, ScanResult, finish
from scanner.engine.tail import Output, VersionControl, conclude
from scanner.errors import SourceError
from scanner.models import Finding, Origin, SourceProblem
from scanner.pipeline import scan_items
from scanner.rulebook.compile import Ruleset
from scanner.sources import git as gitsrc
from scanner.sources import gitindex
from scanner.sources.git import Introduction, Repo
from scanner.sources.gitblobs import GitBlobs, GitLoader, ReadStats
from scanner.sources.gitcat import CatFile
from scanner.sources.gitopen import open_repo
from scanner.sources.gitwatch import IDLE_SECONDS


@dataclass(frozen=True, slots=True)
class GitTarget:
    """What to scan: all refs (default), one ref, ``since..HEAD``, revisions, or the index."""

    repo: str = "."
    branch: str | None = None
    since: str | None = None
    revs: tuple[str, ...] = ()
    staged: bool = False
    whole_files: bool = False
    pre_push: tuple[str, ...] | None = None
    git_timeout: float = IDLE_SECONDS
    """Seconds a git process may make no progress before it is stopped (``gitwatch``)."""

    def log_revs(self) -> list[str]:
        if self.revs:
            return list(self.revs)
        if self.since:
            return [f"{self.since}..HEAD"]
        if self.branch:
            return [self.branch]
        return ["--all"]


def git(target: GitTarget, settings: Settings, out: Output) -> int:
    repo = open_repo(target.repo, target.git_timeout)
    ctx = ScanContext.build(settings, search_dirs=(repo.root,))
    if target.pre_push is not None:
        from scanner.sources.gitlog import pre_push_revs

        revs = pre_push_revs(repo, target.pre_push)
        if not revs:
            return 0
        target = replace(target, revs=tuple(revs))
    if target.staged:
        result = scan_staged(repo, ctx, whole_files=target.whole_files)
    else:
        from scanner.commands.githistory import scan_history  # not on the pre-commit path

        result = scan_history(repo, target, ctx)
    return conclude(result, ctx, out, vcs=_version_control(repo, ctx))


def _version_control(repo: Repo, ctx: ScanContext) -> VersionControl | None:
    """The repository's provenance, which only a SARIF report carries (two more ``git`` runs,
    not made for the other formats: the pre-commit check above all)."""
    if ctx.settings.report_format != "sarif":
        return None
    return VersionControl(gitsrc.repository_uri(repo), repo.head, gitsrc.branch(repo))


class BlobFindings:
    """Findings per blob id: each blob read once through one ``cat-file`` and scanned once
    through the engine's pool; counts and problems gather in ``total``."""

    def __init__(self, repo: Repo, ctx: ScanContext) -> None:
        self.ctx = ctx
        self.cat = CatFile(repo)
        self.stats = ReadStats()
        self.total = BlobResult()
        self.scanned = 0
        self.seen: set[str] = set()

    def scan(self, wanted: dict[str, Introduction]) -> dict[str, list[Finding]]:
        return self.scan_blobs(GitBlobs(self.cat, wanted, self.ctx.limits, self.stats).items())

    def scan_blobs(
        self, items: Iterable[Blob], loader: GitLoader | None = None
    ) -> dict[str, list[Finding]]:
        """Findings of the blobs with findings (blob id -> findings), the rest counted only;
        ``loader`` reads the blobs ``items`` hands over by id."""
        out: dict[str, list[Finding]] = {}
        for blob, result in scan_items(items, self.ctx, self.total, loader):
            self.total.merge(result, findings=False)
            self.scanned += 1
            if blob.key is not None:
                self.seen.add(blob.key)
                if result.findings:
                    out[blob.key] = result.findings
        return out

    def finish(self, where: str, findings: list[Finding], started: float) -> ScanResult:
        total = self.total
        total.findings.extend(findings)
        total.skipped += self.stats.skipped
        total.problems.extend(self.stats.problems(where))
        ctx = self.ctx
        copies = ctx.settings.all_copies
        return finish(
            total, self.scanned, ctx.matcher.engine, started, ctx.filters, all_copies=copies
        )


# --- shared with org.attribute ------------------------------------------------------------


def _commit_detail(intro: Introduction, in_head: bool) -> tuple[tuple[str, str], ...]:
    c = intro.commit
    return (
        ("commit", c.sha),
        ("author", c.author),
        ("email", c.email),
        ("date", c.date),
        ("summary", c.summary),
        ("in_head", "true" if in_head else "false"),
    )


def _allowed_at(ruleset: Ruleset, finding: Finding, path: str) -> bool:
    rule = ruleset.get(finding.rule_id)
    return rule is not None and rule.allowed_at(path)


# --- the index -------------------------------------------------------------------------------


def scan_staged(repo: Repo, ctx: ScanContext, *, whole_files: bool = False) -> ScanResult:
    started = time.monotonic()
    if repo.bare:
        raise SourceError(
            f"{repo.given}: a bare repository has no index (--staged needs a work tree)"
        )
    problems: list[SourceProblem] = []
    added: dict[bytes, set[int]] = {}
    if whole_files:
        files = gitindex.staged_changes(repo, problems)
    else:  # one ``git diff-index`` for both
        files, added = gitindex.staged_diff(repo, problems)
    if not files:
        return finish(BlobResult(problems=problems), 0, ctx.matcher.engine, started, ctx.filters)
    blobs = BlobFindings(repo, ctx)
    blobs.total.problems.extend(problems)
    wanted: dict[str, Introduction] = {}
    for item in files:
        wanted.setdefault(item.blob, Introduction.uncommitted(item.blob, item.raw_path, item.mode))
    per_blob = blobs.scan(wanted)
    kept: list[Finding] = []
    for staged in files:
        lines = added.get(staged.raw_path)
        for f in per_blob.get(staged.blob, []):
            if staged.raw_path != wanted[staged.blob].raw_path:
                f = replace(f, origin=Origin(staged.path, f.origin.members, f.origin.detail, "git"))
            if whole_files or _on_changed_line(f, lines, staged):
                kept.append(f)
    return blobs.finish(repo.given, kept, started)


def _on_changed_line(f: Finding, lines: set[int] | None, staged: gitindex.StagedFile) -> bool:
    if lines is None:
        # No text hunks: binary content, or a rename/mode change that keeps the content.
        return staged.blob != staged.old_blob
    if f.origin.members:
        return True
    pos = f.position
    return any(line in lines for line in range(pos.line, max(pos.end_line, pos.line) + 1))
