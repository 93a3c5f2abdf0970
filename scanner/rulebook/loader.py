"""Find and load rule files: the built-in pack (shipped in the wheel) and users' own files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from scanner.errors import RuleError
from scanner.rulebook.compile import Ruleset
from scanner.rulebook.schema import RuleSpec, load_rule_file


def builtin_rules_dir() -> Path:
    """The built-in rules: ``scanner/_rules`` in a wheel, ``rules/`` in a source checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_rules"
    if packaged.is_dir():
        return packaged
    return here.parent / "rules"


def rule_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.toml") if p.is_file())


def load_specs(paths: Iterable[Path]) -> list[RuleSpec]:
    specs: list[RuleSpec] = []
    for path in paths:
        if path.is_dir():
            for file in rule_files(path):
                specs.extend(load_rule_file(file))
        elif path.is_file():
            specs.extend(load_rule_file(path))
        else:
            raise RuleError(str(path), None, None, "no such rule file or directory")
    return specs


def load_ruleset(
    extra: Sequence[Path] = (),
    *,
    builtin: bool = True,
    disabled: Iterable[str] = (),
    only: Iterable[str] = (),
) -> Ruleset:
    """Built-in rules plus ``extra`` files, minus ``disabled`` ids (glob-free exact ids or
    prefixes ending in ``*``), restricted to ``only`` when given."""
    paths = ([builtin_rules_dir()] if builtin else []) + list(extra)
    specs = load_specs(paths)
    specs = [s for s in specs if not _selected(s.id, disabled)]
    only = list(only)
    if only:
        specs = [s for s in specs if _selected(s.id, only)]
    return Ruleset.from_specs(specs)


def _selected(rule_id: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        if pattern.endswith("*") and rule_id.startswith(pattern[:-1]):
            return True
        if rule_id == pattern:
            return True
    return False
