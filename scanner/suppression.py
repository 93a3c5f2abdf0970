"""Suppressions that name their source, so the report can say what each one hid.

A change under review can add its own suppressions (an ``[allow]`` list in ``.keyguard.toml``, a
baseline entry, a ``.keyguardignore`` line, a ``keyguard:allow`` comment). They keep working,
but every suppression is a ``FindingFilter`` whose reason names its source, and the scan's
summary counts findings per reason (``ScanStats.suppressed_by``).

``keyguard:allow`` markers are applied inside the matcher; ``AuditMatcher`` finds what they hid
by rescanning (only) the chunks that contain a marker without honouring it, and returns those
findings tagged ``suppressed=keyguard:allow`` for ``inline_allow_filter`` to drop and count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.config import AllowList
from scanner.engine.results import FindingFilter
from scanner.matcher import Matcher
from scanner.models import Chunk, Finding, SourceProblem
from scanner.ruleclock import RuleClock
from scanner.safeio import is_regular_file

if TYPE_CHECKING:
    from regex import Pattern

INLINE_ALLOW = "keyguard:allow"
IGNORE_FILE = ".keyguardignore"
_TAG = ("suppressed", INLINE_ALLOW)


def _key(f: Finding) -> tuple[str, str, int, int, str]:
    return (f.origin.display, f.rule_id, f.position.line, f.position.column, f.secret.digest())


class AuditMatcher(Matcher):
    """A ``Matcher`` that also returns the findings ``keyguard:allow`` markers hid, tagged."""

    def scan(
        self,
        chunk: Chunk,
        problems: list[SourceProblem] | None = None,
        clock: RuleClock | None = None,
    ) -> list[Finding]:
        found = super().scan(chunk, problems, clock)
        if chunk.depth or self.policy.ignore_inline_allow or not _has_marker(chunk.text):
            return found
        unmarked = Matcher(
            self.ruleset, self.prefilter, replace(self.policy, ignore_inline_allow=True)
        )
        kept = {_key(f) for f in found}
        hidden = [f for f in unmarked.scan(chunk, None, clock) if _key(f) not in kept]
        return found + [replace(f, extra=(*f.extra, _TAG)) for f in hidden]


def _has_marker(text: str) -> bool:
    return INLINE_ALLOW in text  # ``filters.ALLOW_MARKER``; the next-line marker contains it too


def audit_matcher(matcher: Matcher) -> AuditMatcher:
    return AuditMatcher(matcher.ruleset, matcher.prefilter, matcher.policy)


def inline_allow_filter(f: Finding) -> str | None:
    return INLINE_ALLOW if _TAG in f.extra else None


def allow_list_filters(allow_lists: Sequence[AllowList]) -> list[FindingFilter]:
    """One filter per ``[allow]`` table; the reason names the config file."""
    out: list[FindingFilter] = []
    for allow in allow_lists:
        if allow.paths:
            out.append(_path_filter(f"allow.paths ({allow.source})", _compile(allow.paths)))
        if allow.values:
            out.append(_value_filter(f"allow.values ({allow.source})", _compile(allow.values)))
    return out


def _compile(patterns: Sequence[str]) -> tuple[Pattern[str], ...]:
    import regex

    return tuple(regex.compile(p) for p in patterns)


def _path_filter(reason: str, patterns: tuple[Pattern[str], ...]) -> FindingFilter:
    def allowed_path(f: Finding) -> str | None:
        return reason if any(p.search(f.origin.display) for p in patterns) else None

    return allowed_path


def _value_filter(reason: str, patterns: tuple[Pattern[str], ...]) -> FindingFilter:
    def allowed_value(f: Finding) -> str | None:
        secret = f.secret.reveal()
        return reason if any(p.search(secret) for p in patterns) else None

    return allowed_value


def baseline_filter(path: Path) -> FindingFilter:
    from scanner.baseline import load_baseline

    baseline = load_baseline(path)
    reason = f"baseline ({path})"

    def in_baseline(f: Finding) -> str | None:
        return reason if f in baseline else None

    return in_baseline


def find_ignore_files(dirs: Sequence[Path]) -> list[Path]:
    """``.keyguardignore`` in each directory (scan root, repo root, cwd), each file once."""
    seen: set[Path] = set()
    out: list[Path] = []
    for directory in dirs:
        candidate = directory / IGNORE_FILE
        if not is_regular_file(candidate):  # a symlink or special file is never read
            continue
        key = candidate.resolve()
        if key not in seen:
            seen.add(key)
            out.append(candidate)
    return out


def ignore_file_filters(paths: Sequence[Path]) -> list[FindingFilter]:
    """One filter per ``.keyguardignore`` file (scan root, repo root, cwd)."""
    if not paths:  # the common case: the parser (``scanner.baseline``) is not loaded
        return []
    from scanner.baseline import load_ignore

    out: list[FindingFilter] = []
    for path in paths:
        fingerprints = load_ignore(path)
        if not fingerprints:
            continue
        out.append(_ignore_filter(f".keyguardignore ({path})", fingerprints))
    return out


def _ignore_filter(reason: str, fingerprints: frozenset[str]) -> FindingFilter:
    from scanner.baseline import is_ignored

    def in_ignore_file(f: Finding) -> str | None:
        return reason if is_ignored(f, fingerprints) else None

    return in_ignore_file
