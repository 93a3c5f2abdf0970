"""``keyguard org MANIFEST``: typed options in, exit code out (the CLI does the printing)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from scanner.commands.common import Settings
from scanner.engine.context import ScanContext
from scanner.engine.results import ScanResult
from scanner.engine.tail import Output, conclude
from scanner.errors import UserError
from scanner.escape import json_dumps
from scanner.org.manifest import load_manifest
from scanner.org.plan import OrgStats
from scanner.org.runners import DaskRunner, LocalRunner, Runner
from scanner.org.scan import Progress, Tuning, run_org
from scanner.org.state import StateStore, default_state_path, scan_digest
from scanner.reporters.html import render


@dataclass(frozen=True, slots=True)
class OrgOptions:
    manifest: Path
    cluster: str | None = None
    state: Path | None = None
    tuning: Tuning = Tuning()


def org(
    options: OrgOptions,
    settings: Settings,
    out: Output,
    progress: Progress | None = None,
    note: Callable[[str], None] | None = None,
) -> int:
    """Scan every repository of the manifest; the merged report goes to ``out``.

    ``note``, when given, receives one line of org statistics."""
    specs = load_manifest(options.manifest)
    ctx = ScanContext.build(settings, search_dirs=(options.manifest.resolve().parent,))
    digest = scan_digest(ctx.ruleset, ctx.limits, settings.decode_depth)
    state_path = options.state or default_state_path()
    with StateStore(state_path, digest) as state:
        runner = open_runner(options.cluster, ctx, settings.jobs)
        try:
            result, stats = run_org(specs, ctx, runner, state, progress, options.tuning)
            if isinstance(runner, DaskRunner):
                stats.workers = runner.workers()
            elif isinstance(runner, LocalRunner):
                stats.workers = runner.jobs
        finally:
            runner.close()
    if note is not None:
        note(f"org: {stats.summary()}")
    if settings.report_format not in _WITH_STATS:
        return conclude(result, ctx, out)
    return _report_with_stats(result, ctx, out, stats)


def open_runner(cluster: str | None, ctx: ScanContext, jobs: int) -> Runner:
    if cluster:
        return DaskRunner(cluster, ctx.matcher, ctx.limits)
    return LocalRunner(ctx.matcher, ctx.limits, jobs)


_WITH_STATS = ("json", "sarif", "html")
"""Formats that carry the org statistics: JSON (an ``org`` key), SARIF (the run's
``properties.org``), HTML (an "Organisation run" section). Text prints them on stderr."""


def _report_with_stats(result: ScanResult, ctx: ScanContext, out: Output, stats: OrgStats) -> int:
    """The report with the run's org statistics: ``conclude`` writes JSON (or SARIF) into a
    buffer (verification, rotation and the exit code as usual), the org section is added, and
    HTML is rendered from the same finding records."""
    fmt = ctx.settings.report_format
    buffer = io.StringIO()
    inner_format = "sarif" if fmt == "sarif" else "json"
    inner = replace(ctx, settings=replace(ctx.settings, output=None, report_format=inner_format))
    code = conclude(result, inner, replace(out, stdout=buffer))
    doc = json.loads(buffer.getvalue())
    if fmt == "html":
        text = render(
            doc["findings"], doc["stats"], doc["problems"], doc["version"], stats.record()
        )
    elif fmt == "sarif":
        for run in doc.get("runs", []):
            run.setdefault("properties", {})["org"] = stats.record()
        text = json_dumps(doc, indent=2) + "\n"
    else:
        doc["org"] = stats.record()
        text = json_dumps(doc, indent=2) + "\n"
    target = ctx.settings.output
    if target is None:
        out.stdout.write(text)
        return code
    try:
        target.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise UserError(f"{target}: cannot write report ({exc.strerror})") from None
    return code
