"""``keyguard scan PATH...``: files, directories and everything inside them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TextIO

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
from scanner.errors import SourceError
from scanner.ignore import IgnoreMatcher
from scanner.pipeline import ProgressFn, ScanResult, scan_paths
from scanner.sources.files import WalkOptions

Warn = Callable[[str], None]


def scan(
    paths: Sequence[str],
    settings: Settings,
    *,
    use_ignore: bool,
    stdout: TextIO,
    warn: Warn,
    progress: ProgressFn | None = None,
) -> int:
    config = resolve_config(settings)
    ruleset = build_ruleset(settings, config)
    matcher = build_matcher(settings, config, ruleset)
    limits = build_limits(settings, config)
    walk = WalkOptions(
        use_ignore=use_ignore,
        exclude=IgnoreMatcher.from_lines(list(config.exclude)) if config.exclude else None,
        max_file_size=limits.max_file_size,
    )
    result: ScanResult = scan_paths(
        paths,
        matcher,
        walk=walk,
        limits=limits,
        jobs=settings.jobs,
        filters=build_filters(settings, config),
        progress=progress,
    )
    missing = [p for p in result.stats.problems if "no such file" in p.message]
    for problem in result.stats.problems:
        warn(str(problem))
    if missing and len(missing) == len(paths):
        raise SourceError(f"{missing[0].where}: no such file or directory")
    write_report(result.findings, result.stats, settings, ruleset, stdout)
    if missing:
        return 2
    return exit_status(result.findings, result.stats, settings)

