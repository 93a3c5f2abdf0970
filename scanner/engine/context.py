"""``ScanContext``: everything a scan needs, built once from the command's settings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from scanner.commands.common import (
    Settings,
    build_filters,
    build_limits,
    build_matcher,
    build_ruleset,
    resolve_config,
)
from scanner.config import Config
from scanner.engine.results import FindingFilter
from scanner.errors import UserError
from scanner.extractors import Limits
from scanner.matcher import Matcher
from scanner.rulebook.compile import Ruleset


@dataclass(frozen=True, slots=True)
class ScanContext:
    """Settings, the config they select, the rules, the compiled matcher, limits, suppressions."""

    settings: Settings
    config: Config
    ruleset: Ruleset
    matcher: Matcher
    limits: Limits
    filters: tuple[FindingFilter, ...]

    @classmethod
    def build(cls, settings: Settings, search_dirs: tuple[Path, ...] = ()) -> ScanContext:
        """Resolve the config (``search_dirs`` add places to look for it), load and compile."""
        if search_dirs:
            settings = replace(settings, search_dirs=(*settings.search_dirs, *search_dirs))
        config = resolve_config(settings)
        ruleset = build_ruleset(settings, config)
        if not len(ruleset):
            raise UserError(
                "no rules selected: nothing to scan for (see --only-rule, --disable-rule and "
                "the config's `only` and `disable`)"
            )
        return cls(
            settings=settings,
            config=config,
            ruleset=ruleset,
            matcher=build_matcher(settings, config, ruleset, audit=True),
            limits=build_limits(settings, config),
            filters=tuple(build_filters(settings, config)),
        )
