"""``keyguard scan PATH...``: files, directories and everything inside them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from scanner.commands.common import Settings
from scanner.engine.context import ScanContext
from scanner.engine.results import ScanResult, merge_results
from scanner.engine.tail import Output, conclude
from scanner.ignore import IgnoreMatcher
from scanner.pipeline import ProgressFn, scan_source
from scanner.sources.files import FilesSource, WalkOptions


def scan_paths(
    paths: Sequence[str],
    ctx: ScanContext,
    *,
    use_ignore: bool = True,
    progress: ProgressFn | None = None,
) -> ScanResult:
    """Files and directories; OCI layout directories among ``paths`` are read as images."""
    from scanner.sources.images import ImageSource, is_layout_dir

    layouts = [p for p in paths if is_layout_dir(Path(p))]
    exclude = ctx.config.exclude
    walk = WalkOptions(
        use_ignore=use_ignore,
        exclude=IgnoreMatcher.from_lines(list(exclude)) if exclude else None,
        max_file_size=ctx.limits.max_file_size,
    )
    listed = [p for p in paths if p not in layouts]
    # with a progress bar, walk first to know the total; otherwise scan while walking
    files = FilesSource.walk(listed, walk) if progress else FilesSource.stream(listed, walk)
    result = scan_source(files, ctx, progress, expected=files.files)
    if layouts:
        result = merge_results(result, scan_source(ImageSource(tuple(layouts), ctx.limits), ctx))
    return result


def scan(
    paths: Sequence[str],
    settings: Settings,
    out: Output,
    *,
    use_ignore: bool = True,
    progress: ProgressFn | None = None,
) -> int:
    ctx = ScanContext.build(settings)
    result = scan_paths(paths, ctx, use_ignore=use_ignore, progress=progress)
    return conclude(result, ctx, out, inputs=len(paths))
