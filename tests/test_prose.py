"""``scanner.prose``: the word after a setting's name in a sentence is not its value."""

from __future__ import annotations

import pytest

from scanner.prose import is_phrase_head, is_sentence_word


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


@pytest.mark.parametrize(
    ("line", "value", "phrase"),
    [
        # a label, a message or a release note assigned to a credential-named key
        ("  error_kg_bind_credentials: Invalid fake account/password", "Invalid", True),
        ("  field_password_confirmation: Bekreft passord", "Bekreft", True),
        ("\t* contrib/kgpassword: Compiling fix for fake systems", "Compiling", True),
        ("bind_password : Binding password.", "Binding", True),
        ("$lang['bindpw'] = 'Heslo uživatele výše';", "Heslo", True),
        ('  notice_fake_password: "Пароль неверный"', "Пароль", True),
        (
            '  error_kg_credentials: "Conta/Palavra-chave do KG não é válida"',
            "Conta/Palavra-chave",
            True,
        ),
        ("password: Kq7v/Fake a b", "Kq7v/Fake", False),
        # one run of characters: a value, whatever follows it
        ("password: Zebrafish", "Zebrafish", False),
        ("password: Zebrafish # the lab's", "Zebrafish", False),
        ("password = Kq7vFake2mLp and more", "Kq7vFake2mLp", False),
        ("password: Zebrafish 42", "Zebrafish", False),
        # no operator before it: the space-separated forms are judged by is_sentence_word
        ("community kgfakecomm rw fakeACL", "kgfakecomm", False),
    ],
)
def test_is_phrase_head(line: str, value: str, phrase: bool) -> None:
    start = line.index(value, line.index(value[0]) if line.count(value) == 1 else 0)
    assert is_phrase_head(line, start, start + len(value)) is phrase
