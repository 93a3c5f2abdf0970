"""Find and load rule files: the built-in pack (shipped in the wheel) and users' own files."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner.cache import Cache, cache_key, default_cache_dir
from scanner.errors import RuleError
from scanner.models import Confidence, Severity
from scanner.rulebook.compile import Ruleset
from scanner.rulebook.table import TABLE_VERSION, RuleEntry, load_table

if TYPE_CHECKING:
    from scanner.rulebook.schema import RuleSpec

# The schema (TOML parsing, ``RuleSpec``) loads with the first rule file read or spec decoded:
# a start from the rule table (``rulebook.table``) needs neither.


def builtin_rules_dir() -> Path:
    """The built-in rules: ``scanner/_rules`` in a wheel, ``rules/`` in a source checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_rules"
    if packaged.is_dir():
        return packaged
    return here.parent / "rules"


def rule_files(directory: Path) -> list[Path]:
    """The ``*.toml`` files of ``directory`` (not hidden ones), sorted by name."""
    return [Path(name) for name in _toml_names(directory)]


SPEC_CACHE_VERSION = "specs-6"  # bump when RuleSpec's fields change
SPEC_CACHE_KIND = "rulespecs"


def _dir_key(files: list[Path]) -> str:
    """A key over the names, sizes and modification times of the rule files: one ``stat``
    each (reading ~900 files to hash them cost the staged check ~50 ms). The cached entry
    itself is validated on load, so a stale key can only ever mean stale rules, never code."""
    return _stat_key([str(file) for file in files])


# The code that turns rule text into specs: a change to a macro changes every pattern that
# uses it, so these files are part of the key as well as the rule files.
_SPEC_CODE = tuple(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    for name in ("macros.py", "schema.py")
)


def _stat_key(names: list[str]) -> str:
    digest = hashlib.sha256()
    stat = os.stat
    for name in (*names, *_SPEC_CODE):
        st = stat(name)
        digest.update(
            f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode("utf-8", "surrogateescape")
        )
    return cache_key(SPEC_CACHE_VERSION, digest.hexdigest())


def _toml_names(directory: Path) -> list[str]:
    """``rule_files`` as sorted path strings (no ``Path`` objects: this runs on every start)."""
    with os.scandir(directory) as entries:
        names = sorted(
            e.name for e in entries if e.name.endswith(".toml") and e.name[0] != "." and e.is_file()
        )
    base = str(directory)
    return [os.path.join(base, name) for name in names]


def spec_record(spec: RuleSpec) -> dict[str, Any]:
    """A ``RuleSpec`` as plain JSON data (the cache never holds pickles)."""
    record = dataclasses.asdict(spec)
    record["severity"] = int(spec.severity)
    record["confidence"] = int(spec.confidence)
    record["verify"] = spec.verify.record() if spec.verify is not None else None
    return record


def spec_from_record(record: Any) -> RuleSpec:
    """The inverse of ``spec_record``; ``TypeError``/``ValueError``/``KeyError`` when the
    record is not one."""
    from scanner.rulebook.schema import Allow, Example, Remediation, Requirements, RuleSpec

    if not isinstance(record, dict):
        raise TypeError("not a rule spec record")
    r = dict(record)
    strs = ("keywords", "references", "tags", "negative_examples", "paths")
    for key in strs:
        r[key] = _str_tuple(r[key])
    r["severity"] = Severity(r["severity"])
    r["confidence"] = Confidence(r["confidence"])
    r["requirements"] = Requirements(**r["requirements"])
    allow = r["allow"]
    r["allow"] = Allow(**{k: _str_tuple(v) for k, v in allow.items()})
    r["remediation"] = Remediation(**r["remediation"])
    r["examples"] = tuple(Example(**e) for e in r["examples"])
    verify = r.get("verify")
    if verify is not None:
        from scanner.verify.spec import VerifierSpec  # only rules with a verifier need it

        r["verify"] = VerifierSpec.from_record(verify)
    spec = RuleSpec(**r)
    if not isinstance(spec.pattern, str) or not isinstance(spec.id, str):
        raise TypeError("not a rule spec record")
    return spec


def _str_tuple(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise TypeError("expected a list of strings")
    return tuple(value)


def _load_dir(directory: Path, cache_dir: Path | None) -> list[RuleSpec]:
    """All rule files of ``directory``; parsed specs are cached (JSON, validated on load)."""
    files = rule_files(directory)
    cache = Cache(cache_dir) if cache_dir else None
    key = ""
    if cache is not None:
        try:
            key = _dir_key(files)
        except OSError:
            cache = None
    if cache is not None:
        cached = cache.load_json(SPEC_CACHE_KIND, key)
        if isinstance(cached, list):
            try:
                return [spec_from_record(r) for r in cached]
            except (TypeError, ValueError, KeyError):
                pass  # not a valid cache entry: rebuild it
    specs: list[RuleSpec] = []
    for file in files:
        specs.extend(_parse_file(file))
    if cache is not None:
        cache.store_json(SPEC_CACHE_KIND, key, [spec_record(s) for s in specs])
    return specs


def _parse_file(path: Path) -> list[RuleSpec]:
    from scanner.rulebook.schema import load_rule_file

    return load_rule_file(path)


def load_specs(paths: Iterable[Path], cache_dir: Path | None = None) -> list[RuleSpec]:
    specs: list[RuleSpec] = []
    for path in paths:
        if path.is_dir():
            specs.extend(_load_dir(path, cache_dir))
        elif path.is_file():
            specs.extend(_parse_file(path))
        else:
            raise RuleError(str(path), None, None, "no such rule file or directory")
    return specs


def _builtin_rules(directory: Path, cache_dir: Path | None) -> list[RuleSpec] | list[RuleEntry]:
    """The built-in rules as the rule table (``rulebook.table``: specs decode on first use),
    or as specs when there is no usable cache."""
    if cache_dir is not None:
        try:
            key = cache_key(TABLE_VERSION, _stat_key(_toml_names(directory)))
        except OSError:
            key = ""
        if key:
            table = load_table(lambda: _load_dir(directory, cache_dir), key, Cache(cache_dir))
            if table is not None:
                return table
    return _load_dir(directory, cache_dir)


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
    specs: list[RuleSpec | RuleEntry] = []
    if builtin:
        specs.extend(_builtin_rules(builtin_rules_dir(), cache_dir))
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
