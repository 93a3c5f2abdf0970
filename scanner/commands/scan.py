"""``keyguard scan PATH...``: files, directories and everything inside them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

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
from scanner.commands.image import merge_results, scan_images
from scanner.errors import SourceError
from scanner.ignore import IgnoreMatcher
from scanner.pipeline import ProgressFn, ScanResult, scan_paths
from scanner.sources.files import WalkOptions
from scanner.sources.images import is_layout_dir

if TYPE_CHECKING:
    from scanner.rotation import RotationOptions

Warn = Callable[[str], None]


def scan(
    paths: Sequence[str],
    settings: Settings,
    *,
    use_ignore: bool,
    stdout: TextIO,
    warn: Warn,
    progress: ProgressFn | None = None,
    rotation: RotationOptions | None = None,
    echo: Warn | None = None,
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
    layouts = [p for p in paths if is_layout_dir(Path(p))]  # OCI layouts: the image code
    result: ScanResult = scan_paths(
        [p for p in paths if p not in layouts],
        matcher,
        walk=walk,
        limits=limits,
        jobs=settings.jobs,
        filters=build_filters(settings, config),
        progress=progress,
    )
    if layouts:
        flt = build_filters(settings, config)
        found = scan_images(layouts, matcher, limits=limits, filters=flt, jobs=settings.jobs)
        result = merge_results(result, found)
    missing = [p for p in result.stats.problems if "no such file" in p.message]
    for problem in result.stats.problems:
        warn(str(problem))
    if missing and len(missing) == len(paths):
        raise SourceError(f"{missing[0].where}: no such file or directory")
    code = 2 if missing else exit_status(result.findings, result.stats, settings)
    if config.rotation or rotation is not None:
        # the engine (and its HTTP clients) loads only when rotation is configured or asked for
        from scanner.rotation import RotationOptions as Options
        from scanner.rotation import run as run_rotation

        rotated = run_rotation(result.findings, config, rotation or Options(), warn, echo or warn)
        code = code if missing else rotated.exit_code(code)
    write_report(result.findings, result.stats, settings, ruleset, stdout)
    return code
