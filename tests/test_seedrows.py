"""seedrows: the passwords of literal account collections in seed scripts."""

from __future__ import annotations

import pytest

from scanner.seedrows import SEED_HEAD, is_password_like, seed_values


def values(text: str) -> list[str]:
    """The passwords of the first account collection assigned in ``text``."""
    head = SEED_HEAD.search(text)
    return [text[s:e] for s, e in seed_values(text, head.start())] if head else []


def test_nothing_unless_an_assignment_starts_there() -> None:
    text = 'x = 1\nUSERS = [("admin", "Adm1n!KgFake")]\n'
    assert list(seed_values(text, 0)) == []


@pytest.mark.parametrize(
    ("text", "passwords"),
    [
        # tuples give their second item; an empty one is no password, a later collection not
        # part of the first
        (
            "SEED_USERS = [\n"
            '    ("admin", "Adm1n!KgFake", "admin"),\n'
            "    ('ops', 'letmein-kg-77', 'operator'),  # on-call\n"
            '    ("guest", "", DEFAULT_ROLE),\n'
            "]\n"
            'OTHER = [("x", "NotPartOfIt1")]\n',
            ["Adm1n!KgFake", "letmein-kg-77"],
        ),
        # a mapping gives its quoted values
        (
            "SERVICE_ACCOUNTS = {\n"
            '    "billing-svc": "Bill1ng$kg-Fake",\n'
            '    "report-svc": None,\n'
            '    "ci": "Ci#Kg2fake",\n'
            "}\n",
            ["Bill1ng$kg-Fake", "Ci#Kg2fake"],
        ),
        # Ruby and typed forms
        ('ADMIN_LOGINS = [["root", "R00t!KgFake"]]', ["R00t!KgFake"]),
        ('USERS = { "alice" => "Al1ce#KgFake" }', ["Al1ce#KgFake"]),
        ('test_users: list[tuple[str, str]] = [("qa", "Qa!Kg-Fake9")]', ["Qa!Kg-Fake9"]),
        ("const demoAccounts = [['demo', 'D3mo!KgFake']];", ["D3mo!KgFake"]),
    ],
)
def test_account_rows_give_their_passwords(text: str, passwords: list[str]) -> None:
    assert values(text) == passwords


@pytest.mark.parametrize(
    "text",
    [
        "SEED_USERS = []",
        "USERS = [User('admin', password)]",  # calls, not tuples of literals
        'USERS = [("admin", password)]',  # the password is a variable
        'ROLES = [("admin", "Adm1n!KgFake")]',  # not a collection of accounts
        'USERS = [{"name": "admin", "password": "Adm1n!KgFake"}]',  # dicts: the assignment rules
        'USERS = {"alice": get_password("alice")}',
        'USER_COUNT = 3\nx = [("a", "Adm1n!KgFake")]',
        'users = [("admin", "unterminated)]',
        'USERS = {"alice": "admin", "bob": "viewer"}',  # user to role
        'USERS = [("alice", "alice@kg.invalid"), ("bob", "Bob Smith")]',
    ],
)
def test_not_account_rows(text: str) -> None:
    assert values(text) == []


def test_reads_within_its_bound() -> None:
    rows = "".join(f'    ("u{i}", "Pw{i}!KgFake"),\n' for i in range(3000))
    found = values("USERS = [\n" + rows + "]\n")
    assert len(found) == 2000 and found[0] == "Pw0!KgFake"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Adm1n!KgFake", True),
        ("letmein-kg-77", True),
        ("hunter2", True),
        ("viewer", False),
        ("Operator", False),
        ("alice@kg.invalid", False),
        ("Bob Smith", False),
        ("", False),
    ],
)
def test_is_password_like(value: str, expected: bool) -> None:
    assert is_password_like(value) is expected
