"""``scanner.prose``: the word after a setting's name in a sentence is not its value."""

from __future__ import annotations

import pytest

from scanner.prose import is_sentence_word


def _judge(line: str, value: str) -> bool:
    start = line.rindex(value)
    return is_sentence_word(line, start, start + len(value))


@pytest.mark.parametrize(
    ("line", "value", "sentence"),
    [
        ("and include a bindpw like so", "like", True),  # small words around it
        (
            "  * 0123abcd Release notes blurb for change to bindpw requirements",
            "requirements",
            True,
        ),
        ("    Bind with binddn and bindpw only for searching LDAP", "only", True),
        ("   community channel.", "channel.", True),  # the word ends a sentence
        ('  "Domain controller: Refuse machine account password changes"', "changes", True),
        ("ldap.extop.passwd - Classes for Password Modify extended operation", "Classes", True),
        ("        Maps automagically to X-BINDPW LDAP URL extension", "LDAP", True),
        # inline code and brackets closing on the word (a docstring quoting a sentence)
        ("(``Refuse machine account password changes``).", "changes``).", True),
        ("sentence: ``Refuse machine account password changes``, ``the", "changes``,", True),
        # setting lines: no small word, no full stop, no capitalised words before the name
        ("machine localhost login alice password zebrafish", "zebrafish", False),
        ("bindpw mysecretpw", "mysecretpw", False),
        ("  community sekritcomm", "sekritcomm", False),
        # an operator, a quote or a value that is not one lower-case word: not judged
        ("the bindpw = like", "like", False),
        ('for the bindpw "like"', "like", False),
        ("include a bindpw Kq7vFake2mLp", "Kq7vFake2mLp", False),
        ("bindpw - Kq7vFake2mLp", "Kq7vFake2mLp", False),
        ("machine kg.invalid login bob password Zebrafish", "Zebrafish", False),
        ("like", "like", False),
    ],
)
def test_is_sentence_word(line: str, value: str, sentence: bool) -> None:
    assert _judge(line, value) is sentence
