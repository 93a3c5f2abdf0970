"""``keyguard baseline create`` and ``keyguard baseline update``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from scanner.baseline import Baseline, load_baseline, write_baseline
from scanner.commands.common import (
    Settings,
    build_filters,
    build_limits,
    build_matcher,
    build_ruleset,
    resolve_config,
)
from scanner.errors import BaselineError, SourceError
from scanner.ignore import IgnoreMatcher
from scanner.pipeline import ScanResult, scan_paths
from scanner.sources.files import WalkOptions

Warn = Callable[[str], None]


def collect(source: Mapping[str, Any], settings: Settings) -> ScanResult:
    """Scan what ``source`` names (``{"kind": "scan", "paths": [...]}`` or
    ``{"kind": "git", "repo": ..., "branch": ...}``) with no baseline applied."""
    settings = replace(settings, baseline=None)
    kind = source.get("kind")
    if kind == "git":
        from scanner.commands.git import GitTarget, scan_history
        from scanner.sources.git import open_repo

        target = GitTarget(repo=str(source.get("repo") or "."), branch=source.get("branch"))
        repo = open_repo(target.repo)
        settings = replace(settings, search_dirs=(*settings.search_dirs, repo.root))
        config = resolve_config(settings)
        ruleset = build_ruleset(settings, config)
        return scan_history(
            repo,
            target,
            build_matcher(settings, config, ruleset),
            build_limits(settings, config),
            build_filters(settings, config),
            ruleset,
            settings.jobs,
        )
    if kind != "scan":
        raise BaselineError(f"baseline source kind {kind!r} is not known (scan or git)")
    paths = [str(p) for p in source.get("paths") or ["."]]
    dirs = tuple(Path(p) for p in paths[:1] if Path(p).is_dir())
    settings = replace(settings, search_dirs=(*settings.search_dirs, *dirs))
    config = resolve_config(settings)
    ruleset = build_ruleset(settings, config)
    limits = build_limits(settings, config)
    walk = WalkOptions(
        exclude=IgnoreMatcher.from_lines(list(config.exclude)) if config.exclude else None,
        max_file_size=limits.max_file_size,
    )
    result = scan_paths(
        paths,
        build_matcher(settings, config, ruleset),
        walk=walk,
        limits=limits,
        jobs=settings.jobs,
        filters=build_filters(settings, config),
    )
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
