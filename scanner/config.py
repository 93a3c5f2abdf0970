"""Configuration: where settings may come from, and ``.keyguard.toml`` / ``[tool.keyguard]`` →
``Config``.

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

Trust boundary (docs/security.md): a config *discovered* in the scanned target or a parent of it up
to its repository root or the current directory (``config_dirs``): ``.keyguard.toml``,
``keyguard.toml``, ``[tool.keyguard]`` in ``pyproject.toml``. It is part of the data being scanned.
Only ``DATA_KEYS`` are honoured from it; every other key (those that run commands, open connections
or pick where credentials go: ``rotation`` and anything added later) is dropped with a one-line
note naming the file and the keys. Such keys are honoured only from a *trusted* config: ``--config
FILE``, ``$KEYGUARD_CONFIG``, or the user's own file (``$XDG_CONFIG_HOME/keyguard/config.toml``,
default ``~/.config/keyguard/config.toml``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.errors import ConfigError
from scanner.safeio import CONFIG_FILE_LIMIT, UnsafeFileError, read_bounded, read_user_file

CONFIG_NAMES = (".keyguard.toml", "keyguard.toml")
CONFIG_ENV = "KEYGUARD_CONFIG"
USER_CONFIG = Path("keyguard") / "config.toml"
DATA_KEYS = frozenset({"rules", "disable", "only", "exclude", "max_file_size", "allow"})
"""Keys that only select what is scanned and what is reported: honoured from any config."""
_KEYS = DATA_KEYS | {"rotation", "filter", "git"}
MAX_DEPTH = 16
MAX_INT = 2**63 - 1


@dataclass(frozen=True, slots=True)
class AllowList:
    """``[allow]`` of one config file, kept apart so that the report can say what each hid."""

    source: str
    values: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    in_tree: bool = False


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
    allow_lists: tuple[AllowList, ...] = ()
    notes: tuple[str, ...] = ()
    """Warnings for the user (ignored keys, a broken in-tree pyproject.toml); callers print them."""
    in_tree: tuple[str, ...] = ()
    """The discovered (untrusted) config files whose data keys were used."""
    tree_rule_paths: tuple[Path, ...] = ()
    """The ``rule_paths`` that a discovered config named: a broken one is a warning, not an
    error (``commands.common.resolve_config``)."""
    tree_disable: tuple[str, ...] = ()
    """The last entries of ``disable``, which a discovered config named."""
    tree_only: tuple[str, ...] = ()
    """The last entries of ``only``, which a discovered config named."""

    @property
    def trusted_disable(self) -> tuple[str, ...]:
        return self.disable[: len(self.disable) - len(self.tree_disable)]

    @property
    def trusted_only(self) -> tuple[str, ...]:
        return self.only[: len(self.only) - len(self.tree_only)]

    @property
    def tree_selects_rules(self) -> bool:
        """Whether a discovered config adds rule files or leaves rules out."""
        return bool(self.tree_rule_paths or self.tree_disable or self.tree_only)


# --- discovery --------------------------------------------------------------------------------


def config_dirs(targets: Sequence[Path], cwd: Path) -> list[Path]:
    """Where a project config is looked for, nearest first: each scanned directory, then its
    parents up to the repository root that holds it, or up to ``cwd`` when that comes first. A
    directory in no repository and outside ``cwd`` is searched alone, so scanning another tree
    from inside a project never applies the project's excludes to it. With no directory to scan
    (files named on the command line, a log stream, an image), ``cwd`` alone."""
    if not targets:
        return [cwd]
    here = cwd.resolve()
    out: list[Path] = []
    for target in targets:
        chain = [target.resolve(), *target.resolve().parents]
        ends = [i for i, d in enumerate(chain) if d == here or (d / ".git").exists()]
        for directory in chain[: ends[0] + 1] if ends else chain[:1]:
            if directory not in out:
                out.append(directory)
    return out


def find_config(start_dirs: Sequence[Path]) -> Path | None:
    """The first project config in ``start_dirs`` (no symlinks, FIFOs or devices)."""
    found, _ = discover_config(start_dirs)
    return found


def discover_config(start_dirs: Sequence[Path]) -> tuple[Path | None, list[str]]:
    """The first project config in ``start_dirs``, and notes about candidates passed over."""
    notes: list[str] = []
    for directory in start_dirs:
        for name in CONFIG_NAMES:
            candidate = directory / name
            if _candidate(candidate, notes):
                return candidate, notes
        pyproject = directory / "pyproject.toml"
        if _candidate(pyproject, notes) and _has_tool_section(pyproject, notes):
            return pyproject, notes
    return None, notes


def _candidate(path: Path, notes: list[str]) -> bool:
    """True for a regular file; a symlink or special file is skipped with a note."""
    try:
        st = path.lstat()
    except (OSError, ValueError):
        return False
    import stat

    if stat.S_ISREG(st.st_mode):
        return True
    if not stat.S_ISDIR(st.st_mode):
        from scanner.safeio import kind_of

        notes.append(f"{path}: {kind_of(st.st_mode)}; config not read")
    return False


def _has_tool_section(path: Path, notes: list[str]) -> bool:
    """Whether an in-tree ``pyproject.toml`` has ``[tool.keyguard]``; a broken one is not the
    user's to fix, so it is noted and passed over."""
    try:
        data = _parse_toml(path, trusted=False)
    except ConfigError as exc:
        notes.append(f"{exc}; ignored")
        return False
    return isinstance(data.get("tool"), dict) and "keyguard" in data["tool"]


