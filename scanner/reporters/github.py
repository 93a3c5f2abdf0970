"""GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per finding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from scanner.escape import readable
from scanner.models import Finding, ScanStats, Severity
from scanner.reporters.base import ReportContext, shown_secret, verification_text


def _escape_data(text: str) -> str:
    return readable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class GithubReporter:
    def write(
        self, findings: Sequence[Finding], stats: ScanStats, ctx: ReportContext, out: TextIO
    ) -> None:
        for f in findings:
            level = "error" if f.severity >= Severity.HIGH else "warning"
            pos = f.position
            props = (
                f"file={_escape_prop(f.origin.display)},line={pos.line},col={pos.column},"
                f"endLine={pos.end_line},endColumn={pos.end_column},"
                f"title={_escape_prop('keyguard ' + f.rule_id)}"
            )
            message = (
                f"{f.description} ({f.severity.label}): {shown_secret(f, ctx.show_secrets)}"
                f" fingerprint {f.fingerprint}"
            )
            if f.verification is not None:
                message += f" [verified: {verification_text(f)}]"
            out.write(f"::{level} {props}::{_escape_data(message)}\n")
