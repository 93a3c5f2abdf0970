"""``keyguard git [REPO]``: history (all refs, a branch, a range) or the staged index.

History is scanned one unique blob at a time: ``git log --raw`` names every (blob, path) a commit
introduced, each distinct blob is read once through ``git cat-file --batch`` and scanned once,
and each finding is reported for every path that blob was introduced at, attributed to the
oldest commit that put that secret at that path (a later edit of the same file does not repeat
it). Whether HEAD still holds the secret is part of the provenance; deleted secrets are still
reported.

``--staged`` scans the index against HEAD and, unless ``whole_files``, keeps only findings on
lines the change adds or modifies.
"""

from __future__ import annotations

import os
import posixpath
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TextIO

from scanner.blob import Blob
from scanner.commands.common import (
    Settings,
    build_filters,
    build_limits,
    build_matcher,
    build_ruleset,
    exit_status,
    resolve_config,
    write_report,
)
from scanner.errors import SourceError, UserError
from scanner.extractors import Limits
from scanner.matcher import Matcher
from scanner.models import Finding, Origin, SourceProblem
from scanner.pipeline import BlobResult, FindingFilter, ScanResult, finish, scan_blob
from scanner.rulebook.compile import Ruleset
from scanner.sources import git as gitsrc
from scanner.sources.git import Introduction, Repo

if TYPE_CHECKING:
    from scanner.rotation import RotationOptions

Warn = Callable[[str], None]
_NO_COMMIT = gitsrc.Commit("", "", "", "", "")


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

    def log_revs(self) -> list[str]:
        if self.revs:
            return list(self.revs)
        if self.since:
            return [f"{self.since}..HEAD"]
        if self.branch:
            return [self.branch]
        return ["--all"]


def git(
    target: GitTarget,
    settings: Settings,
    *,
    stdout: TextIO,
    warn: Warn,
    rotation: RotationOptions | None = None,
    echo: Warn | None = None,
) -> int:
    repo = gitsrc.open_repo(target.repo)
    settings = replace(settings, search_dirs=(*settings.search_dirs, repo.root))
    config = resolve_config(settings)
    ruleset = build_ruleset(settings, config)
    matcher = build_matcher(settings, config, ruleset)
    limits = build_limits(settings, config)
    filters = build_filters(settings, config)
    if target.pre_push is not None:
        revs = gitsrc.pre_push_revs(repo, target.pre_push)
        if not revs:
            return 0
        target = replace(target, revs=tuple(revs))
    if target.staged:
        result = scan_staged(repo, matcher, limits, filters, whole_files=target.whole_files)
    else:
        result = scan_history(repo, target, matcher, limits, filters, ruleset, settings.jobs)
    for problem in result.stats.problems:
        warn(str(problem))
    code = exit_status(result.findings, result.stats, settings)
    if config.rotation or rotation is not None:
        # the engine (and its HTTP clients) loads only when rotation is configured
        from scanner.rotation import RotationOptions as Options
        from scanner.rotation import run as run_rotation

        rotated = run_rotation(result.findings, config, rotation or Options(), warn, echo or warn)
        code = rotated.exit_code(code)
    if settings.report_format == "sarif":
        _write_sarif(repo, result, settings, ruleset, stdout)
    else:
        write_report(result.findings, result.stats, settings, ruleset, stdout)
    return code


def _write_sarif(
    repo: Repo, result: ScanResult, settings: Settings, ruleset: Ruleset, stdout: TextIO
) -> None:
    """SARIF with the repository, HEAD and branch as ``versionControlProvenance``."""
    import io
    import json

    from scanner.reporters.sarif import add_version_control

    buffer = io.StringIO()
    write_report(result.findings, result.stats, replace(settings, output=None), ruleset, buffer)
    doc = add_version_control(
        json.loads(buffer.getvalue()), gitsrc.repository_uri(repo), repo.head, gitsrc.branch(repo)
    )
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if settings.output is None:
        stdout.write(text)
        return
    try:
        settings.output.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise UserError(f"{settings.output}: cannot write report ({exc.strerror})") from None


# --- history ---------------------------------------------------------------------------------


def _check_revs(repo: Repo, target: GitTarget) -> None:
    wanted = [target.since, target.branch] if not target.revs else []
    for rev in wanted:
        if rev is None:
            continue
        proc = repo.run(
            ["rev-parse", "--verify", "-q", "--end-of-options", f"{rev}^{{commit}}"], check=False
        )
        if proc.returncode != 0:
            raise SourceError(
                f"{repo.given}: unknown revision {rev!r} (not a branch, tag or commit)"
            )
    if target.since and repo.head is None:
        raise SourceError(f"{repo.given}: --since needs a HEAD commit")


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


PARALLEL_MIN_BYTES = 8 << 20
_BATCH_BYTES = 2 << 20
_BATCH_BLOBS = 128


