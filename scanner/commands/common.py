"""What every scanning command shares: settings, rules and matcher, filters, reports, exit code."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from scanner.__about__ import __version__
from scanner.config import Config, find_config, load_config
from scanner.errors import ExitCode, UserError
from scanner.extractors import Limits
from scanner.matcher import Matcher, MatchPolicy
from scanner.models import Confidence, Finding, ScanStats, Severity
from scanner.pipeline import FindingFilter
from scanner.prefilter import default_cache_dir
from scanner.rulebook.compile import Ruleset
from scanner.rulebook.loader import load_ruleset

if TYPE_CHECKING:
    from regex import Pattern

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4}


def parse_size(text: str) -> int:
    """``10MB``, ``512k``, ``1GiB``, ``2048`` → bytes."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"not a size: {text!r} (e.g. 10MB, 512KiB)")
    unit = (m.group(2) or "").lower()
    base = 1024 if "i" in unit else 1000
    mult = base ** "bkmgt".index(unit[0]) if unit and unit[0] in "kmgt" else 1
    return int(float(m.group(1)) * mult)


@dataclass(frozen=True, slots=True)
class Settings:
    """Typed options shared by ``scan``, ``git``, ``image`` and ``filter``."""

    config_path: Path | None = None
    rule_files: tuple[Path, ...] = ()
    disable: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    engine: str = "auto"
    decode_depth: int = 2
    ignore_inline_allow: bool = False
    show_secrets: bool = False
    report_format: str = "text"
    output: Path | None = None
    fail_on: Severity = Severity.INFO
    min_confidence: Confidence = Confidence.LOW
    jobs: int = 0
    max_file_size: int | None = None
    baseline: Path | None = None
    strict: bool = False
    color: bool = False
    search_dirs: tuple[Path, ...] = field(default=())


def resolve_config(settings: Settings) -> Config:
    if settings.config_path is not None:
        return load_config(settings.config_path)
    found = find_config([Path.cwd(), *settings.search_dirs])
    return load_config(found) if found else Config()


def build_ruleset(settings: Settings, config: Config) -> Ruleset:
    return load_ruleset(
        [*config.rule_paths, *settings.rule_files],
        disabled=[*config.disable, *settings.disable],
        only=[*config.only, *settings.only],
    )


def _compiled(patterns: Sequence[str]) -> tuple[Pattern[str], ...]:
    if not patterns:
        return ()
    import regex

    return tuple(regex.compile(p) for p in patterns)


def build_matcher(settings: Settings, config: Config, ruleset: Ruleset) -> Matcher:
    policy = MatchPolicy(
        ignore_inline_allow=settings.ignore_inline_allow,
        decode_depth=settings.decode_depth,
        allow_values=_compiled(config.allow_values),
    )
    return Matcher.build(ruleset, policy, settings.engine, cache_dir=default_cache_dir())


def build_limits(settings: Settings, config: Config) -> Limits:
    size = settings.max_file_size or config.max_file_size
    return Limits(max_file_size=size) if size else Limits()


def build_filters(settings: Settings, config: Config) -> list[FindingFilter]:
    filters: list[FindingFilter] = []
    if config.allow_paths:
        patterns = _compiled(config.allow_paths)

        def allowed_path(f: Finding) -> str | None:
            return "allow.paths" if any(p.search(f.origin.display) for p in patterns) else None

        filters.append(allowed_path)
    if settings.min_confidence > Confidence.LOW:
        floor = settings.min_confidence

        def confident(f: Finding) -> str | None:
            return "confidence" if f.confidence < floor else None

        filters.append(confident)
    filters.extend(_suppression_filters(settings))
    return filters


def _suppression_filters(settings: Settings) -> list[FindingFilter]:
    """``--baseline FILE`` and ``.keyguardignore`` (scan root, repo root, cwd)."""
    from scanner.baseline import find_ignore_files, is_ignored, load_baseline, load_ignore

    out: list[FindingFilter] = []
    if settings.baseline is not None:
        baseline = load_baseline(settings.baseline)

        def in_baseline(f: Finding) -> str | None:
            return "baseline" if f in baseline else None

        out.append(in_baseline)
    ignored: frozenset[str] = frozenset()
    for path in find_ignore_files([*settings.search_dirs, Path.cwd()]):
        ignored |= load_ignore(path)
    if ignored:

        def in_ignore_file(f: Finding) -> str | None:
            return ".keyguardignore" if is_ignored(f, ignored) else None

        out.append(in_ignore_file)
    return out


def write_report(
    findings: Sequence[Finding],
    stats: ScanStats,
    settings: Settings,
    ruleset: Ruleset,
    stdout: TextIO,
) -> None:
    from scanner.reporters import REPORTERS, ReportContext  # rich loads only to report

    reporter = REPORTERS[settings.report_format]
    ctx = ReportContext(
        ruleset=ruleset,
        show_secrets=settings.show_secrets,
        tool_version=__version__,
        color=settings.color and settings.output is None,
    )
    if settings.output is None:
        reporter.write(findings, stats, ctx, stdout)
        return
    try:
        with open(settings.output, "w", encoding="utf-8", newline="\n") as out:
            reporter.write(findings, stats, ctx, out)
    except OSError as exc:
        raise UserError(f"{settings.output}: cannot write report ({exc.strerror})") from None


def exit_status(findings: Sequence[Finding], stats: ScanStats, settings: Settings) -> int:
    if settings.strict and stats.problems:
        return int(ExitCode.USER_ERROR)
    if any(f.severity >= settings.fail_on for f in findings):
        return int(ExitCode.FINDINGS)
    return int(ExitCode.OK)
