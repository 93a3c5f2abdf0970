"""``keyguard baseline create`` and ``keyguard baseline update``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from scanner.baseline import Baseline, load_baseline, write_baseline
from scanner.commands.common import Settings
from scanner.commands.scan import scan_paths
from scanner.engine.context import ScanContext
from scanner.engine.results import ScanResult
from scanner.errors import BaselineError, SourceError

Warn = Callable[[str], None]


def collect(source: Mapping[str, Any], settings: Settings) -> ScanResult:
    """Scan what ``source`` names (``{"kind": "scan", "paths": [...]}`` or
    ``{"kind": "git", "repo": ..., "branch": ...}``) with no baseline applied."""
    settings = replace(settings, baseline=None)
    kind = source.get("kind")
    if kind == "git":
        from scanner.commands.git import GitTarget
        from scanner.commands.githistory import scan_history
        from scanner.sources.gitopen import open_repo

        target = GitTarget(repo=str(source.get("repo") or "."), branch=source.get("branch"))
        repo = open_repo(target.repo)
        return scan_history(repo, target, ScanContext.build(settings, search_dirs=(repo.root,)))
    if kind != "scan":
        raise BaselineError(f"baseline source kind {kind!r} is not known (scan or git)")
    paths = [str(p) for p in source.get("paths") or ["."]]
    dirs = tuple(Path(p) for p in paths[:1] if Path(p).is_dir())
    result = scan_paths(paths, ScanContext.build(settings, search_dirs=dirs))
    missing = [
        p for p in result.stats.problems if p.kind == "missing" or "no such file" in p.message
    ]
    if missing and len(missing) == len(paths):
        raise SourceError(f"{missing[0].where}: no such file or directory")
    return result


def create(
    source: Mapping[str, Any], output: Path, settings: Settings, *, warn: Warn
) -> tuple[int, Baseline]:
    result = collect(source, settings)
    for problem in result.stats.problems:
        warn(str(problem))
    baseline = Baseline.from_findings(result.findings, source)
    write_baseline(output, baseline)
    return 0, baseline


def update(path: Path, settings: Settings, *, warn: Warn) -> tuple[int, int]:
    """Drop the entries that are no longer found; returns (kept, removed)."""
    old = load_baseline(path)
    source = dict(old.source) or {"kind": "scan", "paths": ["."]}
    result = collect(source, settings)
    for problem in result.stats.problems:
        warn(str(problem))
    new = old.pruned(result.findings)
    write_baseline(path, new)
    return len(new), len(old) - len(new)


def source_for(paths: Sequence[str], use_git: bool, branch: str | None) -> dict[str, Any]:
    if use_git:
        src: dict[str, Any] = {"kind": "git", "repo": paths[0] if paths else "."}
        if len(paths) > 1:
            raise SourceError("--git takes at most one repository path")
        if branch:
            src["branch"] = branch
        return src
    return {"kind": "scan", "paths": list(paths) or ["."]}