def _scan_one(
    item: tuple[str, str, bytes], matcher: Matcher, limits: Limits
) -> tuple[str, BlobResult]:
    sha, path, data = item
    origin = Origin(path=path, kind="git")
    name = posixpath.basename(path) or path
    return sha, scan_blob(Blob.from_bytes(data, origin, name), matcher, limits)


_worker_state: dict[str, tuple[Matcher, Limits]] = {}


def _worker_init(matcher: Matcher, limits: Limits) -> None:
    _worker_state["ctx"] = (matcher, limits)


def _worker_batch(batch: list[tuple[str, str, bytes]]) -> list[tuple[str, BlobResult]]:
    matcher, limits = _worker_state["ctx"]
    return [_scan_one(item, matcher, limits) for item in batch]


def _batches(items: Iterable[tuple[str, str, bytes]]) -> Iterator[list[tuple[str, str, bytes]]]:
    batch: list[tuple[str, str, bytes]] = []
    size = 0
    for item in items:
        batch.append(item)
        size += len(item[2])
        if size >= _BATCH_BYTES or len(batch) >= _BATCH_BLOBS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _scan_parallel(
    items: Iterable[tuple[str, str, bytes]], matcher: Matcher, limits: Limits, jobs: int
) -> Iterator[tuple[str, BlobResult]]:
    """Blobs read here (one cat-file process) and scanned by forked workers, a few batches
    in flight at a time so memory stays bounded."""
    import concurrent.futures as cf
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with cf.ProcessPoolExecutor(
        max_workers=jobs, mp_context=ctx, initializer=_worker_init, initargs=(matcher, limits)
    ) as pool:
        pending: list[cf.Future[list[tuple[str, BlobResult]]]] = []
        for batch in _batches(items):
            pending.append(pool.submit(_worker_batch, batch))
            while len(pending) >= jobs * 3:
                yield from pending.pop(0).result()
        for future in pending:
            yield from future.result()


@dataclass(slots=True)
class _Found:
    seq: int
    intro: Introduction
    finding: Finding


class _BlobScanner:
    """Reads blobs through one ``cat-file`` process, scans each once, keeps per-blob findings."""

    def __init__(self, repo: Repo, matcher: Matcher, limits: Limits, jobs: int = 1) -> None:
        self.repo = repo
        self.jobs = jobs
        self.matcher = matcher
        self.limits = limits
        self.cat = gitsrc.CatFile(repo)
        self.total = BlobResult()
        self.scanned = 0
        self.seen: set[str] = set()
        self.missing = 0
        self.lfs: list[str] = []
        self.huge: list[str] = []

    def scan(self, wanted: dict[str, Introduction]) -> dict[str, list[Finding]]:
        """Findings per blob id; ``wanted`` maps each blob to the (path) it is scanned under."""
        sizes = self.cat.sizes(list(wanted))
        readable: list[str] = []
        for sha, info in sizes.items():
            if info is None:
                self.missing += 1
            elif info.kind != "blob":
                continue
            elif info.size > self.limits.max_file_size:
                self.huge.append(wanted[sha].path)
                self.total.skipped += 1
            else:
                readable.append(sha)
        total_size = sum(info.size for sha in readable if (info := sizes[sha]) is not None)
        items = self._items(readable, wanted)
        if self.jobs > 1 and total_size >= PARALLEL_MIN_BYTES and len(readable) >= 64:
            results = _scan_parallel(items, self.matcher, self.limits, self.jobs)
        else:
            results = (_scan_one(item, self.matcher, self.limits) for item in items)
        out: dict[str, list[Finding]] = {}
        for sha, res in results:
            self.seen.add(sha)
            self.scanned += 1
            self.total.bytes += res.bytes
            self.total.chunks += res.chunks
            self.total.skipped += res.skipped
            self.total.problems.extend(res.problems)
            if res.findings:
                out[sha] = res.findings
        return out

    def _items(
        self, readable: list[str], wanted: dict[str, Introduction]
    ) -> Iterator[tuple[str, str, bytes]]:
        for sha, data in self.cat.contents(readable):
            if data is None:
                self.missing += 1
                continue
            path = wanted[sha].path
            if gitsrc.is_lfs_pointer(data):
                self.lfs.append(path)
            yield sha, path, data

    def problems(self, where: str) -> list[SourceProblem]:
        out: list[SourceProblem] = []
        if self.missing:
            out.append(
                SourceProblem(where, f"{self.missing} object(s) missing or corrupt; skipped")
            )
        if self.lfs:
            example = self.lfs[0]
            out.append(
                SourceProblem(
                    where,
                    f"{len(self.lfs)} Git LFS pointer file(s) (e.g. {example}) scanned as "
                    "pointers; LFS content is not fetched",
                )
            )
        for path in self.huge[:5]:
            out.append(SourceProblem(path, "blob larger than --max-file-size; skipped"))
        if len(self.huge) > 5:
            out.append(SourceProblem(where, f"{len(self.huge) - 5} more large blob(s) skipped"))
        return out


