"""Table-driven tests of predicates: a module lists, per predicate, the values it must accept
and those it must reject, and one parametrized test checks them all::

    @pytest.mark.parametrize(("predicate", "value", "expected"), predicate_cases({
        is_hash: Cases(yes=["sha1$ab$cd..."], no=["Kq7#vTz2!mPw9x"]),
    }))
    def test_predicates(predicate, value, expected):
        assert bool(predicate(value)) is expected
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

Predicate = Callable[[str], object]


@dataclass(frozen=True)
class Cases:
    """Values a predicate must accept (``yes``) and must reject (``no``)."""

    yes: Sequence[str] = ()
    no: Sequence[str] = ()


def predicate_cases(table: Mapping[Predicate, Cases]) -> list[Any]:
    """``pytest.param(predicate, value, expected)`` for every row of ``table``, with an id
    naming the predicate, the expectation and the value."""
    params = []
    for predicate, cases in table.items():
        name = getattr(predicate, "__name__", repr(predicate))
        for expected, values in ((True, cases.yes), (False, cases.no)):
            for value in values:
                ident = f"{name}-{'yes' if expected else 'no'}-{value}"
                params.append(pytest.param(predicate, value, expected, id=ident))
    return params


MARK_OPEN, MARK_CLOSE = "<<", ">>"


def unmark(text: str) -> tuple[str, int, int]:
    """A case written with its value between ``<<`` and ``>>`` (``'pw = "<<Kq7#vTz2>>"'``): the
    text without the marks, and the value's start and end in it. The value is written once."""
    start = text.index(MARK_OPEN)
    end = text.index(MARK_CLOSE, start) - len(MARK_OPEN)
    return text.replace(MARK_OPEN, "", 1).replace(MARK_CLOSE, "", 1), start, end