def user_config_path(env: Mapping[str, str] | None = None) -> Path | None:
    """``$XDG_CONFIG_HOME/keyguard/config.toml`` (default ``~/.config``), if it exists."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or os.path.join(
        env.get("HOME") or os.path.expanduser("~"), ".config"
    )
    path = Path(base) / USER_CONFIG
    return path if path.is_file() else None


def layered_config(
    explicit: Path | None,
    search_dirs: Sequence[Path],
    env: Mapping[str, str] | None = None,
) -> Config:
    """The effective config: one trusted config (``--config``, else ``$KEYGUARD_CONFIG``, else
    the user's own file) plus, when no ``--config`` was given, the data keys of a project config
    discovered in ``search_dirs``."""
    env = os.environ if env is None else env
    trusted = Config()
    if explicit is not None:
        return load_config(explicit)
    named = env.get(CONFIG_ENV)
    if named:
        trusted = load_config(Path(named))
    else:
        user = user_config_path(env)
        if user is not None:
            trusted = load_config(user)
    found, notes = discover_config(search_dirs)
    project = load_config(found, trusted=False) if found is not None else Config()
    return merge(trusted, project, tuple(notes))


def merge(trusted: Config, project: Config, notes: tuple[str, ...] = ()) -> Config:
    """``project`` (data keys only) layered over ``trusted``."""
    return Config(
        source=trusted.source or project.source,
        rule_paths=trusted.rule_paths + project.rule_paths,
        disable=trusted.disable + project.disable,
        only=trusted.only + project.only,
        exclude=trusted.exclude + project.exclude,
        max_file_size=project.max_file_size or trusted.max_file_size,
        allow_values=trusted.allow_values + project.allow_values,
        allow_paths=trusted.allow_paths + project.allow_paths,
        rotation=trusted.rotation,
        sections=trusted.sections,
        allow_lists=trusted.allow_lists + project.allow_lists,
        notes=notes + trusted.notes + project.notes,
        in_tree=trusted.in_tree + project.in_tree,
        tree_rule_paths=project.rule_paths if project.in_tree else (),
        tree_disable=project.disable if project.in_tree else (),
        tree_only=project.only if project.in_tree else (),
    )


# --- loading ----------------------------------------------------------------------------------


def _parse_toml(path: Path, *, trusted: bool) -> dict[str, Any]:
    import tomllib  # only when there is a file to read (not on every start)

    name = str(path)
    try:
        if trusted:
            raw = read_user_file(path, CONFIG_FILE_LIMIT)
        else:
            raw = read_bounded(path, CONFIG_FILE_LIMIT)
        return tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{name}: config file not found") from None
    except UnsafeFileError as exc:
        raise ConfigError(f"{name}: cannot read config ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read config ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{name}: config is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{name}: invalid TOML: nested too deeply") from None
    except (ValueError, OverflowError, MemoryError) as exc:
        raise ConfigError(f"{name}: invalid TOML: {_one_line(exc)}") from None


def load_config(path: Path, *, trusted: bool = True) -> Config:
    """Load one config file. ``trusted=False`` (a config discovered in the scanned tree) keeps
    only ``DATA_KEYS`` and notes the rest."""
    data = _parse_toml(path, trusted=trusted)
    name = str(path)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        data = tool.get("keyguard", {}) if isinstance(tool, dict) else {}
        name += " [tool.keyguard]"
        if not isinstance(data, dict):
            raise ConfigError(f"{name}: must be a table")
    notes: tuple[str, ...] = ()
    if not trusted:
        data, notes = untrusted_view(data, name)
    config = parse_config(data, name, path.parent, in_tree=not trusted)
    if trusted:
        return config
    rule_paths, rule_notes = _contained(config.rule_paths, path.parent, name)
    from dataclasses import replace

    return replace(
        config, rule_paths=rule_paths, notes=notes + rule_notes, in_tree=(name,), rotation=()
    )


def untrusted_view(data: Mapping[str, Any], name: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``data`` without the keys a discovered config may not set, and the note saying so."""
    kept = {k: v for k, v in data.items() if k in DATA_KEYS}
    dropped = sorted(set(data) - DATA_KEYS)
    if not dropped:
        return kept, ()
    keys = ", ".join(dropped)
    return kept, (
        f"{name}: ignoring {keys}: a config found in the scanned tree may not run commands, open "
        "connections or pick where credentials go (use --config or ~/.config/keyguard/config.toml)",
    )


def _contained(
    paths: tuple[Path, ...], base: Path, name: str
) -> tuple[tuple[Path, ...], tuple[str, ...]]:
    """Rule paths of an in-tree config must stay inside the config's directory."""
    kept: list[Path] = []
    notes: list[str] = []
    try:
        root = base.resolve()
    except (OSError, RuntimeError):
        return (), (f"{name}: cannot resolve its directory; its `rules` are ignored",)
    for path in paths:
        try:
            inside = path.resolve().is_relative_to(root)
        except (OSError, RuntimeError):
            inside = False
        if inside:
            kept.append(path)
        else:
            notes.append(f"{name}: `rules` entry {str(path)!r} leaves the project; ignored")
    return tuple(kept), tuple(notes)


def parse_config(
    data: Mapping[str, Any], name: str, base: Path, *, in_tree: bool = False
) -> Config:
    _check_values(data, name)
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
    if max_size is not None and (
        not isinstance(max_size, int) or isinstance(max_size, bool) or max_size <= 0
    ):
        raise ConfigError(f"{name}: `max_file_size` must be a positive integer (bytes)")
    rotation = data.get("rotation", [])
    if not isinstance(rotation, list) or not all(isinstance(r, dict) for r in rotation):
        raise ConfigError(f"{name}: `rotation` must be an array of tables ([[rotation]])")
    values = _str_list(allow.get("values"), name, "allow.values")
    paths = _str_list(allow.get("paths"), name, "allow.paths")
    if values or paths:
        _check_patterns(name, values, paths)
    allow_lists = (
        (AllowList(name, tuple(values), tuple(paths), in_tree),) if values or paths else ()
    )
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
        allow_lists=allow_lists,
    )


