"""What every scanning command shares: settings, rules and matcher, filters, reports, exit code."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from scanner.__about__ import __version__
from scanner.config import Config, config_dirs, layered_config
from scanner.engine.results import FindingFilter
from scanner.errors import ExitCode, UserError
from scanner.extractors import Limits
from scanner.matcher import Matcher, MatchPolicy
from scanner.models import Confidence, Finding, ScanStats, Severity
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
    all_copies: bool = True
    show_secrets: bool = False
    report_format: str = "text"
    output: Path | None = None
    fail_on: Severity = Severity.INFO
    min_severity: Severity = Severity.LOW
    min_confidence: Confidence = Confidence.LOW
    jobs: int = 0
    max_file_size: int | None = None
    baseline: Path | None = None
    strict: bool = False
    color: bool = False
    search_dirs: tuple[Path, ...] = field(default=())


def resolve_config(settings: Settings) -> Config:
    """``--config`` (trusted), else the user's config plus the data keys of a project config
    found in the scan target or its parents (``config_dirs``; docs/security.md). The
    caller prints ``config.notes`` as warnings."""
    dirs = config_dirs(settings.search_dirs, Path.cwd())
    config = layered_config(settings.config_path, dirs)
    return _vet_tree_rules(settings, config) if config.tree_rule_paths else config


def build_ruleset(settings: Settings, config: Config) -> Ruleset:
    return _load_rules(settings, config, config.rule_paths)


def _load_rules(settings: Settings, config: Config, rule_paths: Sequence[Path]) -> Ruleset:
    """The rules: built-in, the caller's rule files, then those a discovered config names
    (after every rule of the caller's: ``trusted_ruleset`` is where they start)."""
    tree = set(config.tree_rule_paths)
    return load_ruleset(
        [
            *(p for p in rule_paths if p not in tree),
            *settings.rule_files,
            *(p for p in rule_paths if p in tree),
        ],
        disabled=[*config.disable, *settings.disable],
        only=[*config.only, *settings.only],
    )


def trusted_ruleset(settings: Settings, config: Config) -> Ruleset | None:
    """The rules the caller chose, before a config found in the scanned tree added or left out
    any (None when it did neither): their prefilter serves the scan (``treeprefilter``)."""
    if not config.tree_selects_rules:
        return None
    tree = set(config.tree_rule_paths)
    return load_ruleset(
        [*(p for p in config.rule_paths if p not in tree), *settings.rule_files],
        disabled=[*config.trusted_disable, *settings.disable],
        only=[*config.trusted_only, *settings.only],
    )


def _vet_tree_rules(settings: Settings, config: Config) -> Config:
    """``config`` without the rule files named by a config found in the scanned tree that
    would stop the scan (missing, unreadable, invalid, a pattern that does not compile, an id
    taken), each dropped with a note: that config is data, not the user's to fix. The user's
    own rule files are checked first and stay errors (exit 2)."""
    tree = config.tree_rule_paths
    kept = [p for p in config.rule_paths if p not in tree]
    try:
        _load_rules(settings, config, kept)
    except UserError:  # the user's own rules are broken: build_ruleset reports that one
        return replace(config, rule_paths=tuple(kept), tree_rule_paths=())
    where = ", ".join(config.in_tree) or "a config found in the scanned tree"
    notes: list[str] = []
    for path in tree:
        try:
            _load_rules(settings, config, [*kept, path])
        except UserError as exc:
            notes.append(f"{where}: rule file {path} ignored: {exc}")
        else:
            kept.append(path)
    if not notes:
        return config
    return replace(
        config,
        rule_paths=tuple(kept),
        tree_rule_paths=tuple(p for p in tree if p in kept),
        notes=(*config.notes, *notes),
    )


def _compiled(patterns: Sequence[str]) -> tuple[Pattern[str], ...]:
    if not patterns:
        return ()
    import regex

    return tuple(regex.compile(p) for p in patterns)


def build_matcher(
    settings: Settings, config: Config, ruleset: Ruleset, *, audit: bool = False
) -> Matcher:
    """The matcher. With ``audit`` (scans that report), ``[allow] values`` become counted
    suppressions (``build_filters``) and findings hidden by ``keyguard:allow`` come back tagged
    so that the report can count them."""
    policy = MatchPolicy(
        ignore_inline_allow=settings.ignore_inline_allow,
        decode_depth=settings.decode_depth,
        allow_values=() if audit else _compiled(config.allow_values),
    )
    trusted = trusted_ruleset(settings, config)
    matcher = Matcher.build(
        ruleset, policy, settings.engine, cache_dir=default_cache_dir(), trusted=trusted
    )
    if audit:
        from scanner.suppression import audit_matcher

        return audit_matcher(matcher)
    return matcher


def build_limits(settings: Settings, config: Config) -> Limits:
    size = settings.max_file_size or config.max_file_size
    return Limits(max_file_size=size) if size else Limits()


def build_filters(settings: Settings, config: Config) -> list[FindingFilter]:
    """Suppressions, each naming its source (``ScanStats.suppressed_by``); for a matcher built
    with ``audit=True``."""
    from scanner.suppression import allow_list_filters, inline_allow_filter

    filters: list[FindingFilter] = [inline_allow_filter, *allow_list_filters(config.allow_lists)]
    if settings.min_confidence > Confidence.LOW:
        floor = settings.min_confidence

        def confident(f: Finding) -> str | None:
            return "confidence" if f.confidence < floor else None

        filters.append(confident)
    filters.extend(_suppression_filters(settings))
    return filters


def _suppression_filters(settings: Settings) -> list[FindingFilter]:
    """``--baseline FILE`` and ``.keyguardignore`` (scan root, repo root, cwd)."""
    from scanner.suppression import baseline_filter, find_ignore_files, ignore_file_filters

    out: list[FindingFilter] = []
    if settings.baseline is not None:
        out.append(baseline_filter(settings.baseline))
    out.extend(ignore_file_filters(find_ignore_files([*settings.search_dirs, Path.cwd()])))
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
