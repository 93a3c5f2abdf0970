"""Seed data: the passwords of a literal collection of accounts in code. A list of (user,
password, ...) tuples or a mapping from user to password, assigned to a name that says it
holds accounts (``SEED_USERS = [("admin", "..."), ...]``,
``SERVICE_ACCOUNTS = {"billing-svc": "..."}``). Each row's second item (or each entry's
value) is a value for the generic assessment, named ``password``. Pure: no I/O.

A rule tagged ``table-column`` whose match starts at such an assignment reaches these rows
through ``tablecells.column_cells``."""

from __future__ import annotations

import re
from collections.abc import Iterator

MAX_ROWS = 2000  # rows read under one assignment
MAX_ITEM = 1024  # a longer quoted item is not read as a credential
NAME = "password"

# a collection named after accounts, opened on the same line: Python (with an optional type),
# JavaScript, Ruby, PHP; group 1 is the opening bracket
SEED_HEAD = re.compile(
    r"(?i)(?:\$|\b)(?:[a-z_][\w]{0,40}?)?(?:users|accounts|logins|credentials|creds|passwords|admins)"
    r"\b[ \t]*(?::[^=\r\n]{0,60})?=[ \t]*(?:array[ \t]*)?([\[{(])"
)
_CLOSE = {"[": "]", "(": ")", "{": "}"}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_PLAIN_WORD = re.compile(r"[A-Za-z]+")


def is_password_like(value: str) -> bool:
    """A collection's item that can be a password rather than a role, a display name or an
    address: no blanks, not a plain word (``viewer``, ``admin``: a role), not an e-mail
    address. The generic assessment still judges what passes."""
    return not (
        not value
        or any(c.isspace() for c in value)
        or _PLAIN_WORD.fullmatch(value)
        or _EMAIL.fullmatch(value)
    )


_BLANK = " \t\r\n,"


def _skip_blank(text: str, i: int, end: int) -> int:
    """The position after blanks, commas and line comments (``#``, ``//``) from ``i``."""
    while i < end:
        c = text[i]
        if c in _BLANK:
            i += 1
        elif c == "#" or text.startswith("//", i):
            nl = text.find("\n", i, end)
            i = end if nl == -1 else nl + 1
        else:
            break
    return i


def _string_end(text: str, i: int, end: int) -> int:
    """The position of the quote that closes the string opening at ``text[i]``, or -1."""
    quote = text[i]
    j = i + 1
    while j < end:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == quote:
            return j
        if c == "\n":
            return -1
        j += 1
    return -1


def _items(text: str, i: int, end: int) -> tuple[list[tuple[int, int, bool]], int] | None:
    """The items of the row that opens at ``text[i]`` (a tuple or list) as (start, end,
    quoted) spans, a quoted item's span inside its quotes, and the position after the row;
    None when the row does not close within bounds."""
    close = _CLOSE[text[i]]
    items: list[tuple[int, int, bool]] = []
    j, item_start, depth = i + 1, i + 1, 0
    quoted: tuple[int, int] | None = None
    while j < end:
        c = text[j]
        if c in "'\"":
            k = _string_end(text, j, end)
            if k == -1:
                return None
            if depth == 0 and not text[item_start:j].strip():
                quoted = (j + 1, k)
            j = k + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}" and depth:
            depth -= 1
        elif depth == 0 and (c == "," or c == close):
            rest = text[quoted[1] + 1 : j].strip() if quoted else None
            if quoted is not None and not rest:
                items.append((quoted[0], quoted[1], True))
            elif text[item_start:j].strip():
                items.append((item_start, j, False))
            quoted = None
            if c == close:
                return items, j + 1
            item_start = j + 1
        elif depth == 0 and c in ")]}":
            return None
        j += 1
    return None


def _tuple_rows(text: str, i: int, close: str, end: int) -> Iterator[tuple[int, int]]:
    """The second item of each (user, password, ...) row of a list, while the rows are tuples
    or lists whose first two items are quoted strings."""
    for _ in range(MAX_ROWS):
        i = _skip_blank(text, i, end)
        if i >= end or text[i] == close or text[i] not in "([":
            return
        parsed = _items(text, i, end)
        if parsed is None:
            return
        items, i = parsed
        if len(items) < 2 or not (items[0][2] and items[1][2]):
            return  # not a list of account rows
        (us, ue, _), (ps, pe, _) = items[0], items[1]
        if ue > us and 0 < pe - ps <= MAX_ITEM and is_password_like(text[ps:pe]):
            yield ps, pe


_ARROW = re.compile(r"[ \t]*(?::|=>)[ \t]*")


def _mapping_values(text: str, i: int, end: int) -> Iterator[tuple[int, int]]:
    """The quoted value of each ``"user": "password"`` entry of a mapping (``=>`` in Ruby and
    PHP); entries whose value is not a quoted string (``None``, a nested mapping) are passed
    over, anything else ends the mapping."""
    for _ in range(MAX_ROWS):
        i = _skip_blank(text, i, end)
        if i >= end or text[i] not in "'\"":
            return
        k = _string_end(text, i, end)
        if k == -1:
            return
        arrow = _ARROW.match(text, k + 1)
        if arrow is None:
            return
        v = arrow.end()
        if v < end and text[v] in "'\"":
            ve = _string_end(text, v, end)
            if ve == -1:
                return
            if 0 < ve - v - 1 <= MAX_ITEM and k > i + 1 and is_password_like(text[v + 1 : ve]):
                yield v + 1, ve
            i = ve + 1
            continue
        stop = re.compile(r"[,}\r\n]").search(text, v, end)
        if stop is None or text[stop.start()] == "}" or "(" in text[v : stop.start()]:
            return
        i = stop.start()


def seed_values(text: str, pos: int, limit: int = 256 * 1024) -> Iterator[tuple[int, int]]:
    """The spans of the passwords in the account collection assigned at ``pos`` (nothing when
    no such assignment starts there); reads at most ``limit`` characters."""
    head = SEED_HEAD.match(text, pos)
    if head is None:
        return
    end = min(len(text), pos + limit)
    opener = head.group(1)
    if opener == "{":
        yield from _mapping_values(text, head.end(), end)
    else:
        yield from _tuple_rows(text, head.end(), _CLOSE[opener], end)
