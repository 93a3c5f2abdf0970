"""The built-in rules as one compact table: what every start needs, with each full spec decoded
only when something asks for it.

A start-up (the staged check above all) needs, for every rule, only its id, source file,
keywords, tags, capture group and fingerprint (for the rule-set digest that keys the Hyperscan
cache); the full ``RuleSpec`` (examples, description, remediation, ...) matters only for the few
rules that reach the confirm stage or a report. The table is one cache entry of two parts:

- **head**: one JSON array with a short row per rule, loaded with a single ``json.loads``;
- **body**: every rule's ``spec_record`` as JSON, back to back; a rule's bytes are decoded the
  first time its ``spec`` is read.

The entry is keyed like the spec cache (rule file names, sizes and mtimes) and validated by
``scanner.cache`` on load; rows are type-checked on load. Should a body record still not decode,
the rule is parsed again from its file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from scanner.cache import Cache
from scanner.errors import RuleError
from scanner.rulebook.compile import make_rule, spec_fingerprint

if TYPE_CHECKING:
    from scanner.rulebook.schema import RuleSpec

TABLE_KIND = "ruletable"
TABLE_VERSION = "table-2"  # bump when the row layout changes
_ROW = 7  # id, source, keywords, tags, secret group, fingerprint, paths


class RuleEntry(NamedTuple):
    """A built-in rule known by its head row; ``load()`` builds its full spec from ``body``
    (the whole body part, shared by every entry: ``start:end`` is this rule's record)."""

    id: str
    source: str
    keywords: tuple[str, ...]
    tags: tuple[str, ...]
    secret_group: int
    fingerprint: str
    paths: tuple[str, ...]
    body: bytes
    start: int
    end: int

    def load(self) -> RuleSpec:
        from scanner.rulebook.loader import spec_from_record

        try:
            spec = spec_from_record(json.loads(self.body[self.start : self.end]))
        except (TypeError, ValueError, KeyError, RecursionError):
            spec = None
        if spec is not None and spec.id == self.id and spec.source == self.source:
            return spec
        return self._reparse()

    def _reparse(self) -> RuleSpec:
        from scanner.rulebook.schema import load_rule_file

        for spec in load_rule_file(Path(self.source)):
            if spec.id == self.id:
                return spec
        raise RuleError(self.source, self.id, None, "the rule disappeared while keyguard ran")


def build_table(specs: Sequence[RuleSpec]) -> tuple[bytes, bytes]:
    """The two parts (head, body) of the table for ``specs``."""
    from scanner.rulebook.loader import spec_record

    rows: list[list[Any]] = []
    body: list[bytes] = []
    pos = 0
    for spec in specs:
        group = make_rule(spec, 0, eager=False).secret_group  # validates group and checksum
        record = json.dumps(spec_record(spec), ensure_ascii=False, separators=(",", ":"))
        data = record.encode("utf-8", "surrogatepass")
        rows.append(
            [spec.id, spec.source, list(spec.keywords), list(spec.tags), group]
            + [spec_fingerprint(spec), list(spec.paths), pos, pos + len(data)]
        )
        body.append(data)
        pos += len(data)
    head = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    return head.encode("utf-8", "surrogatepass"), b"".join(body)


def _strs(value: Any) -> tuple[str, ...]:
    if type(value) is not list:
        raise TypeError("expected a list of strings")
    "".join(value)  # TypeError unless every item is a string
    return tuple(value)


def parse_table(head: bytes, body: bytes) -> list[RuleEntry]:
    """The entries of a stored table; ``TypeError``/``ValueError`` when it is not one."""
    rows = json.loads(head.decode("utf-8"))
    if type(rows) is not list:
        raise TypeError("not a rule table")
    out: list[RuleEntry] = []
    size = len(body)
    for row in rows:
        if type(row) is not list or len(row) != _ROW + 2:
            raise TypeError("not a rule table row")
        rid, source, keywords, tags, group, fingerprint, paths, start, end = row
        if not (type(rid) is str and type(source) is str and type(fingerprint) is str):
            raise TypeError("not a rule table row")
        if not (type(group) is int and type(start) is int and type(end) is int):
            raise TypeError("not a rule table row")
        if not 0 <= start <= end <= size or group < 0:
            raise ValueError("not a rule table row")
        out.append(
            RuleEntry(
                rid,
                source,
                _strs(keywords),
                _strs(tags),
                group,
                fingerprint,
                _strs(paths),
                body,
                start,
                end,
            )
        )
    return out


def load_table(
    specs_of: Callable[[], Sequence[RuleSpec]], files_key: str, cache: Cache | None
) -> list[RuleEntry] | None:
    """The built-in table from ``cache`` under ``files_key``; else built from ``specs_of()``
    and stored. None without a cache (the caller then uses plain specs)."""
    if cache is None:
        return None
    parts = cache.load_bytes(TABLE_KIND, files_key, 2)
    if parts is not None:
        try:
            return parse_table(parts[0], parts[1])
        except (TypeError, ValueError, UnicodeDecodeError, RecursionError):
            pass  # not a valid table: rebuild it
    head, body = build_table(specs_of())
    cache.store_parts(TABLE_KIND, files_key, [head, body])
    return parse_table(head, body)
