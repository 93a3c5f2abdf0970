"""What ``keyguard rules check`` verifies about a rule's ``[rules.verify]`` table beyond what
the loader validates: the request can be built from every positive example's match, and a
rule is not verified both by a table and by a registered code verifier."""

from __future__ import annotations

from collections.abc import Sequence

from scanner.models import Finding
from scanner.rulebook.schema import RuleSpec
from scanner.verify.datahttp import build_request


def verifier_issues(spec: RuleSpec, example_findings: Sequence[Finding]) -> list[str]:
    """Error messages (none when fine); ``example_findings`` are the rule's own findings in
    its positive examples."""
    from scanner.verify.registry import CODE_VERIFIERS

    if spec.verify is None:
        return []
    issues: list[str] = []
    if spec.id in CODE_VERIFIERS:
        issues.append("has both a [rules.verify] table and a registered code verifier")
    parts = ", ".join(f"{{part:{p}}}" for p in sorted(spec.verify.parts()))
    if parts and any(build_request(spec.verify, f) is None for f in example_findings):
        issues.append(f"verify: an example's match does not capture {parts}")
    return issues
