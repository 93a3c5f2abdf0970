"""Hyperscan databases outside a scan: one expression compiled alone (does Hyperscan take it,
and in which form), databases serialised in the order of their rule ids and loaded back with
their scratch, rule-id lists, and the cache entries that hold them (``scanner.cache``).

``hs`` is the ``hyperscan`` module, passed in: importing this module does not need it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scanner.cache import Cache


def compiled(hs: Any, expr: bytes, flags: int, pattern_id: int = 0) -> Any | None:
    """A database of ``expr`` alone with ``flags``; None when Hyperscan does not take it."""
    try:
        db = hs.Database(mode=hs.HS_MODE_BLOCK)
        db.compile(expressions=[expr], ids=[pattern_id], flags=[flags])
    except Exception:  # hyperscan.error: pattern unsupported in this form
        return None
    return db


def compiles_with(hs: Any, expr: bytes, flags: int) -> bool:
    """``expr`` compiles alone in Hyperscan with ``flags``."""
    return compiled(hs, expr, flags) is not None


def dump_each(hs: Any, dbs: dict[int, Any]) -> tuple[bytes, ...]:
    """The serialised databases, in the order of their rule ids."""
    return tuple(hs.dumpb(dbs[rule_id]) for rule_id in sorted(dbs))


def load_each(hs: Any, ids: list[int], blobs: tuple[bytes, ...]) -> dict[int, Any]:
    """The databases ``dump_each`` serialised for rule ids ``ids``, loaded, each with its
    scratch."""
    loc: dict[int, Any] = {}
    for rule_id, blob in zip(ids, blobs, strict=True):
        db = hs.loadb(blob, hs.HS_MODE_BLOCK)
        db.scratch = hs.Scratch(db)
        loc[rule_id] = db
    return loc


def id_list(ids: Iterable[int]) -> bytes:
    return ",".join(map(str, sorted(ids))).encode()


def parse_id_list(blob: bytes) -> frozenset[int]:
    return frozenset(int(i) for i in blob.decode().split(",") if i)


DATABASE_PART = (0,)
"""Each entry's first part is a serialised Hyperscan database: ``hyperscan.loadb`` rejects it
unless its own CRC-32C matches, so the cache's CRC leaves it out (``scanner.cache``)."""


def cache_load(cache_dir: Path | None, kind: str, key: str, parts: int) -> tuple[bytes, ...] | None:
    if cache_dir is None:
        return None
    return Cache(cache_dir).load_bytes(kind, key, parts, DATABASE_PART)


def cache_store(cache_dir: Path | None, kind: str, key: str, blobs: tuple[bytes, ...]) -> None:
    if cache_dir is not None:
        Cache(cache_dir).store_parts(kind, key, blobs, DATABASE_PART)
