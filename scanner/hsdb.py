"""Hyperscan databases for the prefilter: compiled (with a fallback for patterns Hyperscan does
not take as they are), serialised into the cache and loaded back, and match offsets turned
from bytes into characters. The ``hyperscan`` module is passed in (``hs``): importing this
module does not import it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from scanner.cache import Cache
from scanner.hsform import hs_literal

DATABASE_PART = (0,)
"""Each entry's first part is a serialised Hyperscan database: ``hyperscan.loadb`` rejects it
unless its own CRC-32C matches, so the cache's CRC leaves it out (``scanner.cache``)."""


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


LARGE_PATTERN = 1_500
"""Bytes of Hyperscan form from which a pattern may be too large to compile: such patterns are
tried alone first (a few tenths of a second each). Every pattern Hyperscan has refused so far
was over 2,500 bytes; a smaller one that fails is still found, by trying each pattern alone."""


def compile_rules(
    hs: Any,
    patterns: Sequence[tuple[int, bytes, Sequence[str]]],
    extra: Sequence[tuple[int, bytes]] = (),
) -> tuple[Any | None, frozenset[int]]:
    """One database of rule ``patterns`` (id, Hyperscan form, keywords) and ``extra`` caseless
    literals (id, literal), each reported once per scan; None when there is nothing to compile.
    Also the ids of the rules held in another form than their own: Hyperscan's approximation
    (a superset of the matches), or their keywords when even that does not compile.

    When the whole set does not compile, trying each of a rule pack's patterns alone costs
    twice as much again, so the large patterns, the ones Hyperscan refuses as too large, are
    tried alone first; the rest are tried alone only when the set still does not compile.
    ``keyguard rules check`` warns of each pattern that does not compile alone."""
    if not patterns and not extra:
        return None, frozenset()
    own = [_own_form(hs, p) for p in patterns]
    try:
        return _compiled_set(hs, own, extra), frozenset()
    except Exception:  # hyperscan.error: some pattern is unsupported; find which
        pass
    large = [p for p in patterns if len(p[1]) >= LARGE_PATTERN]
    held, approximated = _held_forms(hs, large)
    small = [_own_form(hs, p) for p in patterns if len(p[1]) < LARGE_PATTERN]
    try:
        return _compiled_set(hs, small + held, extra), approximated
    except Exception:  # hyperscan.error: a smaller pattern is unsupported too
        held, approximated = _held_forms(hs, patterns)
    return _compiled_set(hs, held, extra), approximated


_Form = tuple[bytes, int, int]  # (expression, id, flags)


def _own_form(hs: Any, pattern: tuple[int, bytes, Sequence[str]]) -> _Form:
    return pattern[1], pattern[0], hs.HS_FLAG_SINGLEMATCH | hs.HS_FLAG_ALLOWEMPTY


def _held_forms(
    hs: Any, patterns: Sequence[tuple[int, bytes, Sequence[str]]]
) -> tuple[list[_Form], frozenset[int]]:
    """Each pattern in the form Hyperscan takes alone, and the ids held in another form than
    their own: too large or unsupported as it is, Hyperscan's own approximation (a superset of
    the matches) still beats running the rule wherever its keyword appears."""
    single = hs.HS_FLAG_SINGLEMATCH | hs.HS_FLAG_ALLOWEMPTY
    caseless = hs.HS_FLAG_SINGLEMATCH | hs.HS_FLAG_CASELESS
    forms: list[_Form] = []
    approximated: set[int] = set()
    for index, expr, keywords in patterns:
        for flag in (single, single | hs.HS_FLAG_PREFILTER):
            if compiles_with(hs, expr, flag):
                forms.append((expr, index, flag))
                if flag != single:
                    approximated.add(index)
                break
        else:
            approximated.add(index)
            forms += [(hs_literal(kw), index, caseless) for kw in keywords]
    return forms, frozenset(approximated)


def _compiled_set(hs: Any, forms: Sequence[_Form], extra: Sequence[tuple[int, bytes]]) -> Any:
    caseless = hs.HS_FLAG_SINGLEMATCH | hs.HS_FLAG_CASELESS
    every = [*forms, *((literal, index, caseless) for index, literal in extra)]
    db = hs.Database(mode=hs.HS_MODE_BLOCK)
    db.compile(
        expressions=[f[0] for f in every], ids=[f[1] for f in every], flags=[f[2] for f in every]
    )
    return db


def literals(hs: Any, texts: Sequence[str], first: int = 0, once: bool = False) -> Any | None:
    """A database of caseless literals ``texts`` (id: ``first`` + the index) that reports every
    match, or only the first of each literal (``once``); None when there are none."""
    if not texts:
        return None
    flags = hs.HS_FLAG_CASELESS | (hs.HS_FLAG_SINGLEMATCH if once else 0)
    db = hs.Database(mode=hs.HS_MODE_BLOCK)
    db.compile(
        expressions=[hs_literal(t) for t in texts],
        ids=list(range(first, first + len(texts))),
        flags=[flags] * len(texts),
    )
    return db


def dump(hs: Any, db: Any | None) -> bytes:
    """``db`` serialised; empty for no database."""
    return b"" if db is None else bytes(hs.dumpb(db))


def load(hs: Any, blob: bytes) -> Any | None:
    """A database from ``dump`` with its scratch space (None for an empty blob). Raises
    ``hs.error`` for a damaged one (Hyperscan checks its own CRC-32C)."""
    if not blob:
        return None
    db = hs.loadb(blob, hs.HS_MODE_BLOCK)
    db.scratch = hs.Scratch(db)
    return db


def dump_each(hs: Any, dbs: dict[int, Any]) -> tuple[bytes, ...]:
    """The serialised databases, in the order of their rule ids."""
    return tuple(hs.dumpb(dbs[rule_id]) for rule_id in sorted(dbs))


def load_each(hs: Any, ids: list[int], blobs: tuple[bytes, ...]) -> dict[int, Any]:
    """The located rules' start-of-match databases, loaded, each with its scratch."""
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


def cache_load(
    cache_dir: Path | None,
    kind: str,
    key: str,
    parts: int,
    reader_checked: Sequence[int] = DATABASE_PART,
) -> tuple[bytes, ...] | None:
    if cache_dir is None:
        return None
    return Cache(cache_dir).load_bytes(kind, key, parts, reader_checked)


def cache_store(
    cache_dir: Path | None,
    kind: str,
    key: str,
    blobs: tuple[bytes, ...],
    reader_checked: Sequence[int] = DATABASE_PART,
) -> None:
    if cache_dir is not None:
        Cache(cache_dir).store_parts(kind, key, blobs, reader_checked)


_CONTINUATION = bytes(range(0x80, 0xC0))


def to_char_offsets(
    data: bytes, regions: dict[int, list[tuple[int, int]]]
) -> dict[int, list[tuple[int, int]]]:
    """Byte offsets in UTF-8 ``data`` → character offsets, in one pass over the data."""
    offsets = sorted({o for spans in regions.values() for span in spans for o in span})
    mapping: dict[int, int] = {}
    byte_pos = char_pos = 0
    for off in offsets:
        # one character per byte that is not a UTF-8 continuation byte (surrogates included)
        char_pos += len(data[byte_pos:off].translate(None, _CONTINUATION))
        byte_pos = off
        mapping[off] = char_pos
    return {rid: [(mapping[a], mapping[b]) for a, b in spans] for rid, spans in regions.items()}
