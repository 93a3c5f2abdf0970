"""Report formats: an explicit registry of ``Reporter`` implementations.

``REPORTERS`` maps each format to the module and class that write it; a format's module loads
when that format is looked up, so a run imports only the reporter it uses.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from scanner.reporters.base import ReportContext, Reporter, finding_record

_FORMATS: tuple[tuple[str, str, str], ...] = (
    ("text", "text", "TextReporter"),
    ("json", "jsonfmt", "JsonReporter"),
    ("jsonl", "jsonfmt", "JsonLinesReporter"),
    ("sarif", "sarif", "SarifReporter"),
    ("github", "github", "GithubReporter"),
    ("html", "html", "HtmlReporter"),
)


class _Registry(Mapping[str, Reporter]):
    """Format name -> reporter, each module imported on lookup (reporters hold no state)."""

    def __getitem__(self, name: str) -> Reporter:
        for format_name, module, cls in _FORMATS:
            if format_name == name:
                reporter: Reporter = getattr(
                    importlib.import_module(f"scanner.reporters.{module}"), cls
                )()
                return reporter
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return (name for name, _, _ in _FORMATS)

    def __len__(self) -> int:
        return len(_FORMATS)


REPORTERS: Mapping[str, Reporter] = _Registry()

__all__ = ["REPORTERS", "ReportContext", "Reporter", "finding_record"]
