"""Report formats: an explicit registry of ``Reporter`` implementations."""

from __future__ import annotations

from scanner.reporters.base import ReportContext, Reporter, finding_record
from scanner.reporters.github import GithubReporter
from scanner.reporters.html import HtmlReporter
from scanner.reporters.jsonfmt import JsonLinesReporter, JsonReporter
from scanner.reporters.sarif import SarifReporter
from scanner.reporters.text import TextReporter

REPORTERS: dict[str, Reporter] = {
    "text": TextReporter(),
    "json": JsonReporter(),
    "jsonl": JsonLinesReporter(),
    "sarif": SarifReporter(),
    "github": GithubReporter(),
    "html": HtmlReporter(),
}

__all__ = ["REPORTERS", "ReportContext", "Reporter", "finding_record"]