def _allowed_at(ruleset: Ruleset, finding: Finding, path: str) -> bool:
    rule = ruleset.get(finding.rule_id)
    return rule is not None and any(p.search(path) for p in rule.allow_paths)


def scan_history(
    repo: Repo,
    target: GitTarget,
    matcher: Matcher,
    limits: Limits,
    filters: Sequence[FindingFilter],
    ruleset: Ruleset,
    jobs: int = 0,
) -> ScanResult:
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
    by_blob: dict[str, list[tuple[int, Introduction]]] = {}
    count = 0
    log_problems: list[SourceProblem] = []
    for count, intro in enumerate(
        gitsrc.iter_introductions(repo, target.log_revs(), log_problems), 1
    ):
        by_blob.setdefault(intro.blob, []).append((count, intro))
    failed = [p for p in log_problems if "git log stopped early" in p.message]
    if count == 0 and failed:
        raise SourceError(
            f"{repo.given}: nothing could be read from the history ({failed[0].message})"
        )
    problems.extend(log_problems)
    scanner = _BlobScanner(repo, matcher, limits, jobs or os.cpu_count() or 1)
    per_blob = scanner.scan({sha: intros[0][1] for sha, intros in by_blob.items()})
    best: dict[tuple[bytes, tuple[str, ...], str, str], _Found] = {}
    for sha, findings in per_blob.items():
        intros = by_blob[sha]
        for finding in findings:
            for seq, intro in intros:
                if intro is not intros[0][1] and _allowed_at(ruleset, finding, intro.path):
                    continue
                key = (
                    intro.raw_path,
                    finding.origin.members,
                    finding.rule_id,
                    finding.secret.digest(),
                )
                if key not in best or seq < best[key].seq:
                    best[key] = _Found(seq, intro, finding)
    in_head = _head_holds(repo, best, per_blob, scanner)
    total = scanner.total
    for key, found in best.items():
        origin = found.finding.origin
        detail = _commit_detail(found.intro, key in in_head) + origin.detail
        total.findings.append(
            replace(
                found.finding,
                origin=Origin(found.intro.path, origin.members, detail, kind="git"),
            )
        )
    total.problems[:0] = problems
    total.problems.extend(scanner.problems(repo.given))
    return finish(total, scanner.scanned, matcher.engine, started, filters)


def _head_holds(
    repo: Repo,
    best: dict[tuple[bytes, tuple[str, ...], str, str], _Found],
    per_blob: dict[str, list[Finding]],
    scanner: _BlobScanner,
) -> set[tuple[bytes, tuple[str, ...], str, str]]:
    """The finding keys whose secret is still at that path in HEAD's tree."""
    if not best:
        return set()
    tree = gitsrc.head_tree(repo)
    paths = {key[0] for key in best}
    extra = {
        tree[p]: Introduction(tree[p], p, "100644", _NO_COMMIT)
        for p in paths
        if p in tree and tree[p] not in scanner.seen
    }
    head_findings = dict(per_blob)
    if extra:
        head_findings.update(scanner.scan(extra))
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


# --- the index -------------------------------------------------------------------------------


def scan_staged(
    repo: Repo,
    matcher: Matcher,
    limits: Limits,
    filters: Sequence[FindingFilter],
    *,
    whole_files: bool = False,
) -> ScanResult:
    started = time.monotonic()
    if repo.bare:
        raise SourceError(
            f"{repo.given}: a bare repository has no index (--staged needs a work tree)"
        )
    problems: list[SourceProblem] = []
    files = gitsrc.staged_changes(repo, problems)
    total = BlobResult(problems=problems)
    if not files:
        return finish(total, 0, matcher.engine, started, filters)
    added = {} if whole_files else gitsrc.staged_added_lines(repo)
    scanner = _BlobScanner(repo, matcher, limits)
    wanted: dict[str, Introduction] = {}
    for item in files:
        wanted.setdefault(item.blob, Introduction(item.blob, item.raw_path, item.mode, _NO_COMMIT))
    per_blob = scanner.scan(wanted)
    for staged in files:
        lines = added.get(staged.raw_path)
        for f in per_blob.get(staged.blob, []):
            if staged.raw_path != wanted[staged.blob].raw_path:
                f = replace(f, origin=Origin(staged.path, f.origin.members, f.origin.detail, "git"))
            if whole_files or _on_changed_line(f, lines, staged):
                total.findings.append(f)
    total.bytes, total.chunks = scanner.total.bytes, scanner.total.chunks
    total.skipped = scanner.total.skipped
    total.problems.extend(scanner.total.problems)
    total.problems.extend(scanner.problems(repo.given))
    return finish(total, scanner.scanned, matcher.engine, started, filters)


def _on_changed_line(f: Finding, lines: set[int] | None, staged: gitsrc.StagedFile) -> bool:
    if lines is None:
        # No text hunks: binary content, or a rename/mode change that keeps the content.
        return staged.blob != staged.old_blob
    if f.origin.members:
        return True
    pos = f.position
    return any(line in lines for line in range(pos.line, max(pos.end_line, pos.line) + 1))
