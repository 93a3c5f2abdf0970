"""Placeholder filters (``scanner.filters``): runs and sequences make a stand-in of a token,
not of a human-made password that mixes cases and digits or symbols around them."""

from __future__ import annotations

import pytest

from scanner import filters
from scanner.matcher import Matcher
from testing.scan import scan_text, secrets_of


@pytest.mark.parametrize(
    ("value", "composed"),
    [
        ("Aa12345678910!!!!", True),
        ("Summer2024!!!!aaaa", True),
        ("Winter#2023zzzz", True),
        ("Kx9!!!!mTq2Lw", True),
        ("sk-1234567890", False),  # no upper case left: a demo key
        ("Abcdefgh12345678", False),  # a letter and a sequence
        ("aaaaaaaaaaaa", False),
        ("AAAA1111bbbb", False),  # nothing but runs
        ("Aa1!!!!", False),  # too short
        ("Xy7" + "!" * 40, False),  # too long for a typed password
    ],
)
def test_is_composed_password(value: str, composed: bool) -> None:
    assert filters.is_composed_password(value) is composed


@pytest.mark.parametrize(
    ("value", "generic", "placeholder"),
    [
        ("Summer2024!!!!aaaa", True, False),
        ("Summer2024!!!!aaaa", False, True),  # a provider token's format has no runs
        ("Aa12345678910!!!!", True, False),
        ("xxxxXXXX1234Ab", True, True),  # masked stays masked
        ("Changeme2024!!!!", True, True),  # a placeholder word stays one
        ("Kq7vTz2mPw9Xr4", True, False),
    ],
)
def test_runs_do_not_make_a_composed_password_a_placeholder(
    value: str, generic: bool, placeholder: bool
) -> None:
    assert filters.is_placeholder(value, strict_words=generic) is placeholder


@pytest.mark.parametrize(
    ("path", "text", "secret"),
    [
        ("src/settings.py", 'DB_PASSWORD = "Aa12345678910!!!!"\n', "Aa12345678910!!!!"),
        ("src/db.js", 'const dbPassword = "Summer2024!!!!aaaa";\n', "Summer2024!!!!aaaa"),
        ("cmd/db.go", 'dbPassword := "Kx9!!!!mTq2Lw"\n', "Kx9!!!!mTq2Lw"),
        (
            "src/main/java/Db.java",
            'private static final String DB_PASSWORD = "Winter#2023zzzz";\n',
            "Winter#2023zzzz",
        ),
        ("deploy/values.yaml", "db_password: Aa12345678910!!!!\n", "Aa12345678910!!!!"),
        (".env", 'DB_PASSWORD="Summer2024!!!!aaaa"\n', "Summer2024!!!!aaaa"),
        ("scripts/run.sh", "export DB_PASSWORD='Qwerty!!!!2024Xy'\n", "Qwerty!!!!2024Xy"),
        ("conf/db.xml", "<password>Qwerty!!!!2024Xy</password>\n", "Qwerty!!!!2024Xy"),
        ("conf/db.json", '{"password": "Aa12345678910!!!!"}\n', "Aa12345678910!!!!"),
    ],
)
def test_composed_passwords_are_reported(
    builtin_matcher: Matcher, path: str, text: str, secret: str
) -> None:
    assert secret in secrets_of(scan_text(builtin_matcher, text, path))


@pytest.mark.parametrize(
    "text",
    [
        'password = "aaaaaaaaaaaa"\n',
        'password = "Abcdefgh12345678"\n',
        "const apiKey = 'sk-1234567890';\n",
    ],
)
def test_runs_and_sequences_alone_are_still_placeholders(
    builtin_matcher: Matcher, text: str
) -> None:
    assert scan_text(builtin_matcher, text, "src/app.js") == []
