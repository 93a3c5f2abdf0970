"""Prefilters: one multi-pattern pass over a chunk that names the rules worth confirming.

Both engines return a *superset* of the rules whose pattern matches the chunk, so the confirm
stage (``matcher.py``) yields identical findings whichever engine ran:

- ``HyperscanPrefilter`` (primary, where the ``hyperscan`` wheel installs): every rule's pattern,
  loosened (``loosen``), in one database (literal keywords for a rule whose pattern Hyperscan
  cannot take), scanned over the UTF-8 bytes of the chunk. Character classes in rules are ASCII,
  so a run of them is as long in bytes as in characters; large repeat bounds are opened up.
  Start-of-match databases, one per rule, *locate* possible matches of rules with weak keywords
  (only the rules a chunk names are located: one database per rule costs a log line a third of
  what one database for all of them costs).
- ``AhoCorasickPrefilter`` (portable): the rules' keywords in one automaton over the lowercased
  chunk. Every match of a rule contains one of its keywords (the confirm stage enforces it).

Extra literal "triggers" (ids after the rules) tell the decoder stage when to look for encoded
text.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from scanner.cache import CACHE_ENV as CACHE_ENV  # re-exported: the cache is scanner.cache
from scanner.cache import Cache, cache_key
from scanner.cache import default_cache_dir as default_cache_dir
from scanner.hsform import hs_literal, hyperscan_form, loosen
from scanner.rulebook.compile import Ruleset

# Decoder trigger literals, or a function that derives them (called only when needed).
Triggers = Sequence[str] | Callable[[], Sequence[str]]


class Prefilter(Protocol):
    name: str

    def candidates(self, text: str) -> frozenset[int]:
        """Indices of rules (0..len(ruleset)-1) and triggers (len(ruleset)+i) to consider."""
        ...

    def locate(
        self, text: str, rules: Collection[int] | None = None
    ) -> dict[int, list[tuple[int, int]]] | None:
        """For the rules in ``located`` (those of them in ``rules``, when given): regions where
        a match may lie (they may overlap); None when unknown."""
        ...

    @property
    def located(self) -> frozenset[int]: ...

    def trigger_texts(self, indices: Sequence[int]) -> list[str] | None:
        """The trigger literals with these indices (0-based, after the rules); None if unknown."""
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

        table = _keyword_table(ruleset, triggers)
        self._automaton = ahocorasick.Automaton()
        for kw, ids in table.items():
            self._automaton.add_word(kw, tuple(ids))
        self._empty = not table  # only path-scoped rules without keywords: nothing to find
        if not self._empty:
            self._automaton.make_automaton()
        self._triggers = tuple(triggers)

    def candidates(self, text: str) -> frozenset[int]:
        found: set[int] = set()
        if self._empty:
            return frozenset(found)
        for _, ids in self._automaton.iter(text.lower()):
            found.update(ids)
        return frozenset(found)

    def locate(
        self, text: str, rules: Collection[int] | None = None
    ) -> dict[int, list[tuple[int, int]]] | None:
        return None

    @property
    def located(self) -> frozenset[int]:
        return frozenset()

    def trigger_texts(self, indices: Sequence[int]) -> list[str] | None:
        return [self._triggers[i] for i in indices]


LOCATE_LIMIT = 200_000


class HyperscanPrefilter:
    name = "hyperscan"

    def __init__(
        self,
        ruleset: Ruleset,
        triggers: Triggers = (),
        cache_dir: Path | None = None,
    ) -> None:
        import hyperscan

        self._hs = hyperscan
        self._n = len(ruleset)
        self._triggers: tuple[str, ...] = ()
        self._trigger_source: Triggers | None = triggers
        self._encoded: tuple[str, bytes] = ("", b"")  # the last text scanned, as UTF-8
        version = getattr(hyperscan, "__version__", "")
        # Triggers derived from the rule set (a callable) are keyed by the rule set alone and
        # computed only to compile: a start with a cached database never needs them.
        named = "derived" if callable(triggers) else "\0".join(triggers)
        key = cache_key(ruleset.digest, named, "hs-v11", version)
        # The locator databases are read (or built) on the first ``locate``: a scan whose
        # chunks never name a located rule (most staged checks) does not load them.
        self._ruleset: Ruleset | None = ruleset
        self._cache_dir, self._key = cache_dir, key
        self._loc: dict[int, Any] | None = None
        self._loc_blobs: tuple[bytes, ...] | None = None
        cached = _cache_load(cache_dir, _CACHE_KIND, key, _CACHE_PARTS)
        if cached is not None:
            try:
                self._blobs = cached
                self._load()
                return
            except (ValueError, hyperscan.error):
                # damaged (Hyperscan checks the database's own CRC-32C), or an entry that
                # passed its checksum but does not load: compile
                cached = None
        if cached is None:
            self._triggers = tuple(triggers() if callable(triggers) else triggers)
            full, approximated = self._compile(ruleset)
            loc = self._compile_locator(ruleset)
            cached = (hyperscan.dumpb(full), _id_list(loc), _id_list(approximated))
            self._loc_blobs = _dump_each(hyperscan, loc)
            _cache_store(cache_dir, _CACHE_KIND, key, cached)
            _cache_store(cache_dir, _LOCATOR_KIND, key, self._loc_blobs)
        self._blobs = cached
        self._load()

    def _load(self) -> None:
        hs = self._hs
        self._full = hs.loadb(self._blobs[0], hs.HS_MODE_BLOCK)
        self._full.scratch = hs.Scratch(self._full)
        self._located = _parse_id_list(self._blobs[1])
        self._approximated = _parse_id_list(self._blobs[2])

    def _locators(self) -> dict[int, Any]:
        """The start-of-match database of each located rule, loaded (from the cache, else
        compiled) on first use."""
        if self._loc is None:
            hs = self._hs
            ids = sorted(self._located)
            if self._loc_blobs is None:
                cached = _cache_load(self._cache_dir, _LOCATOR_KIND, self._key, len(ids))
                if cached is None:
                    assert self._ruleset is not None
                    cached = _dump_each(hs, self._compile_locator(self._ruleset))
                    _cache_store(self._cache_dir, _LOCATOR_KIND, self._key, cached)
                self._loc_blobs = cached
            try:  # Hyperscan checks each database's own CRC-32C (``_cache_load``)
                loc = _load_each(hs, ids, self._loc_blobs)
            except hs.error:  # damaged: compile
                assert self._ruleset is not None
                self._loc_blobs = _dump_each(hs, self._compile_locator(self._ruleset))
                _cache_store(self._cache_dir, _LOCATOR_KIND, self._key, self._loc_blobs)
                loc = _load_each(hs, ids, self._loc_blobs)
            self._loc = loc
            self._ruleset = None
        return self._loc

    def __getstate__(self) -> dict[str, Any]:
        if self._located:
            self._locators()
        return {
            "blobs": self._blobs,
            "loc": self._loc_blobs,
            "n": self._n,
            "triggers": self._all_triggers(),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        import hyperscan

        self._hs = hyperscan
        self._blobs, self._n, self._triggers = state["blobs"], state["n"], ()
        self._loc_blobs, self._loc, self._ruleset = state["loc"], None, None
        self._trigger_source, self._encoded = state.get("triggers"), ("", b"")
        self._cache_dir, self._key = None, ""
        self._load()

    @property
    def located(self) -> frozenset[int]:
        return self._located

    @property
    def approximated(self) -> frozenset[int]:
        """Rules the database holds in another form than their own pattern (Hyperscan's
        approximation, or their keywords): their pattern does not compile as it is."""
        return self._approximated

    def trigger_texts(self, indices: Sequence[int]) -> list[str] | None:
        triggers = self._all_triggers()
        return None if triggers is None else [triggers[i] for i in indices]

    def _all_triggers(self) -> tuple[str, ...] | None:
        """The trigger literals, derived on first use (a start from the cache has none)."""
        if not self._triggers:
            source = self._trigger_source
            if source is None:
                return None
            self._triggers = tuple(source() if callable(source) else source)
        return self._triggers

    def _utf8(self, text: str) -> bytes:
        """``text`` as UTF-8, encoded once for ``candidates`` and ``locate`` on the same text."""
        last, data = self._encoded
        if last is not text:
            data = text.encode("utf-8", "surrogatepass")
            self._encoded = (text, data)
        return data

    def _compile_locator(self, ruleset: Ruleset) -> dict[int, Any]:
        """A start-of-match database for each keyword-anchored rule (the generic assignments),
        whose keywords (``key``, ``token``) alone would locate matches poorly, and whose
        loosened pattern Hyperscan takes."""
        hs = self._hs
        flags = hs.HS_FLAG_SOM_LEFTMOST
        dbs: dict[int, Any] = {}
        for rule in ruleset:
            if rule.spec.anchor_keyword:
                db = compiled(hs, loosen(rule.spec.pattern).encode("utf-8"), flags, rule.index)
                if db is not None:
                    dbs[rule.index] = db
        return dbs

    def locate(
        self, text: str, rules: Collection[int] | None = None
    ) -> dict[int, list[tuple[int, int]]] | None:
        if not self._located:
            return None
        wanted = sorted(self._located if rules is None else self._located.intersection(rules))
        ascii_text = text.isascii()
        data = self._utf8(text)
        regions: dict[int, list[tuple[int, int]]] = {}
        locators = self._locators()
        seen = 0
        for rule_id in wanted:
            # every match's span as reported (one per region, mostly); the caller merges them
            spans: list[tuple[int, int]] = []
            room = LOCATE_LIMIT - seen

            def on_match(
                _id: int,
                start: int,
                end: int,
                _flags: int,
                _ctx: object,
                spans: list[tuple[int, int]] = spans,
                room: int = room,
            ) -> bool:
                spans.append((start, end))
                return len(spans) > room  # True stops the scan: too many; fall back

            locators[rule_id].scan(data, match_event_handler=on_match)
            seen += len(spans)
            if seen > LOCATE_LIMIT:
                return None
            if spans:
                regions[rule_id] = spans
        if not ascii_text:
            regions = _to_char_offsets(data, regions)
        return regions

    def _compile(self, ruleset: Ruleset) -> tuple[Any, frozenset[int]]:
        hs = self._hs
        single = hs.HS_FLAG_SINGLEMATCH | hs.HS_FLAG_ALLOWEMPTY
        caseless = hs.HS_FLAG_SINGLEMATCH | hs.HS_FLAG_CASELESS
        patterns = [(rule.index, hyperscan_form(rule.spec)) for rule in ruleset]
        full = hs.Database(mode=hs.HS_MODE_BLOCK)
        extra = [(self._n + i, hs_literal(t)) for i, t in enumerate(self._triggers)]
        try:
            exprs = [e for _, e in patterns] + [e for _, e in extra]
            ids = [i for i, _ in patterns] + [i for i, _ in extra]
            flags = [single] * len(patterns) + [caseless] * len(extra)
            full.compile(expressions=exprs, ids=ids, flags=flags)
        except Exception:  # hyperscan.error: some pattern is unsupported; find which
            exprs, ids, flags = [], [], []
            approximated: set[int] = set()
            for index, expr in patterns:
                # too large or unsupported as it is: Hyperscan's own approximation (a superset
                # of the matches) still beats running the rule wherever its keyword appears
                for flag in (single, single | hs.HS_FLAG_PREFILTER):
                    if compiles_with(hs, expr, flag):
                        exprs.append(expr)
                        ids.append(index)
                        flags.append(flag)
                        if flag != single:
                            approximated.add(index)
                        break
                else:
                    approximated.add(index)
                    for kw in ruleset.rules[index].spec.keywords:
                        exprs.append(hs_literal(kw))
                        ids.append(index)
                        flags.append(caseless)
            exprs += [e for _, e in extra]
            ids += [i for i, _ in extra]
            flags += [caseless] * len(extra)
            full = hs.Database(mode=hs.HS_MODE_BLOCK)
            full.compile(expressions=exprs, ids=ids, flags=flags)
            return full, frozenset(approximated)
        return full, frozenset()

    def candidates(self, text: str) -> frozenset[int]:
        found: set[int] = set()

        def on_match(rule_id: int, start: int, end: int, flags: int, ctx: object) -> None:
            found.add(rule_id)

        self._full.scan(self._utf8(text), match_event_handler=on_match)
        return frozenset(found)


_CONTINUATION = bytes(range(0x80, 0xC0))


def _to_char_offsets(
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


def _dump_each(hs: Any, dbs: dict[int, Any]) -> tuple[bytes, ...]:
    """The serialised databases, in the order of their rule ids."""
    return tuple(hs.dumpb(dbs[rule_id]) for rule_id in sorted(dbs))


_CACHE_KIND = "hyperscan"
_CACHE_PARTS = 3  # the full database, the located rule ids, the approximated rule ids
_LOCATOR_KIND = "hs-locators"  # the start-of-match databases, one per located rule, read lazily
_DATABASE_PART = (0,)
"""Each entry's first part is a serialised Hyperscan database: ``hyperscan.loadb`` rejects it
unless its own CRC-32C matches, so the cache's CRC leaves it out (``scanner.cache``)."""


