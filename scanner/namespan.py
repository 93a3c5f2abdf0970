"""The setting name around a position in a text (``db_password``, ``--db-password``,
``acme.apiToken``): the characters a name is made of and the run of them around a position.
Pure; no imports, so the modules loaded at startup can use it."""

from __future__ import annotations

NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
"""The characters of a setting name: letters, digits, ``_``, ``.`` and ``-``."""
NAME_LIMIT = 64
"""How many characters ``name_bounds`` and ``name_span`` look at on either side."""
_STRIPPED = "".join(sorted(NAME_CHARS))  # ``str.strip`` takes the set as a string


def name_bounds(text: str, pos: int, limit: int = NAME_LIMIT) -> tuple[int, int]:
    """The span of the run of ``NAME_CHARS`` around ``pos``, reaching at most ``limit``
    characters to each side of it."""
    lo = max(0, pos - limit)
    lo += len(text[lo:pos].rstrip(_STRIPPED))
    after = text[pos : pos + limit]
    return lo, pos + len(after) - len(after.lstrip(_STRIPPED))


def name_span(text: str, pos: int, limit: int = NAME_LIMIT) -> tuple[int, int]:
    """The span of the setting name around ``pos`` (``db_password``, ``--db-password``): the
    ``name_bounds`` without a trailing dot or dash, which belongs to the syntax, not the name
    (``password.`` / ``key-``)."""
    lo, hi = name_bounds(text, pos, limit)
    while hi > pos and text[hi - 1] in ".-":
        hi -= 1
    return lo, hi
