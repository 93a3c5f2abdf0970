"""Find and load rule files: the built-in pack (shipped in the wheel) and users' own files."""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Iterable, Sequence
from pathlib import Path

from scanner.__about__ import __version__
from scanner.errors import RuleError
from scanner.prefilter import default_cache_dir
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


SPEC_CACHE_VERSION = "specs-3"  # bump when RuleSpec's fields change


def _dir_key(files: list[Path]) -> str:
    digest = hashlib.sha256(f"{__version__}\0{SPEC_CACHE_VERSION}".encode())
    for file in files:
        st = file.stat()
        digest.update(f"{file}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:24]


def _load_dir(directory: Path, cache_dir: Path | None) -> list[RuleSpec]:
    """All rule files of ``directory``; parsed specs are cached keyed on names, sizes, mtimes."""
    files = rule_files(directory)
    cache = cache_dir / f"rules-{_dir_key(files)}.pickle" if cache_dir else None
    if cache is not None:
        try:
            with open(cache, "rb") as fh:
                cached = pickle.load(fh)
            if isinstance(cached, list):
                return cached
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
            pass
    specs: list[RuleSpec] = []
    for file in files:
        specs.extend(load_rule_file(file))
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                pickle.dump(specs, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, cache)
        except OSError:
            pass  # the cache is an optimisation
    return specs


def load_specs(paths: Iterable[Path], cache_dir: Path | None = None) -> list[RuleSpec]:
    specs: list[RuleSpec] = []
    for path in paths:
        if path.is_dir():
            specs.extend(_load_dir(path, cache_dir))
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
    cache_dir = default_cache_dir()
    specs = load_specs([builtin_rules_dir()], cache_dir) if builtin else []
    trusted = frozenset(s.source for s in specs)
    specs += load_specs(extra)
    specs = [s for s in specs if not _selected(s.id, disabled)]
    only = list(only)
    if only:
        specs = [s for s in specs if _selected(s.id, only)]
    return Ruleset.from_specs(specs, trusted=trusted)


def _selected(rule_id: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        if pattern.endswith("*") and rule_id.startswith(pattern[:-1]):
            return True
        if rule_id == pattern:
            return True
    return False
