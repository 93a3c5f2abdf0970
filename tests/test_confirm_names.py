"""confirm: where a named-value rule finds the setting's name."""

from __future__ import annotations

import regex

from scanner.confirm import _value_name

FORMS = regex.compile(r"""(?:getenv\("([A-Z_]+)", |env\.([A-Z_]+) \|\| )"([^"]+)\"""")


def test_the_name_is_the_first_group_that_took_part() -> None:
    m = FORMS.search('os.getenv("API_KEY", "Zx4Mq8Lw2Tv6")')
    assert m is not None and _value_name(m) == "API_KEY"
    m = FORMS.search('process.env.DB_PASSWORD || "Zx4Mq8Lw2Tv6"')
    assert m is not None and _value_name(m) == "DB_PASSWORD"


def test_a_group_called_name_is_the_name_even_after_the_value() -> None:
    move = regex.compile(r"""MOVE '([^']+)' TO (?P<name>[A-Z-]+)""")
    m = move.search("MOVE 'Tz8wNq3LxV5rPk' TO WS-PASSWORD.")
    assert m is not None and _value_name(m) == "WS-PASSWORD"
