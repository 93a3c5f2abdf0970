"""Tables of test cases kept as data: ``tests/data/<name>.toml`` holds named tables, each a list
of rows. A row of several values (``["src/db.py", "PW = \\"Kq7#vTz2\\"\\n", "Kq7#vTz2"]``)
becomes the tuple a parametrized test takes; a lone value stays itself; a row written as a table
(``[[key]]`` with named values, for texts of several lines) becomes the tuple of the ``fields``
asked for. Comments in the file say why a row is there."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


@cache
def _load(name: str) -> dict[str, Any]:
    with (DATA / f"{name}.toml").open("rb") as file:
        return tomllib.load(file)


def table(name: str, key: str, fields: Sequence[str] = ()) -> list[Any]:
    """The rows of table ``key`` in ``tests/data/<name>.toml``, for ``pytest.mark.parametrize``."""
    rows = _load(name)[key]
    if not rows:
        raise ValueError(f"tests/data/{name}.toml: table {key!r} has no rows")
    return [_row(row, fields, f"tests/data/{name}.toml: {key}") for row in rows]


def _row(row: Any, fields: Sequence[str], where: str) -> Any:
    if isinstance(row, dict):
        if set(row) != set(fields):
            raise ValueError(f"{where}: a row has {sorted(row)}, not {sorted(fields)}")
        return tuple(row[field] for field in fields)
    return tuple(row) if isinstance(row, list) else row
