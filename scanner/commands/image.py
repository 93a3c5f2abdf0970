"""``keyguard image PATH...``: docker-archive tarballs and OCI layouts, with no container engine.

Identical file content met in several layers (or images) is matched once (the engine's
content-key dedupe) and its findings are reported at every place it appears.
"""

from __future__ import annotations

from collections.abc import Sequence

from scanner.commands.common import Settings
from scanner.engine.context import ScanContext
from scanner.engine.results import ScanResult
from scanner.engine.tail import Output, conclude
from scanner.pipeline import scan_source
from scanner.sources.images import ImageSource


def scan_images(paths: Sequence[str], ctx: ScanContext) -> ScanResult:
    """Every image input in ``paths`` (image tars, OCI layout directories)."""
    return scan_source(ImageSource(tuple(paths), ctx.limits), ctx)


def image(paths: Sequence[str], settings: Settings, out: Output) -> int:
    ctx = ScanContext.build(settings)
    return conclude(scan_images(paths, ctx), ctx, out, inputs=len(paths))
