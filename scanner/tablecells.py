"""Credential columns of tables: a Markdown pipe table or a CSV/TSV export whose header names a
password, secret, token or key column (``| Service | User | Password |``,
``id,email,password,created_at``). Each row's cell in that column is a value for the generic
assessment, named by its column's header. Pure: no I/O.

A rule tagged ``table-column`` matches a header line (group 1: the credential column's name);
``column_cells`` reads the rows under it."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass

from scanner.nameshape import Kind, name_info
from scanner.seedrows import NAME as SEED_NAME
from scanner.seedrows import SEED_HEAD, seed_values

MAX_ROWS = 5000  # rows read under one header (a long export stops being read, not scanned)
MAX_LINE = 4096  # a longer line is not a table row
_DELIMITERS = ",;\t"
# headers that name a credential too rarely to read a column by: a table's "Key" column lists
# setting or dictionary keys, a "Pass" column test results
_TOO_VAGUE = frozenset({"key", "keys", "pass", "passed"})


# an SQL INSERT's table and column list, up to VALUES (group 1: the columns)
_INSERT = re.compile(
    r"(?i)insert[ \t]+into[ \t]+[\w.\"`\[\]]{1,128}[ \t]*\(([^()]{1,2000})\)\s{0,20}values\s{0,20}"
)
MAX_TUPLES = 5000
MAX_VALUE = 1024  # a longer item is not read as a credential


@dataclass(frozen=True, slots=True)
class Cell:
    """One row's value in a credential column: the column's header and the value's span."""

    name: str
    start: int
    end: int


def _lines(text: str, pos: int) -> Iterator[tuple[int, int]]:
    """The (start, end) of each line from ``pos`` on, without its line break."""
    n = len(text)
    while pos < n:
        end = text.find("\n", pos)
        end = n if end == -1 else end
        yield pos, end - 1 if end > pos and text[end - 1] == "\r" else end
        pos = end + 1


