"""Unit tests for scanner.assignment.parse_assignment: the operator and value spans."""

from __future__ import annotations

import pytest

from scanner.assignment import Assignment, assess, parse_assignment


def _parse(text: str, name: str, value: str) -> Assignment | None:
    return parse_assignment(text, text.index(name), text.index(value))


@pytest.mark.parametrize(
    ("text", "name", "value"),
    [
        ('const apiKey: string = "Wm5Qx8Tz2Lk7Rv4Nb9Pc";', "apiKey", "Wm5Qx8"),
        ('service_token: str = "Hv3Kz9Qm2Xw7Lp4Tn8Rb"', "service_token", "Hv3Kz9"),
        ('val smtpPassword: String = "Lk8#Vq2mZp"', "smtpPassword", "Lk8#Vq"),
        ('let secret: Option<String> = "Qm4v9XkP2r7T"', "secret", "Qm4v9X"),
    ],
)
def test_a_type_annotation_before_equals_is_an_assignment(text: str, name: str, value: str) -> None:
    a = _parse(text, name, value)
    assert a is not None
    assert a.op == "="
    assert a.form == "assign"
    assert a.name == name
    assert a.quote == '"'
    assert text[a.start : a.end] == a.value
    assert text[a.end] == '"'


@pytest.mark.parametrize(
    ("text", "name", "value"),
    [
        ('token: str some "Hv3Kz9Qm2Xw7Lp4Tn8Rb"', "token", "Hv3Kz9"),  # no "="
        ('token: "a" = "Hv3Kz9Qm2Xw7Lp4Tn8Rb"', "token", "Hv3Kz9"),  # not a type name
        ('password: 1x = "Lk8#Vq2mZp"', "password", "Lk8#Vq"),  # a type starts with a letter
    ],
)
def test_other_text_between_name_and_value_is_not_an_assignment(
    text: str, name: str, value: str
) -> None:
    assert _parse(text, name, value) is None


def test_plain_operators_still_parse() -> None:
    text = 'db_password = "Kq7#vTz2!mPw9x"'
    a = _parse(text, "db_password", "Kq7#")
    assert a is not None and a.op == "=" and a.value == "Kq7#vTz2!mPw9x"
    text = "password: Summer2024!"
    a = _parse(text, "password", "Summer")
    assert a is not None and a.op == ":" and a.value == "Summer2024!"


@pytest.mark.parametrize(
    "line",
    [
        'elif key == "oauth2Credential":',
        'if token_kind == "refresh_token_v2":',
        "        private_key = Ed25519PrivateKey.generate()",
    ],
)
def test_lookups_and_calls_in_code_are_not_credentials(line: str) -> None:
    keyword = line.index("key") if "key" in line else line.index("token")
    value = line.index('"') + 1 if '"' in line else line.index("Ed")
    end = line.index('"', value) if '"' in line else line.index("(")
    assert assess(line, keyword, value, path="mod.py", value_end=end) is None


def test_a_compared_literal_secret_is_still_assessed() -> None:
    line = 'if api_token == "Hv3Kz9Qm2Xw7Lp4Tn8Rb":'
    value = line.index('"') + 1
    got = assess(line, line.index("token"), value, path="mod.py", value_end=line.index('"', value))
    assert got is not None and got.value == "Hv3Kz9Qm2Xw7Lp4Tn8Rb"


@pytest.mark.parametrize("value", ["\\u2163", "I\\u00adX", "\\x41\\x42"])
def test_a_few_escaped_characters_are_not_a_password(value: str) -> None:
    line = f'client = connect(username="u", password="{value}")'
    start = line.index('password="') + len('password="')
    end = line.index('"', start)
    assert assess(line, line.index("password"), start, path="t.py", value_end=end) is None


def test_an_escaped_character_inside_a_long_password_is_kept() -> None:
    line = 'password = "Kq7\\u00e9vTz2!mPw9x"'
    start = line.index('"') + 1
    got = assess(line, 0, start, path="conf.py", value_end=line.index('"', start))
    assert got is not None
