"""SARIF 2.1.0 report, with rule metadata and ``partialFingerprints``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from scanner.escape import json_dumps, readable, uri_path
from scanner.models import Finding, ScanStats, Severity
from scanner.reporters.base import ReportContext, shown_secret, verification_text
from scanner.rulebook.compile import CompiledRule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}


def _uri(path: str) -> str:
    return uri_path(path)


def _rule_descriptor(rule: CompiledRule) -> dict[str, Any]:
    spec = rule.spec
    help_text = spec.remediation.steps or spec.description
    descriptor: dict[str, Any] = {
        "id": spec.id,
        "name": spec.id.replace(".", "/"),
        "shortDescription": {"text": spec.name},
        "fullDescription": {"text": spec.description},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": _LEVEL[spec.severity]},
        "properties": {
            "tags": ["security", "secret", *spec.tags],
            "security-severity": _SECURITY_SEVERITY[spec.severity],
            "precision": {3: "high", 2: "medium", 1: "low"}[int(spec.confidence)],
        },
    }
    if spec.remediation.url.startswith(("http://", "https://")):
        descriptor["helpUri"] = spec.remediation.url
    return descriptor


def _result(f: Finding, rule_index: int, ctx: ReportContext) -> dict[str, Any]:
    pos = f.position
    props: dict[str, Any] = {
        "severity": f.severity.label,
        "confidence": f.confidence.label,
        "entropy": f.entropy,
    }
    if f.origin.members:
        props["member"] = "!".join(f.origin.members)
    detail = f.origin.detail_dict()
    if detail:
        props["provenance"] = detail
    if f.verification is not None:
        props["verification"] = f.verification.record()
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVEL[f.severity],
        "message": {
            "text": readable(
                f"{f.description}: {shown_secret(f, ctx.show_secrets)} in {f.origin.display}"
                + (f" [verified: {verification_text(f)}]" if f.verification else "")
            )
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(f.origin.path)},
                    "region": {
                        "startLine": max(pos.line, 1),
                        "startColumn": max(pos.column, 1),
                        "endLine": max(pos.end_line, pos.line, 1),
                        "endColumn": max(pos.end_column, 1),
                    },
                }
            }
        ],
        "partialFingerprints": {"keyguardSecret/v1": f.fingerprint},
        "properties": props,
    }
    return result


class SarifReporter:
    def write(
        self, findings: Sequence[Finding], stats: ScanStats, ctx: ReportContext, out: TextIO
    ) -> None:
        used: list[str] = sorted({f.rule_id for f in findings})
        index = {rid: i for i, rid in enumerate(used)}
        rules = [ctx.ruleset.get(rid) for rid in used]
        descriptors = [_rule_descriptor(r) for r in rules if r is not None]
        doc = {
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "keyguard",
                            "version": ctx.tool_version,
                            "informationUri": "https://pypi.org/project/keyguard/",
                            "rules": descriptors,
                        }
                    },
                    "results": [_result(f, index[f.rule_id], ctx) for f in findings],
                    "columnKind": "unicodeCodePoints",
                    "properties": {
                        "suppressed": stats.suppressed,
                        "suppressedBy": dict(stats.suppressed_by),
                    },
                }
            ],
        }
        out.write(json_dumps(doc, indent=2) + "\n")


def add_version_control(
    doc: dict[str, Any], repository_uri: str, revision: str | None, branch: str | None
) -> dict[str, Any]:
    """Add SARIF ``versionControlProvenance`` (the scanned repository, HEAD commit and branch)
    to every run of a SARIF document; per-result commits stay in ``properties.provenance``."""
    details: dict[str, Any] = {"repositoryUri": repository_uri}
    if revision:
        details["revisionId"] = revision
    if branch:
        details["branch"] = branch
    for run in doc.get("runs", []):
        run["versionControlProvenance"] = [details]
    return doc
