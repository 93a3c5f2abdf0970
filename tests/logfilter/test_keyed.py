"""Secrets recognised by their key: libpq/DSN ``password=`` and JSON members named for a secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.logfilter.keyed import (
    DSN_RULE,
    KEYED_RULE,
    find_dsn_passwords,
    find_keyed_value,
    looks_like_value,
    names_secret,
)
from testing.cases import Cases, Predicate, predicate_cases
from testing.logfilter import make_framer, run_all

PASSWORD = "s3cr3t-Pa55"


PREDICATES = {
    names_secret: Cases(
        yes=[
            "password",
            "db_password",
            "PGPASSWORD",
            "AWS_SECRET_ACCESS_KEY",
            "Authorization",
            "x-api-key",
            "apiKey",
            "client_secret",
            "refresh_token",
            "credentials",
            "privateKey",
            "auth",
        ],
        # names that describe something about a secret, or nothing secret
        no=[
            "token_type",
            "token_count",
            "secret_name",
            "api_key_id",
            "password_changed",
            "session_key",
            "key",
            "cache_key",
            "auth_method",
            "expires_in",
            "message",
        ],
    ),
    looks_like_value: Cases(
        yes=[PASSWORD, "hunter2!x", "Zq8Wm3Lk9Vx2Rt6Yp3Nb8Vc1Qw5Er7Ty9Ui0Op"],
        # placeholders, references, prose, markers
        no=[
            "ok",
            "true",
            "bearer",
            "********",
            "${DB_PASSWORD}",
            "$PGPASSWORD",
            "changeme123",
            "[REDACTED:test.token]",
            "https://vault.internal/v1/db",
            "two words here",
            "12345678",
            "xxxxxxxxxx",
        ],
    ),
}


@pytest.mark.parametrize(("predicate", "value", "expected"), predicate_cases(PREDICATES))
def test_predicates(predicate: Predicate, value: str, expected: bool) -> None:
    assert bool(predicate(value)) is expected


def test_find_keyed_value_keeps_auth_scheme() -> None:
    hit = find_keyed_value("Authorization", "Bearer Fk7Q2zX9mL4vR8tW1pN6cB3yH5")
    assert hit is not None and hit.start == len("Bearer ") and hit.rule_id == KEYED_RULE
    assert find_keyed_value("Authorization", "Bearer ${TOKEN}") is None
    assert find_keyed_value("token_type", "Fk7Q2zX9mL4vR8tW1pN6cB3yH5") is None


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        (f"host=db port=5432 user=app password={PASSWORD} sslmode=require", PASSWORD),
        (f"dbname=orders password={PASSWORD} host=db", PASSWORD),
        (f"connecting: host=db user=app password='{PASSWORD}' sslmode=require", PASSWORD),
        ("dbname=app PASSWORD = 'it\\'s a secret' user=x", "it\\'s a secret"),
        (f"user=app password='{PASSWORD} with blank' host=db", f"{PASSWORD} with blank"),
    ],
)
def test_find_dsn_passwords_finds_value(line: str, secret: str) -> None:
    hits = find_dsn_passwords(line)
    assert hits and hits[0].rule_id == DSN_RULE
    assert line[hits[0].start : hits[0].end].startswith(secret)


@pytest.mark.parametrize(
    "line",
    [
        f"password={PASSWORD}",  # no other connection keyword: not a DSN
        "host=db user=app password=**** sslmode=require",
        "host=db user=app password=$PGPASSWORD",
        "host=db user=app password_changed=false",
        "host=db user=app db_password=abc",
    ],
)
def test_find_dsn_passwords_no_value(line: str) -> None:
    assert find_dsn_passwords(line) == []


def test_lines_dsn_password_redacted(rules_file: Path) -> None:
    framer, counters, reported = make_framer(rules_file)
    data = (
        "clean\n"
        f"host=db port=5432 user=app password={PASSWORD} sslmode=require\n"
        f"dbname=app password='{PASSWORD}' host=db\n"
        "host=db user=app password=**** sslmode=require\n"
    ).encode()
    out = run_all(framer, data).decode().splitlines()
    assert out == [
        "clean",
        f"host=db port=5432 user=app password=[REDACTED:{DSN_RULE}] sslmode=require",
        f"dbname=app password='[REDACTED:{DSN_RULE}]' host=db",
        "host=db user=app password=**** sslmode=require",
    ]
    assert counters.redactions == 2
    assert [line for _, line in reported] == [2, 3]


def test_json_nested_keyed_secrets_redacted(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file, fmt="json")
    records = [
        {"env": {"AWS_SECRET_ACCESS_KEY": "Zq8Wm3Lk9Vx2Rt6Yp3Nb8Vc1Qw5Er7Ty9Ui0Op"}},
        {"db": {"host": "db", "password": PASSWORD}},
        {"headers": {"Authorization": "Bearer Fk7Q2zX9mL4vR8tW1pN6cB3yH5"}},
        {"auth": {"token_type": "bearer", "expires_in": 3600}, "password": "${DB_PASSWORD}"},
    ]
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    out = [json.loads(line) for line in run_all(framer, data).decode().splitlines()]
    masked = f"[REDACTED:{KEYED_RULE}]"
    assert out == [
        {"env": {"AWS_SECRET_ACCESS_KEY": masked}},
        {"db": {"host": "db", "password": masked}},
        {"headers": {"Authorization": f"Bearer {masked}"}},
        records[3],
    ]
    assert counters.redactions == 3
    assert b"s3cr3t" not in run_all(make_framer(rules_file, fmt="json")[0], data)


def test_json_keyed_secret_unchanged_record_kept_byte_for_byte(rules_file: Path) -> None:
    framer, _, _ = make_framer(rules_file, fmt="json")
    line = '{"token_type":  "bearer", "secret_name": "db-credentials-prod-2024"}\n'
    assert run_all(framer, line.encode()).decode() == line
