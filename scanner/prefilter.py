"""Prefilters: one multi-pattern pass over a chunk that names the rules worth confirming.

Both engines return a *superset* of the rules whose pattern matches the chunk, so the confirm
stage (``matcher.py``) yields identical findings whichever engine ran:

- ``HyperscanPrefilter`` (primary, where the ``hyperscan`` wheel installs): every rule's pattern
  in one database (literal keywords for a rule whose pattern Hyperscan cannot take), scanned
  over the ASCII bytes of the chunk; for a chunk that is not ASCII, a second database of the
  keywords alone (case-insensitive), because the full patterns there would count bytes, not
  characters.
- ``AhoCorasickPrefilter`` (portable): the rules' keywords in one automaton over the lowercased
  chunk. Every match of a rule contains one of its keywords (the confirm stage enforces it).

Extra literal "triggers" (ids after the rules) tell the decoder stage when to look for encoded
text.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from scanner.rulebook.compile import Ruleset

CACHE_ENV = "KEYGUARD_CACHE_DIR"


class Prefilter(Protocol):
    name: str

    def candidates(self, text: str) -> frozenset[int]:
        """Indices of rules (0..len(ruleset)-1) and triggers (len(ruleset)+i) to consider."""
        ...


def _keyword_table(ruleset: Ruleset, triggers: Sequence[str]) -> dict[str, list[int]]:
    table: dict[str, list[int]] = {}
    for rule in ruleset:
        for kw in rule.spec.keywords:
            table.setdefault(kw, []).append(rule.index)
    for i, trig in enumerate(triggers):
        table.setdefault(trig.lower(), []).append(len(ruleset) + i)
    return table


class AhoCorasickPrefilter:
    name = "aho-corasick"

    def __init__(self, ruleset: Ruleset, triggers: Sequence[str] = ()) -> None:
        import ahocorasick

        self._automaton = ahocorasick.Automaton()
        for kw, ids in _keyword_table(ruleset, triggers).items():
            self._automaton.add_word(kw, tuple(ids))
        self._automaton.make_automaton()

    def candidates(self, text: str) -> frozenset[int]:
        found: set[int] = set()
        for _, ids in self._automaton.iter(text.lower()):
            found.update(ids)
        return frozenset(found)


def _hs_literal(text: str) -> bytes:
    return "".join(c if c.isalnum() else f"\\x{ord(c):02x}" for c in text).encode("ascii")


class HyperscanPrefilter:
    name = "hyperscan"

    def __init__(
        self,
        ruleset: Ruleset,
        triggers: Sequence[str] = (),
        cache_dir: Path | None = None,
    ) -> None:
        import hyperscan

        self._hs = hyperscan
        self._n = len(ruleset)
        self._triggers = tuple(triggers)
        key = hashlib.sha256(
            (ruleset.digest + "\0" + "\0".join(triggers) + "\0hs-v2").encode()
        ).hexdigest()[:24]
        blobs = _cache_load(cache_dir, key)
        if blobs is None:
            full, kw = self._compile(ruleset)
            blobs = (hyperscan.dumpb(full), hyperscan.dumpb(kw))
            _cache_store(cache_dir, key, blobs)
        self._blobs = blobs
        self._load()

    def _load(self) -> None:
        hs = self._hs
        self._full = hs.loadb(self._blobs[0], hs.HS_MODE_BLOCK)
        self._full.scratch = hs.Scratch(self._full)
        self._kw = hs.loadb(self._blobs[1], hs.HS_MODE_BLOCK)
        self._kw.scratch = hs.Scratch(self._kw)

    def __getstate__(self) -> dict[str, Any]:
        return {"blobs": self._blobs, "n": self._n, "triggers": self._triggers}

    def __setstate__(self, state: dict[str, Any]) -> None:
        import hyperscan

        self._hs = hyperscan
        self._blobs, self._n, self._triggers = state["blobs"], state["n"], state["triggers"]
        self._load()

    def _compile(self, ruleset: Ruleset) -> tuple[Any, Any]:
        hs = self._hs
        single = hs.HS_FLAG_SINGLEMATCH | hs.HS_FLAG_ALLOWEMPTY
        caseless = hs.HS_FLAG_SINGLEMATCH | hs.HS_FLAG_CASELESS
        full_exprs: list[bytes] = []
        full_ids: list[int] = []
        full_flags: list[int] = []
        for rule in ruleset:
            expr = rule.spec.pattern.encode("utf-8")
            for flags in (single, single | hs.HS_FLAG_PREFILTER):
                if _compiles(hs, expr, flags):
                    full_exprs.append(expr)
                    full_ids.append(rule.index)
                    full_flags.append(flags)
                    break
            else:
                for kw in rule.spec.keywords:
                    full_exprs.append(_hs_literal(kw))
                    full_ids.append(rule.index)
                    full_flags.append(caseless)
        kw_exprs: list[bytes] = []
        kw_ids: list[int] = []
        for kw, ids in _keyword_table(ruleset, ()).items():
            for rid in ids:
                kw_exprs.append(_hs_literal(kw))
                kw_ids.append(rid)
        for i, trig in enumerate(self._triggers):
            for exprs, idlist in ((full_exprs, full_ids), (kw_exprs, kw_ids)):
                exprs.append(_hs_literal(trig))
                idlist.append(self._n + i)
            full_flags.append(caseless)
        full = hs.Database(mode=hs.HS_MODE_BLOCK)
        full.compile(expressions=full_exprs, ids=full_ids, flags=full_flags)
        kw_db = hs.Database(mode=hs.HS_MODE_BLOCK)
        kw_db.compile(expressions=kw_exprs, ids=kw_ids, flags=[caseless] * len(kw_exprs))
        return full, kw_db

    def candidates(self, text: str) -> frozenset[int]:
        found: set[int] = set()

        def on_match(rule_id: int, start: int, end: int, flags: int, ctx: object) -> None:
            found.add(rule_id)

        if text.isascii():
            self._full.scan(text.encode("ascii"), match_event_handler=on_match)
        else:
            self._kw.scan(text.encode("utf-8", "surrogatepass"), match_event_handler=on_match)
        return frozenset(found)


def _compiles(hs: Any, expr: bytes, flags: int) -> bool:
    try:
        db = hs.Database(mode=hs.HS_MODE_BLOCK)
        db.compile(expressions=[expr], ids=[0], flags=[flags])
    except Exception:  # hyperscan.error: pattern unsupported in this form
        return False
    return True


def default_cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "keyguard"


def _cache_load(cache_dir: Path | None, key: str) -> tuple[bytes, bytes] | None:
    if cache_dir is None:
        return None
    try:
        full = (cache_dir / f"hs-{key}.full").read_bytes()
        kw = (cache_dir / f"hs-{key}.kw").read_bytes()
    except OSError:
        return None
    return full, kw


def _cache_store(cache_dir: Path | None, key: str, blobs: tuple[bytes, bytes]) -> None:
    if cache_dir is None:
        return
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for suffix, data in zip(("full", "kw"), blobs, strict=True):
            tmp = cache_dir / f"hs-{key}.{suffix}.{os.getpid()}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, cache_dir / f"hs-{key}.{suffix}")
    except OSError:
        pass  # a cache is an optimisation; an unwritable cache directory is not an error


def hyperscan_available() -> bool:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


def build_prefilter(
    ruleset: Ruleset,
    engine: str = "auto",
    triggers: Sequence[str] = (),
    cache_dir: Path | None = None,
) -> Prefilter:
    """``engine``: ``auto`` (Hyperscan when installed), ``hyperscan`` or ``aho-corasick``."""
    if engine == "hyperscan" or (engine == "auto" and hyperscan_available()):
        return HyperscanPrefilter(ruleset, triggers, cache_dir)
    return AhoCorasickPrefilter(ruleset, triggers)