def _id_list(ids: Iterable[int]) -> bytes:
    return ",".join(map(str, sorted(ids))).encode()


def _parse_id_list(blob: bytes) -> frozenset[int]:
    return frozenset(int(i) for i in blob.decode().split(",") if i)


def _load_each(hs: Any, ids: list[int], blobs: tuple[bytes, ...]) -> dict[int, Any]:
    """The located rules' start-of-match databases, loaded, each with its scratch."""
    loc: dict[int, Any] = {}
    for rule_id, blob in zip(ids, blobs, strict=True):
        db = hs.loadb(blob, hs.HS_MODE_BLOCK)
        db.scratch = hs.Scratch(db)
        loc[rule_id] = db
    return loc


def _cache_load(
    cache_dir: Path | None, kind: str, key: str, parts: int
) -> tuple[bytes, ...] | None:
    if cache_dir is None:
        return None
    return Cache(cache_dir).load_bytes(kind, key, parts, _DATABASE_PART)


def _cache_store(cache_dir: Path | None, kind: str, key: str, blobs: tuple[bytes, ...]) -> None:
    if cache_dir is not None:
        Cache(cache_dir).store_parts(kind, key, blobs, _DATABASE_PART)


def hyperscan_available() -> bool:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


def build_prefilter(
    ruleset: Ruleset,
    engine: str = "auto",
    triggers: Triggers = (),
    cache_dir: Path | None = None,
) -> Prefilter:
    """``engine``: ``auto`` (Hyperscan when installed), ``hyperscan`` or ``aho-corasick``.
    With no rules there is nothing for either to find, and Hyperscan cannot compile an empty
    database: the keyword automaton (empty) stands in."""
    if not len(ruleset):
        return AhoCorasickPrefilter(ruleset, ())
    if engine == "hyperscan" or (engine == "auto" and hyperscan_available()):
        return HyperscanPrefilter(ruleset, triggers, cache_dir)
    return AhoCorasickPrefilter(ruleset, triggers() if callable(triggers) else triggers)