def _check_values(data: Any, name: str, where: str = "", depth: int = 0) -> None:
    """Absurd values end as a ``ConfigError`` naming the key: nesting deeper than
    ``MAX_DEPTH``, integers beyond 64 bits, non-finite floats."""
    if depth > MAX_DEPTH:
        raise ConfigError(f"{name}: `{where or '(top)'}`: nested too deeply")
    if isinstance(data, dict):
        for key, value in data.items():
            _check_values(value, name, f"{where}.{key}" if where else str(key), depth + 1)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _check_values(value, name, f"{where}[{i}]", depth + 1)
    elif isinstance(data, bool):
        return
    elif isinstance(data, int) and not -MAX_INT <= data <= MAX_INT:
        raise ConfigError(f"{name}: `{where}`: integer out of range")
    elif isinstance(data, float) and not math.isfinite(data):
        raise ConfigError(f"{name}: `{where}`: must be a finite number")


def _check_patterns(name: str, values: list[str], paths: list[str]) -> None:
    import regex

    for key, patterns in (("allow.values", values), ("allow.paths", paths)):
        for pattern in patterns:
            try:
                regex.compile(pattern)
            except (regex.error, RecursionError, OverflowError, ValueError) as exc:
                raise ConfigError(
                    f"{name}: `{key}`: pattern {pattern!r} does not compile: {_one_line(exc)}"
                ) from None


def _str_list(value: Any, name: str, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{name}: `{key}` must be a list of strings")
    return list(value)


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
