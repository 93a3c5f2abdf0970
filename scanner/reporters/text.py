"""Human report with rich: findings grouped by file, masked secrets, remediation, summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import groupby
from typing import TYPE_CHECKING, TextIO

from scanner.escape import terminal_safe as safe
from scanner.models import Finding, ScanStats, Severity, VerifyStatus
from scanner.reporters.base import ReportContext, shown_secret, verification_text

if TYPE_CHECKING:
    from rich.console import Console

_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_VERIFY_STYLE = {
    VerifyStatus.LIVE: "bold red",
    VerifyStatus.INVALID: "green",
    VerifyStatus.UNKNOWN: "dim",
    VerifyStatus.ERROR: "yellow",
}


class TextReporter:
    def write(
        self, findings: Sequence[Finding], stats: ScanStats, ctx: ReportContext, out: TextIO
    ) -> None:
        if not findings:  # the common case in a hook: no need to load rich
            out.write(summary_line(findings, stats) + "\n")
            return
        from rich.console import Console

        console = Console(
            file=out, force_terminal=ctx.color, no_color=not ctx.color, highlight=False, width=120
        )
        from rich.markup import escape

        for path, group in groupby(findings, key=lambda f: f.origin.display):
            console.print(f"[bold]{escape(safe(path))}[/bold]")
            for f in group:
                self._finding(console, f, ctx)
            console.print()
        self._summary(console, findings, stats)

    def _finding(self, console: Console, f: Finding, ctx: ReportContext) -> None:
        from rich.markup import escape

        pos = f.position
        style = _STYLE[f.severity]
        console.print(
            f"  {pos.line}:{pos.column}  [{style}]{f.severity.label:<8}[/{style}] "
            f"{escape(safe(f.rule_id))}  {escape(safe(shown_secret(f, ctx.show_secrets)))}"
            f"  [dim]{escape(safe(f.description))}[/dim]"
        )
        extras = dict(f.origin.detail)
        if extras:
            info = ", ".join(f"{k}={v}" for k, v in extras.items())
            console.print(f"      [dim]{escape(safe(info))}[/dim]")
        if f.verification is not None:
            vstyle = _VERIFY_STYLE[f.verification.status]
            text = escape(safe(verification_text(f)))
            console.print(f"      verified: [{vstyle}]{text}[/{vstyle}]")
        rule = ctx.ruleset.get(f.rule_id)
        if rule is not None and rule.spec.remediation.url:
            console.print(f"      [dim]revoke: {escape(safe(rule.spec.remediation.url))}[/dim]")

    def _summary(self, console: Console, findings: Sequence[Finding], stats: ScanStats) -> None:
        from rich.markup import escape

        style = "bold red" if findings else "bold green"
        console.print(f"[{style}]{escape(summary_line(findings, stats))}[/{style}]")
        counts = Counter(f.verification.status for f in findings if f.verification is not None)
        if counts:
            shown = ", ".join(f"{counts[s]} {s.value}" for s in VerifyStatus if counts[s])
            console.print(f"verified: {shown}")


def summary_line(findings: Sequence[Finding], stats: ScanStats) -> str:
    files = len({f.origin.display for f in findings})
    line = (
        f"{len(findings)} finding(s) in {files} file(s); scanned {stats.files} file(s), "
        f"{stats.bytes / 1e6:.1f} MB in {stats.seconds:.2f}s"
    )
    extras = []
    if stats.skipped:
        extras.append(f"{stats.skipped} skipped")
    if stats.problems:
        extras.append(f"{len(stats.problems)} warning(s)")
    if stats.suppressed:
        extras.append(f"{stats.suppressed} suppressed")
    if extras:
        line += " (" + ", ".join(extras) + ")"
    return line + suppression_lines(stats)


def suppression_lines(stats: ScanStats) -> str:
    """One line per suppression source and what it hid, so that a reviewer sees what a change
    (an allow list, a baseline, a ``.keyguardignore``, ``keyguard:allow`` markers) suppressed."""
    return "".join(
        f"\n  suppressed by {safe(source)}: {count}" for source, count in stats.suppressed_by
    )
