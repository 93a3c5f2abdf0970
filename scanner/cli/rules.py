"""``keyguard rules list`` and ``keyguard rules check``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scanner.errors import ExitCode


@click.group("rules")
def rules_group() -> None:
    """List and check detection rules."""


@rules_group.command("list")
@click.option(
    "--rules",
    "rule_files",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Extra rule file or directory.",
)
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules_list(rule_files: tuple[Path, ...], fmt: str) -> None:
    """List the rules (built-in plus extra files)."""
    import json

    from scanner.rulebook.loader import load_ruleset

    ruleset = load_ruleset(rule_files)
    if fmt == "json":
        items = [
            {
                "id": r.id,
                "name": r.spec.name,
                "severity": r.spec.severity.label,
                "confidence": r.spec.confidence.label,
                "tags": list(r.spec.tags),
            }
            for r in ruleset
        ]
        click.echo(json.dumps(items, indent=2))
        return
    for r in ruleset:
        click.echo(f"{r.id:<40} {r.spec.severity.label:<8} {r.spec.name}")
    click.echo(f"{len(ruleset)} rules")


@rules_group.command("check")
@click.argument("files", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--warnings-as-errors", is_flag=True, help="Fail on warnings too.")
def rules_check(files: tuple[Path, ...], warnings_as_errors: bool) -> None:
    """Check rule files (default: the built-in rules): patterns compile, examples behave."""
    from scanner.rulebook.check import check_pack
    from scanner.rulebook.loader import builtin_rules_dir, load_specs

    specs = load_specs(list(files) or [builtin_rules_dir()])
    issues = check_pack(specs)
    for issue in issues:
        click.echo(str(issue), err=True)
    errors = sum(1 for i in issues if i.level == "error")
    warnings = len(issues) - errors
    click.echo(f"{len(specs)} rules checked: {errors} error(s), {warnings} warning(s)")
    if errors or (warnings_as_errors and warnings):
        sys.exit(int(ExitCode.FINDINGS))
