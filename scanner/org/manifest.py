"""The organisation manifest: which repositories ``keyguard org`` scans.

Two forms, told apart by the ``.toml`` suffix:

- plain text: one repository per line (a local path, a bare mirror, or a clone URL); blank
  lines and lines starting with ``#`` are ignored;
- TOML: one ``[[repo]]`` table per repository with exactly one of ``path`` / ``url`` and the
  optional ``name``, ``branch`` (or ``ref``) and ``since``.

Relative paths are relative to the manifest's directory. Names default to the last path
component (``owner/name`` for URLs) without ``.git`` and must be unique. Every error names the
manifest, the entry (line or ``[[repo]]`` number) and the key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.errors import UserError

URL_SCHEMES = ("https", "http", "ssh", "git", "file")
_URL = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_SCP = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!//)")
_KEYS = frozenset({"path", "url", "name", "branch", "ref", "since"})
_NAME = re.compile(r"^[A-Za-z0-9._-][A-Za-z0-9._/-]*$")


class ManifestError(UserError):
    """The manifest is unreadable or invalid (the message names file, entry and key)."""


@dataclass(frozen=True, slots=True)
class RepoSpec:
    """One repository to scan: ``location`` is an absolute path or a clone URL."""

    name: str
    location: str
    is_url: bool = False
    ref: str | None = None
    since: str | None = None

    def revs(self) -> list[str]:
        """The revisions scanned: ``since..ref``, ``ref``, or every ref (``--all``)."""
        if self.since:
            return [f"{self.since}..{self.ref or 'HEAD'}"]
        if self.ref:
            return [self.ref]
        return ["--all"]


def load_manifest(path: Path) -> tuple[RepoSpec, ...]:
    """Every repository of the manifest at ``path``; ``ManifestError`` when it is invalid."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read manifest ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ManifestError(f"{path}: manifest is not UTF-8 text") from None
    parse = _parse_toml if path.suffix.lower() == ".toml" else _parse_lines
    specs = parse(text, path)
    if not specs:
        raise ManifestError(f"{path}: the manifest names no repository")
    return specs


def _parse_lines(text: str, path: Path) -> tuple[RepoSpec, ...]:
    specs: list[tuple[str, RepoSpec]] = []
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        where = f"{path}: line {number}"
        specs.append((where, _spec(entry, None, None, None, where, path.parent)))
    return _unique(specs)


def _parse_toml(text: str, path: Path) -> tuple[RepoSpec, ...]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: invalid TOML ({exc})") from None
    extra = sorted(set(data) - {"repo"})
    if extra:
        raise ManifestError(f"{path}: `{extra[0]}`: unknown key (expected [[repo]] tables)")
    tables = data.get("repo", [])
    if not isinstance(tables, list):
        raise ManifestError(f"{path}: `repo`: must be an array of tables ([[repo]])")
    specs: list[tuple[str, RepoSpec]] = []
    for number, table in enumerate(tables, 1):
        where = f"{path}: [[repo]] #{number}"
        if not isinstance(table, dict):
            raise ManifestError(f"{where}: must be a table")
        specs.append((where, _table_spec(table, where, path.parent)))
    return _unique(specs)


def _table_spec(table: dict[str, Any], where: str, base: Path) -> RepoSpec:
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ManifestError(f"{where}: `{unknown[0]}`: unknown key ({', '.join(sorted(_KEYS))})")
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise ManifestError(f"{where}: `{key}`: must be a non-empty string")
    if ("path" in table) == ("url" in table):
        raise ManifestError(f"{where}: `path`/`url`: exactly one of them is required")
    if "branch" in table and "ref" in table:
        raise ManifestError(f"{where}: `ref`: give `branch` or `ref`, not both")
    if "url" in table and not _is_url(table["url"]):
        raise ManifestError(f"{where}: `url`: not a clone URL ({', '.join(URL_SCHEMES)})")
    location = table.get("url") or table["path"]
    ref = table.get("branch") or table.get("ref")
    return _spec(location.strip(), table.get("name"), ref, table.get("since"), where, base)


def _spec(
    location: str,
    name: str | None,
    ref: str | None,
    since: str | None,
    where: str,
    base: Path,
) -> RepoSpec:
    is_url = _is_url(location)
    if is_url:
        scheme = location.split(":", 1)[0].lower() if _URL.match(location) else "ssh"
        if scheme not in URL_SCHEMES:
            raise ManifestError(
                f"{where}: `url`: scheme {scheme!r} is not allowed ({', '.join(URL_SCHEMES)})"
            )
    else:
        location = str((base / Path(location).expanduser()).resolve())
    for key, value in (("branch", ref), ("since", since)):
        if value is not None and (value.startswith("-") or any(c.isspace() for c in value)):
            raise ManifestError(f"{where}: `{key}`: not a revision: {value!r}")
    chosen = name.strip() if name else default_name(location, is_url)
    if not _NAME.match(chosen) or ".." in chosen.split("/"):
        raise ManifestError(f"{where}: `name`: not a usable repository name: {chosen!r}")
    return RepoSpec(name=chosen, location=location, is_url=is_url, ref=ref, since=since)


def _is_url(location: str) -> bool:
    return bool(_URL.match(location) or _SCP.match(location))


def default_name(location: str, is_url: bool) -> str:
    """``owner/name`` of a URL, the last component of a path; without ``.git``."""
    text = location.rstrip("/")
    if is_url:
        if _URL.match(text):
            text = _URL.sub("", text).partition("/")[2]  # drop scheme://host
        else:
            text = re.sub(r"^[^/]*@[^:/]+:", "", text)  # user@host:owner/name
        tail = [p for p in text.split("/") if p][-2:]
    else:
        tail = [Path(text).name]
    name = "/".join(tail).removesuffix(".git") or "repo"
    return re.sub(r"[^A-Za-z0-9._/-]", "_", name).lstrip("./") or "repo"


def _unique(specs: list[tuple[str, RepoSpec]]) -> tuple[RepoSpec, ...]:
    seen: dict[str, str] = {}
    for where, spec in specs:
        if spec.name in seen:
            raise ManifestError(
                f"{where}: `name`: repository name {spec.name!r} is already used "
                f"({seen[spec.name].split(': ', 1)[-1]}); name it in a TOML manifest"
            )
        seen[spec.name] = where
    return tuple(spec for _, spec in specs)
