"""The Hyperscan prefilter: every rule's pattern, loosened (``hsform``), scanned over the UTF-8
bytes of a chunk in one pass; the primary engine where the ``hyperscan`` wheel installs.

Its databases (``hsdb``), compiled once and kept in the cache:

- the *main* database: every rule that runs on any file;
- the decoder triggers (tens of thousands of base64 and hex literals) in a database of their
  own: held in the main one they cost its pass a seventh more than their own pass costs;
- the *scoped* databases, one per rule for files known by their path (``.pgpass``,
  ``config/master.key``), scanned only over chunks from a file some of them take: their
  patterns (a whole ``host:port:db:user:password`` line) would otherwise cost every chunk of
  every other file a third more scanning for rules the matcher then drops;
- a start-of-match database for each rule with weak keywords, to *locate* possible matches
  (only the rules a chunk names are located: one database per rule costs a log line a third of
  what one database for all of them costs), read on the first ``locate``;
- the triggers again, reporting every match, to tell which lines of a text hold one
  (``trigger_lines``), read on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from scanner.cache import cache_key
from scanner.hsdb import (
    cache_load,
    cache_store,
    compile_rules,
    compiled,
    dump,
    dump_each,
    id_list,
    literals,
    load,
    load_each,
    parse_id_list,
    to_char_offsets,
)
from scanner.hsform import hyperscan_form, loosen
from scanner.rulebook.compile import Ruleset

# Decoder trigger literals, or a function that derives them (called only when needed).
Triggers = Sequence[str] | Callable[[], Sequence[str]]

LOCATE_LIMIT = 200_000
TRIGGER_LIMIT = 4096
"""Trigger matches ``trigger_lines`` maps to lines; beyond this it leaves the caller to look
line by line (a text of base64 full of short triggers)."""

_CACHE_KIND = "hyperscan"
_CACHE_PARTS = 5  # the main database, the located rule ids, the approximated ids, the scoped
# ids, the triggers' database
_SCOPED_KIND = "hs-scoped"  # the scoped rules' databases, one per rule, in the order of their ids
_LOCATOR_KIND = "hs-locators"  # the start-of-match databases, one per located rule, read lazily
_LINES_KIND = "hs-triggers"  # the triggers, every match reported, read lazily


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
        key = cache_key(ruleset.digest, named, "hs-v15", version)
        # The locator databases are read (or built) on the first ``locate``: a scan whose
        # chunks never name a located rule (most staged checks) does not load them.
        self._ruleset: Ruleset | None = ruleset
        self._cache_dir, self._key = cache_dir, key
        self._loc: dict[int, Any] | None = None
        self._loc_blobs: tuple[bytes, ...] | None = None
        self._lines: Any | None = None  # ``_load_lines``
        self._lines_blob: bytes | None = None
        self._lines_loaded = False
        cached = cache_load(cache_dir, _CACHE_KIND, key, _CACHE_PARTS)
        if cached is not None:
            try:
                ids = parse_id_list(cached[3])
                scoped = cache_load(cache_dir, _SCOPED_KIND, key, len(ids)) if ids else ()
                if scoped is not None:
                    self._blobs, self._scoped_blobs = cached, scoped
                    self._load()
                    return
            except (ValueError, hyperscan.error):
                # damaged (Hyperscan checks the database's own CRC-32C), or an entry that
                # passed its checksum but does not load: compile
                pass
        self._triggers = tuple(triggers() if callable(triggers) else triggers)
        main, by_rule, approximated = self._compile(ruleset)
        loc = self._compile_locator(ruleset)
        hs = hyperscan
        found = literals(hs, self._triggers, first=self._n, once=True)
        self._blobs = (
            dump(hs, main),
            id_list(loc),
            id_list(approximated),
            id_list(by_rule),
            dump(hs, found),
        )
        self._scoped_blobs = dump_each(hs, by_rule)
        self._loc_blobs = dump_each(hs, loc)
        cache_store(cache_dir, _CACHE_KIND, key, self._blobs)
        cache_store(cache_dir, _SCOPED_KIND, key, self._scoped_blobs)
        cache_store(cache_dir, _LOCATOR_KIND, key, self._loc_blobs)
        self._load()

    def _load(self) -> None:
        hs = self._hs
        self._full = load(hs, self._blobs[0])
        self._located = parse_id_list(self._blobs[1])
        self._approximated = parse_id_list(self._blobs[2])
        self._scoped = load_each(hs, sorted(parse_id_list(self._blobs[3])), self._scoped_blobs)
        self._found_triggers = load(hs, self._blobs[4])

    def _compile(self, ruleset: Ruleset) -> tuple[Any | None, dict[int, Any], frozenset[int]]:
        """The main database, each scoped rule's own database (a file
        that one rule's paths take is not scanned for the others: a JSON file for a template
        rule, never for ``.pgpass`` lines), the approximated rules."""
        forms = [
            (rule, (rule.index, hyperscan_form(rule.spec), rule.spec.keywords)) for rule in ruleset
        ]
        main, loose = compile_rules(self._hs, [f for rule, f in forms if not rule.paths])
        by_rule: dict[int, Any] = {}
        for rule, form in forms:
            if rule.paths:
                db, rule_loose = compile_rules(self._hs, [form])
                loose |= rule_loose
                if db is not None:
                    by_rule[rule.index] = db
        return main, by_rule, loose

    def _compile_locator(self, ruleset: Ruleset) -> dict[int, Any]:
        """A start-of-match database for each located rule (the keyword-anchored generic
        assignments, and the rules tagged ``located``), whose keywords (``key``, ``token``)
        alone would locate matches poorly, and whose loosened pattern Hyperscan takes."""
        hs = self._hs
        flags = hs.HS_FLAG_SOM_LEFTMOST
        dbs: dict[int, Any] = {}
        for rule in ruleset:
            if rule.spec.located:
                db = compiled(hs, loosen(rule.spec.pattern).encode("utf-8"), flags, rule.index)
                if db is not None:
                    dbs[rule.index] = db
        return dbs

    def _locators(self) -> dict[int, Any]:
        """The start-of-match database of each located rule, loaded (from the cache, else
        compiled) on first use."""
        if self._loc is None:
            hs = self._hs
            ids = sorted(self._located)
            if self._loc_blobs is None:
                cached = cache_load(self._cache_dir, _LOCATOR_KIND, self._key, len(ids))
                if cached is None:
                    assert self._ruleset is not None
                    cached = dump_each(hs, self._compile_locator(self._ruleset))
                    cache_store(self._cache_dir, _LOCATOR_KIND, self._key, cached)
                self._loc_blobs = cached
            try:  # Hyperscan checks each database's own CRC-32C (``cache_load``)
                loc = load_each(hs, ids, self._loc_blobs)
            except hs.error:  # damaged: compile
                assert self._ruleset is not None
                self._loc_blobs = dump_each(hs, self._compile_locator(self._ruleset))
                cache_store(self._cache_dir, _LOCATOR_KIND, self._key, self._loc_blobs)
                loc = load_each(hs, ids, self._loc_blobs)
            self._loc = loc
            self._ruleset = None
        return self._loc

    def _load_lines(self) -> bool:
        """Load the triggers' database that reports every match (from the cache, else
        compiled) on first use; False when the triggers are not known."""
        if not self._lines_loaded:
            hs = self._hs
            blob = self._lines_blob
            if blob is None:
                cached = cache_load(self._cache_dir, _LINES_KIND, self._key, 1)
                blob = cached[0] if cached is not None else None
            db = None
            if blob is not None:
                try:
                    db = load(hs, blob)
                except hs.error:  # damaged: compile
                    blob = None
            if blob is None:
                triggers = self._all_triggers()
                if triggers is None:
                    return False
                blob = dump(hs, literals(hs, triggers))
                cache_store(self._cache_dir, _LINES_KIND, self._key, (blob,))
                db = load(hs, blob)
            self._lines, self._lines_blob, self._lines_loaded = db, blob, True
        return True

    def __getstate__(self) -> dict[str, Any]:
        if self._located:
            self._locators()
        return {
            "blobs": self._blobs,
            "scoped": self._scoped_blobs,
            "loc": self._loc_blobs,
            "lines": self._lines_blob,
            "n": self._n,
            "triggers": self._all_triggers(),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        import hyperscan

        self._hs = hyperscan
        self._blobs, self._n, self._triggers = state["blobs"], state["n"], ()
        self._scoped_blobs = state["scoped"]
        self._loc_blobs, self._loc, self._ruleset = state["loc"], None, None
        self._lines_blob, self._lines, self._lines_loaded = state.get("lines"), None, False
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

    def candidates(self, text: str, scoped: Collection[int] | None = None) -> frozenset[int]:
        found: set[int] = set()

        def on_match(rule_id: int, start: int, end: int, flags: int, ctx: object) -> None:
            found.add(rule_id)

        data = self._utf8(text)
        if self._full is not None:
            self._full.scan(data, match_event_handler=on_match)
        if self._found_triggers is not None:
            self._found_triggers.scan(data, match_event_handler=on_match)
        by_rule = self._scoped
        for index in by_rule if scoped is None else scoped:
            db = by_rule.get(index)
            if db is not None:
                db.scan(data, match_event_handler=on_match)
        return frozenset(found)

    def trigger_lines(self, text: str) -> frozenset[int] | None:
        """The (0-based) lines of ``text`` that hold a trigger, or None when there are too many
        triggers to tell (``TRIGGER_LIMIT``) or the triggers are not known."""
        if not self._load_lines():
            return None
        db = self._lines
        if db is None:  # no triggers
            return frozenset()
        data = self._utf8(text)
        ends: list[int] = []

        def on_match(_id: int, _start: int, end: int, _flags: int, _ctx: object) -> bool:
            ends.append(end)
            return len(ends) > TRIGGER_LIMIT  # True stops the scan

        try:
            db.scan(data, match_event_handler=on_match)
        except self._hs.ScanTerminated:
            return None
        lines: set[int] = set()
        line = pos = 0
        for end in sorted(ends):  # a trigger holds no newline: its line is that of its end
            line += data.count(b"\n", pos, end)
            pos = end
            lines.add(line)
        return frozenset(lines)

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

            try:
                locators[rule_id].scan(data, match_event_handler=on_match)
            except self._hs.ScanTerminated:  # stopped by ``on_match``
                return None
            seen += len(spans)
            if spans:
                regions[rule_id] = spans
        if not ascii_text:
            regions = to_char_offsets(data, regions)
        return regions