def _pipe_cells(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The cells of a Markdown table row as spans, outer pipes dropped, blanks trimmed."""
    spans: list[tuple[int, int]] = []
    line = text[start:end]
    lo = line.find("|")
    if lo == -1:
        return spans
    body_end = line.rstrip().rfind("|")
    if body_end <= lo:
        body_end = len(line)
    pos = lo + 1
    while pos <= body_end:
        nxt = line.find("|", pos)
        nxt = body_end if nxt == -1 or nxt > body_end else nxt
        if nxt > lo and line[nxt - 1 : nxt] == "\\":  # an escaped pipe inside a cell
            nxt = line.find("|", nxt + 1)
            nxt = body_end if nxt == -1 or nxt > body_end else nxt
        cell = line[pos:nxt]
        left = len(cell) - len(cell.lstrip(" \t`*"))
        right = len(cell.rstrip(" \t`*"))
        spans.append((start + pos + left, start + pos + max(left, right)))
        if nxt >= body_end:
            break
        pos = nxt + 1
    return spans


def _delimited_cells(text: str, start: int, end: int, delimiter: str) -> list[tuple[int, int]]:
    """The cells of a CSV/TSV line as spans (quotes parsed by ``csv``, then located in the
    line in order; a quoted cell's span is its text inside the quotes)."""
    line = text[start:end]
    try:
        values = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []
    spans: list[tuple[int, int]] = []
    pos = 0
    for value in values:
        found = line.find(value, pos) if value else pos
        if found == -1:
            return []  # an escaped quote inside the cell: its text is not in the line as is
        spans.append((start + found, start + found + len(value)))
        pos = found + len(value)
        nxt = line.find(delimiter, pos)
        pos = len(line) if nxt == -1 else nxt + 1
    return spans


def _is_separator(text: str, start: int, end: int) -> bool:
    """A Markdown table's header separator: ``|---|:--:|``."""
    row = text[start:end].strip()
    return len(row) >= 3 and set(row) <= set("|-: \t") and "---" in row


def _credential_column(names: list[str]) -> int:
    """The index of the first header that names a credential (not ``password_hash``, not an
    id or a URL), or -1."""
    for i, raw in enumerate(names):
        name = raw.strip().strip("`*\"'").strip()
        if not name or len(name) > 40 or len(name.split()) > 3:
            continue
        if name.lower() in _TOO_VAGUE:
            continue
        info = name_info(name.replace(" ", "_"))
        if not info.reason and info.kind is not Kind.NONE:
            return i
    return -1


def column_cells(text: str, header_pos: int) -> Iterator[Cell]:
    """The cells under the credential column of the table whose header line holds
    ``header_pos``: the rows of a Markdown table after its separator, the lines of a
    delimited export after its header, while they have as many cells as the header, or the
    quoted values of an SQL ``INSERT INTO t (columns) VALUES (...), (...)`` that starts at
    ``header_pos``, or the passwords of a literal collection of accounts assigned there
    (``scanner.seedrows``)."""
    if SEED_HEAD.match(text, header_pos):
        for start, end in seed_values(text, header_pos):
            yield Cell(SEED_NAME, start, end)
        return
    insert = _INSERT.match(text, header_pos)
    if insert is not None:
        yield from _insert_cells(text, insert)
        return
    line_start = text.rfind("\n", 0, header_pos) + 1
    lines = _lines(text, line_start)
    first = next(lines, None)
    if first is None or first[1] - first[0] > MAX_LINE:
        return
    h_start, h_end = first
    header = text[h_start:h_end]
    if header.lstrip().startswith("|"):
        spans = _pipe_cells(text, h_start, h_end)
        sep = next(lines, None)
        if sep is None or not _is_separator(text, *sep):
            return

        def cells(s: int, e: int) -> list[tuple[int, int]]:
            return _pipe_cells(text, s, e) if text[s:e].lstrip().startswith("|") else []
    else:
        delimiter = max(_DELIMITERS, key=header.count)
        if header.count(delimiter) == 0:
            return
        spans = _delimited_cells(text, h_start, h_end, delimiter)

        def cells(s: int, e: int) -> list[tuple[int, int]]:
            return _delimited_cells(text, s, e, delimiter)

    column = _credential_column([text[s:e] for s, e in spans])
    if column == -1:
        return
    name = text[slice(*spans[column])].strip("`*\"' \t").replace(" ", "_")
    for rows, (s, e) in enumerate(lines):
        if rows >= MAX_ROWS or e - s > MAX_LINE or s == e:
            return
        row = cells(s, e)
        if len(row) != len(spans):
            return  # the table ended (or the export's row is broken)
        lo, hi = row[column]
        if hi > lo:
            yield Cell(name, lo, hi)


def _sql_items(text: str, pos: int) -> tuple[list[tuple[int, int, bool]], int] | None:
    """The items of the SQL tuple that opens at ``text[pos] == "("``: (start, end, quoted)
    spans (a quoted item's span is inside its quotes, ``''`` kept as written), and the
    position after the closing parenthesis; None when the tuple does not close in bounds."""
    items: list[tuple[int, int, bool]] = []
    i = pos + 1
    n = min(len(text), pos + 64 * MAX_VALUE)
    item_start, depth = i, 0
    quoted: tuple[int, int] | None = None
    while i < n:
        c = text[i]
        if c == "'":
            close = i + 1
            while True:
                close = text.find("'", close, n)
                if close == -1:
                    return None
                if text[close + 1 : close + 2] != "'":
                    break
                close += 2  # '' is a quote inside the string
            if depth == 0 and not text[item_start:i].strip():
                quoted = (i + 1, close)
            i = close + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")" and depth:
            depth -= 1
        elif c in ",)" and depth == 0:
            rest = text[quoted[1] + 1 : i].strip() if quoted else None
            if quoted is not None and not rest:
                items.append((quoted[0], quoted[1], True))
            else:
                items.append((item_start, i, False))
            quoted = None
            if c == ")":
                return items, i + 1
            item_start = i + 1
        i += 1
    return None


def _insert_cells(text: str, insert: re.Match[str]) -> Iterator[Cell]:
    """The quoted values of an INSERT's credential column, tuple by tuple."""
    names = [c.strip().strip('`"[]') for c in insert.group(1).split(",")]
    column = _credential_column(names)
    if column == -1:
        return
    pos = insert.end()
    for _ in range(MAX_TUPLES):
        if text[pos : pos + 1] != "(":
            return
        parsed = _sql_items(text, pos)
        if parsed is None:
            return
        items, pos = parsed
        if len(items) == len(names):
            start, end, quoted = items[column]
            if quoted and 0 < end - start <= MAX_VALUE:
                yield Cell(names[column], start, end)
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if text[pos : pos + 1] != ",":
            return
        pos += 1
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
