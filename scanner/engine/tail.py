"""The end of every scanning command: warnings, rotation, the report, the exit code."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TextIO

from scanner.commands.common import exit_status, write_report
from scanner.engine.context import ScanContext
from scanner.engine.results import ScanResult
from scanner.errors import ExitCode, SourceError, UserError
from scanner.models import Finding, RotationStatus, Severity, VerifyStatus

if TYPE_CHECKING:
    from scanner.rotation import RotationOptions
    from scanner.verify.runner import VerifyOptions

Warn = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Output:
    """Where a command's results go: the report stream, warnings, rotation messages and options."""

    stdout: TextIO
    warn: Warn
    echo: Warn | None = None
    rotation: RotationOptions | None = None
    verify: VerifyOptions | None = None


@dataclass(frozen=True, slots=True)
class VersionControl:
    """Repository provenance for SARIF's ``versionControlProvenance``."""

    uri: str
    revision: str | None
    branch: str | None


def conclude(
    result: ScanResult,
    ctx: ScanContext,
    out: Output,
    *,
    inputs: int = 0,
    vcs: VersionControl | None = None,
) -> int:
    """Warn about problems, verify (``--verify``), rotate (when configured or asked), write the
    report, exit code.

    ``inputs`` is the number of paths the user named: when every one of them is missing the
    scan is a user error; when some are, the exit code is ``USER_ERROR`` after the report.
    """
    missing = [p for p in result.stats.problems if p.kind == "missing"]
    for note in ctx.config.notes:  # keys ignored in a config found in the scanned tree
        out.warn(note)
    for problem in result.stats.problems:
        out.warn(str(problem))
    if inputs and len(missing) == inputs:
        raise SourceError(f"{missing[0].where}: no such file or directory")
    if out.verify is not None:
        result = _verified(result, ctx, out.verify)
    result = below_severity_dropped(result, ctx.settings.min_severity)
    if missing:
        code = int(ExitCode.USER_ERROR)
    elif out.verify is not None and out.verify.fail_on_verified:
        live = [f for f in result.findings if _is_live(f)]
        code = exit_status(live, result.stats, ctx.settings)
    else:
        code = exit_status(result.findings, result.stats, ctx.settings)
    if ctx.config.rotation or out.rotation is not None:
        # the rotation engine (and its HTTP clients) loads only when rotation is wanted
        from scanner.rotation import RotationOptions
        from scanner.rotation import run as run_rotation

        options = out.rotation or RotationOptions()
        rotated = run_rotation(result.findings, ctx.config, options, out.warn, out.echo or out.warn)
        if not missing:
            code = rotated.exit_code(code)
        result = _with_rotation(result, rotated.by_fingerprint())
    if vcs is not None and ctx.settings.report_format == "sarif":
        _write_sarif(result, ctx, out.stdout, vcs)
    else:
        write_report(result.findings, result.stats, ctx.settings, ctx.ruleset, out.stdout)
    return code


def _verified(result: ScanResult, ctx: ScanContext, options: VerifyOptions) -> ScanResult:
    """Every finding with its ``verification``; only the live ones with ``--only-verified``.
    The verification code (and ``requests``) loads only here."""
    from scanner.cache import Cache, default_cache_dir
    from scanner.rulebook.loader import builtin_rules_dir
    from scanner.verify.runner import Trust, verify_findings
    from scanner.verify.store import ResultStore

    trust = Trust(
        builtin=(builtin_rules_dir(),),
        custom=ctx.settings.rule_files if options.custom_verifiers else (),
    )
    store = ResultStore(Cache(default_cache_dir()), options.cache_ttl)
    findings = verify_findings(result.findings, ctx.ruleset, options, trust, store)
    if options.only_verified:
        findings = [f for f in findings if _is_live(f)]
    return replace(result, findings=tuple(findings))


def below_severity_dropped(result: ScanResult, floor: Severity) -> ScanResult:
    """``result`` without the findings below ``floor`` (``--min-severity``), counted as
    suppressed by ``severity``. After verification: a hidden identifier (a Twilio Account SID)
    still pairs with the secret it belongs to."""
    kept = tuple(f for f in result.findings if f.severity >= floor)
    hidden = len(result.findings) - len(kept)
    if not hidden:
        return result
    by = dict(result.stats.suppressed_by)
    by["severity"] = by.get("severity", 0) + hidden
    stats = replace(
        result.stats,
        suppressed=result.stats.suppressed + hidden,
        suppressed_by=tuple(sorted(by.items())),
    )
    return replace(result, findings=kept, stats=stats)


def _with_rotation(result: ScanResult, by_fp: Mapping[str, RotationStatus]) -> ScanResult:
    """Each finding with what rotation did about its secret (for the reports)."""
    if not by_fp:
        return result
    findings = tuple(
        replace(f, rotation=by_fp[f.fingerprint]) if f.fingerprint in by_fp else f
        for f in result.findings
    )
    return replace(result, findings=findings)


def _is_live(finding: Finding) -> bool:
    v = finding.verification
    return v is not None and v.status is VerifyStatus.LIVE


def _write_sarif(result: ScanResult, ctx: ScanContext, stdout: TextIO, vcs: VersionControl) -> None:
    """SARIF with the repository, revision and branch as ``versionControlProvenance``."""
    import io
    import json

    from scanner.escape import json_dumps
    from scanner.reporters.sarif import add_version_control

    settings = ctx.settings
    buffer = io.StringIO()
    write_report(result.findings, result.stats, replace(settings, output=None), ctx.ruleset, buffer)
    doc = add_version_control(json.loads(buffer.getvalue()), vcs.uri, vcs.revision, vcs.branch)
    text = json_dumps(doc, indent=2) + "\n"  # undecodable names: see scanner/escape.py
    if settings.output is None:
        stdout.write(text)
        return
    try:
        settings.output.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise UserError(f"{settings.output}: cannot write report ({exc.strerror})") from None
