"""Configuration: ``.keyguard.toml`` or ``[tool.keyguard]`` in ``pyproject.toml`` → ``Config``.

Keys::

    rules = ["extra-rules.toml"]       # extra rule files or directories (relative to the config)
    disable = ["generic.*", "jwt.token"]  # rule ids to turn off (``prefix*`` allowed)
    only = []                          # when set, only these rule ids run
    exclude = ["vendor/", "*.min.js"]  # paths not scanned (.gitignore syntax)
    max_file_size = 104857600          # bytes
    [allow]
    values = ["^AKIA[A-Z0-9]{12}TEST$"]   # regexes: matching secrets are not reported
    paths = ["^tests/fixtures/"]          # regexes on the reported path: findings dropped
    [[rotation]]                       # see docs/rotation.md
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.errors import ConfigError

CONFIG_NAMES = (".keyguard.toml", "keyguard.toml")
_KEYS = frozenset(
    {"rules", "disable", "only", "exclude", "max_file_size", "allow", "rotation", "filter", "git"}
)


@dataclass(frozen=True, slots=True)
class Config:
    source: str = ""
    rule_paths: tuple[Path, ...] = ()
    disable: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_file_size: int | None = None
    allow_values: tuple[str, ...] = ()
    allow_paths: tuple[str, ...] = ()
    rotation: tuple[Mapping[str, Any], ...] = ()
    sections: Mapping[str, Any] = field(default_factory=dict)


def find_config(start_dirs: Sequence[Path]) -> Path | None:
    for directory in start_dirs:
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and _has_tool_section(pyproject):
            return pyproject
    return None


def _has_tool_section(path: Path) -> bool:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("tool"), dict) and "keyguard" in data["tool"]


def load_config(path: Path) -> Config:
    name = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{name}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read config ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{name}: config is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("keyguard", {})
        name += " [tool.keyguard]"
    return parse_config(data, name, path.parent)


def parse_config(data: Mapping[str, Any], name: str, base: Path) -> Config:
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(f"{name}: unknown key `{sorted(unknown)[0]}`")
    allow = data.get("allow", {})
    if not isinstance(allow, dict):
        raise ConfigError(f"{name}: `allow` must be a table")
    bad = set(allow) - {"values", "paths"}
    if bad:
        raise ConfigError(f"{name}: unknown key `allow.{sorted(bad)[0]}`")
    max_size = data.get("max_file_size")
    if max_size is not None and (not isinstance(max_size, int) or max_size <= 0):
        raise ConfigError(f"{name}: `max_file_size` must be a positive integer (bytes)")
    rotation = data.get("rotation", [])
    if not isinstance(rotation, list) or not all(isinstance(r, dict) for r in rotation):
        raise ConfigError(f"{name}: `rotation` must be an array of tables ([[rotation]])")
    values = _str_list(allow.get("values"), name, "allow.values")
    paths = _str_list(allow.get("paths"), name, "allow.paths")
    if values or paths:
        _check_patterns(name, values, paths)
    return Config(
        source=name,
        rule_paths=tuple(base / p for p in _str_list(data.get("rules"), name, "rules")),
        disable=tuple(_str_list(data.get("disable"), name, "disable")),
        only=tuple(_str_list(data.get("only"), name, "only")),
        exclude=tuple(_str_list(data.get("exclude"), name, "exclude")),
        max_file_size=max_size,
        allow_values=tuple(values),
        allow_paths=tuple(paths),
        rotation=tuple(rotation),
        sections={k: v for k, v in data.items() if k in ("filter", "git")},
    )


def _check_patterns(name: str, values: list[str], paths: list[str]) -> None:
    import regex

    for key, patterns in (("allow.values", values), ("allow.paths", paths)):
        for pattern in patterns:
            try:
                regex.compile(pattern)
            except regex.error as exc:
                raise ConfigError(
                    f"{name}: `{key}`: pattern {pattern!r} does not compile: {exc}"
                ) from None


def _str_list(value: Any, name: str, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{name}: `{key}` must be a list of strings")
    return list(value)
