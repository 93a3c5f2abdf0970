"""Unit tests for scanner.assignment.parse_assignment: the operator and value spans."""

from __future__ import annotations

import pytest

from scanner.assignment import Assignment, parse_assignment


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
