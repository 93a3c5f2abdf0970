"""The reporter seam and the one place a finding becomes a plain record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from scanner.models import Finding, ScanStats
from scanner.rulebook.compile import Ruleset
from scanner.secret import mask


@dataclass(frozen=True, slots=True)
class ReportContext:
    ruleset: Ruleset
    show_secrets: bool = False
    tool_version: str = ""
    color: bool = False


class Reporter(Protocol):
    def write(
        self, findings: Sequence[Finding], stats: ScanStats, ctx: ReportContext, out: TextIO
    ) -> None: ...


def verification_text(finding: Finding) -> str:
    """``live (aws.sts-get-caller-identity: accepted ...)``; empty without ``--verify``."""
    v = finding.verification
    if v is None:
        return ""
    about = ": ".join(x for x in (v.verifier, v.detail) if x)
    return f"{v.status.value} ({about})" if about else v.status.value


def shown_secret(finding: Finding, show: bool) -> str:
    return finding.secret.reveal() if show else mask(finding.secret.reveal())


def finding_record(finding: Finding, ctx: ReportContext) -> dict[str, Any]:
    """A finding as a JSON-ready dict; the secret is masked unless ``show_secrets``."""
    pos = finding.position
    rule = ctx.ruleset.get(finding.rule_id)
    record: dict[str, Any] = {
        "rule_id": finding.rule_id,
        "description": finding.description,
        "severity": finding.severity.label,
        "confidence": finding.confidence.label,
        "path": finding.origin.path,
        "member": "!".join(finding.origin.members) or None,
        "location": finding.origin.display,
        "line": pos.line,
        "column": pos.column,
        "end_line": pos.end_line,
        "end_column": pos.end_column,
        "secret": shown_secret(finding, ctx.show_secrets),
        "fingerprint": finding.fingerprint,
        "entropy": finding.entropy,
    }
    if finding.checksum:
        record["checksum"] = finding.checksum
    if finding.decoded:
        record["decoded"] = finding.decoded
    detail = finding.origin.detail_dict()
    detail.pop("decoded", None)
    if detail:
        record["provenance"] = detail
    if "cell" in detail:
        record["cell_line"] = pos.chunk_line
    if finding.verification is not None:  # only with --verify
        record["verification"] = finding.verification.record()
    if finding.rotation is not None:  # only where rotation ran (plan or --rotate)
        record["rotation"] = finding.rotation.record()
    if rule is not None and (rule.spec.remediation.url or rule.spec.remediation.steps):
        record["remediation"] = {
            "url": rule.spec.remediation.url,
            "steps": rule.spec.remediation.steps,
        }
    return record


def stats_record(stats: ScanStats) -> Mapping[str, Any]:
    return {
        "files": stats.files,
        "bytes": stats.bytes,
        "skipped": stats.skipped,
        "problems": len(stats.problems),
        "suppressed": stats.suppressed,
        "suppressed_by": dict(stats.suppressed_by),
        "seconds": stats.seconds,
        "engine": stats.engine,
    }
