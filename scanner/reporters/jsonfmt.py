"""JSON and JSON Lines reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from scanner.escape import json_dumps
from scanner.models import Finding, ScanStats
from scanner.reporters.base import ReportContext, finding_record, stats_record


class JsonReporter:
    def write(
        self, findings: Sequence[Finding], stats: ScanStats, ctx: ReportContext, out: TextIO
    ) -> None:
        doc = {
            "version": ctx.tool_version,
            "findings": [finding_record(f, ctx) for f in findings],
            "stats": stats_record(stats),
            "problems": [str(p) for p in stats.problems],
        }
        out.write(json_dumps(doc, indent=2) + "\n")


class JsonLinesReporter:
    def write(
        self, findings: Sequence[Finding], stats: ScanStats, ctx: ReportContext, out: TextIO
    ) -> None:
        for f in findings:
            out.write(json_dumps(finding_record(f, ctx)) + "\n")
