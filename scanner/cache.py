"""The one on-disk cache: parsed rule specs, Hyperscan databases, decoder triggers.

Everything in the cache directory is treated as untrusted input, because it is user-writable and
a planted file must never run code:

- **No code-executing format.** An entry is a JSON header line followed by raw payload bytes
  (JSON text for structured values, the serialised Hyperscan database as bytes). Nothing is ever
  unpickled.
- **Validated on load.** The header must name this format, ``FORMAT_VERSION``, the running
  keyguard version, the entry's kind and key, and the payload's length and CRC-32. Anything
  else (truncated, corrupt, other version) is ignored and the entry rebuilt. The checksum
  guards against damage, not against a forger: a digest in a header written by whoever wrote
  the payload authenticates nothing (the ownership check below keeps other users out), so a
  CRC-32 (about 3x cheaper than SHA-256) does the same job. A part whose reader checks it
  itself is left out of the CRC (its size still counts), when the caller says so on both
  store and load (``reader_checked``): a Hyperscan database, which
  ``hs_deserialize_database`` rejects unless its own CRC-32C matches, so the 26 MB database
  read on every start is not checksummed twice.
- **Keyed** by a digest of what it was built from (rule-set digest or rule-file contents) and
  the keyguard version.
- **Atomic writes** (a private temporary file, then ``os.replace``) and **private permissions**:
  the directory is created ``0700``, files ``0600``. A directory or file owned by someone else,
  or writable by group or others, is not used at all.

A cache is an optimisation: every failure here is silent and the caller rebuilds.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.__about__ import __version__
from scanner.safeio import open_regular

CACHE_ENV = "KEYGUARD_CACHE_DIR"
FORMAT = "keyguard-cache"
FORMAT_VERSION = 3  # 2: CRC-32 instead of SHA-256; 3: parts their reader checks left out
MAX_ENTRY = 512 << 20
MAX_HEADER = 4096
_NAME = re.compile(r"^[a-z0-9-]{1,32}$")
_KEY = re.compile(r"^[0-9a-f]{16,64}$")


def default_cache_dir() -> Path:
    """``$KEYGUARD_CACHE_DIR``, else ``$XDG_CACHE_HOME/keyguard`` (default ``~/.cache``)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "keyguard"


def cache_key(*parts: str) -> str:
    """A key for ``parts`` (always including the keyguard version)."""
    digest = hashlib.sha256(f"{FORMAT}\0{FORMAT_VERSION}\0{__version__}".encode())
    for part in parts:
        digest.update(b"\0" + part.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


def _private(st: os.stat_result) -> bool:
    """Owned by us and not writable by group or others."""
    getuid = getattr(os, "getuid", None)
    if getuid is not None and st.st_uid != getuid():
        return False
    return not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


@dataclass(frozen=True, slots=True)
class Cache:
    """Entries ``<kind>-<key>.kgc`` in ``directory``."""

    directory: Path

    def _path(self, kind: str, key: str) -> Path | None:
        if not _NAME.match(kind) or not _KEY.match(key):
            return None
        return self.directory / f"{kind}-{key}.kgc"

    def _usable_dir(self, create: bool) -> bool:
        try:
            if create:
                self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            st = os.stat(self.directory, follow_symlinks=False)
        except OSError:
            return False
        return stat.S_ISDIR(st.st_mode) and _private(st)

    # --- raw parts ---------------------------------------------------------------------------

    def load_parts(
        self, kind: str, key: str, reader_checked: Collection[int] = ()
    ) -> tuple[bytes, ...] | None:
        """The payload parts stored under (kind, key), or None when absent or not valid.
        ``reader_checked``: the indices of parts the caller validates itself (as it stored
        them); the CRC covers the others."""
        path = self._path(kind, key)
        if path is None or not self._usable_dir(create=False):
            return None
        try:
            with open_regular(path) as fh:
                st = os.fstat(fh.fileno())
                if not _private(st) or st.st_size > MAX_ENTRY + MAX_HEADER:
                    return None
                header = _header(fh.readline(MAX_HEADER), kind, key, reader_checked)
                if header is None:
                    return None
                sizes, crc = header
                if sum(sizes) + fh.tell() != st.st_size:
                    return None
                # each part read on its own: no copy of a 17 MB payload to slice it
                parts = tuple(fh.read(n) for n in sizes)
        except OSError:
            return None
        if [len(p) for p in parts] != sizes or _crc(parts, reader_checked) != crc:
            return None
        return parts

    def store_parts(
        self, kind: str, key: str, parts: Sequence[bytes], reader_checked: Collection[int] = ()
    ) -> None:
        path = self._path(kind, key)
        if path is None or not self._usable_dir(create=True):
            return
        payload = b"".join(parts)
        if len(payload) > MAX_ENTRY:
            return
        header = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "tool": __version__,
            "kind": kind,
            "key": key,
            "parts": [len(p) for p in parts],
            "reader_checked": sorted(reader_checked),
            "crc32": _crc(parts, reader_checked),
        }
        line = json.dumps(header, sort_keys=True).encode("ascii") + b"\n"
        import tempfile  # only to write: a start that finds its entries never loads it

        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{kind}-", suffix=".tmp", dir=self.directory)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as out:  # mkstemp: O_EXCL, mode 0600
                out.write(line)
                out.write(payload)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    # --- typed helpers -----------------------------------------------------------------------

    def load_bytes(
        self, kind: str, key: str, count: int, reader_checked: Collection[int] = ()
    ) -> tuple[bytes, ...] | None:
        parts = self.load_parts(kind, key, reader_checked)
        return parts if parts is not None and len(parts) == count else None

    def load_json(self, kind: str, key: str) -> Any | None:
        parts = self.load_parts(kind, key)
        if parts is None or len(parts) != 1:
            return None
        try:
            return json.loads(parts[0].decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None

    def store_json(self, kind: str, key: str, value: Any) -> None:
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError):
            return
        self.store_parts(kind, key, [text.encode("utf-8", "surrogatepass")])


def _header(
    line: bytes, kind: str, key: str, reader_checked: Collection[int]
) -> tuple[list[int], int] | None:
    """The part sizes and CRC-32 from an entry's header line, or None when it is not valid
    (also when it leaves other parts than ``reader_checked`` out of the CRC)."""
    try:
        header = json.loads(line.decode("ascii"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(header, dict):
        return None
    expected = {"format": FORMAT, "version": FORMAT_VERSION, "tool": __version__}
    if any(header.get(k) != v for k, v in expected.items()):
        return None
    if header.get("kind") != kind or header.get("key") != key:
        return None
    if header.get("reader_checked") != sorted(reader_checked):
        return None
    sizes, crc = header.get("parts"), header.get("crc32")
    if not isinstance(sizes, list) or not all(_count(n) for n in sizes) or not _count(crc):
        return None
    if sum(sizes) > MAX_ENTRY or not isinstance(crc, int):
        return None
    return [int(n) for n in sizes], crc


def _crc(parts: Sequence[bytes], reader_checked: Collection[int] = ()) -> int:
    """CRC-32 of the parts and their sizes (a moved boundary between parts changes it too),
    but for the content of the parts ``reader_checked`` names."""
    check = zlib.crc32(",".join(str(len(p)) for p in parts).encode("ascii"))
    for i, part in enumerate(parts):
        if i not in reader_checked:
            check = zlib.crc32(part, check)
    return check


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def open_cache(directory: Path | None) -> Cache | None:
    return Cache(directory) if directory is not None else None
