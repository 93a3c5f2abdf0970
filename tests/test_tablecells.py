from __future__ import annotations

import pytest
import regex

from scanner.rulebook.loader import load_ruleset
from scanner.tablecells import MAX_ROWS, column_cells


def values(text: str, header: str = "") -> list[tuple[str, str]]:
    pos = text.index(header) if header else 0
    return [(c.name, text[c.start : c.end]) for c in column_cells(text, pos)]


def test_markdown_table_password_column() -> None:
    text = (
        "Accounts:\n\n"
        "| Service | User | Password |\n"
        "|---|:---:|---|\n"
        "| Grafana | admin | `Orbit-Kgfake-61` |\n"
        "| Jenkins | admin |  j3nk1ns-Kg!fake-x9  |\n"
        "| Router | admin | |\n"
        "\n"
        "| Other | table |\n"
    )
    assert values(text, "| Service") == [
        ("Password", "Orbit-Kgfake-61"),
        ("Password", "j3nk1ns-Kg!fake-x9"),
    ]


def test_markdown_needs_its_separator_and_stops_at_the_table_end() -> None:
    assert values("| User | Password |\n| admin | Kg-fake-Pw-61 |\n") == []
    text = "| User | Password |\n|---|---|\n| admin | Kg-fake-Pw-61 |\nprose | not a row\n"
    assert values(text) == [("Password", "Kg-fake-Pw-61")]


def test_escaped_pipe_stays_inside_its_cell() -> None:
    text = "| User | Password |\n|---|---|\n| admin | Kg\\|fake-61 |\n"
    assert values(text) == [("Password", "Kg\\|fake-61")]


@pytest.mark.parametrize(
    ("header", "row"),
    [
        # columns about a credential
        ("| Password hash | User |", "| x7Kq9fakeValue | admin |"),
        ("| Token type | User |", "| x7Kq9fakeValue | admin |"),
        # vague headers
        ("| Map | Key | Example |", "| metadata | `kg.fake.modelId`, `kg.fake.run` | str |"),
        ("| Test | Pass | Time |", "| metadata | `kg.fake.modelId`, `kg.fake.run` | str |"),
    ],
)
def test_headers_that_are_not_credential_columns(header: str, row: str) -> None:
    separator = "|---" * (header.count("|") - 1) + "|"
    assert values(f"{header}\n{separator}\n{row}\n") == []


def test_csv_export_with_quotes() -> None:
    text = (
        "id,email,full_name,password,created_at\n"
        '1001,m@kgfake.invalid,"Garcia, Marta",Maple$Kgfake88,2021-04-11\n'
        "1002,l@kgfake.invalid,Lena Vogel,,2022-06-02\n"
        '1003,p@kgfake.invalid,Pia,"Gopher,Kgfake5",2022-06-03\n'
    )
    assert values(text) == [("password", "Maple$Kgfake88"), ("password", "Gopher,Kgfake5")]


def test_tsv_and_semicolons() -> None:
    assert values("user\tpassword\nops\tGopher!Kgfake5\n") == [("password", "Gopher!Kgfake5")]
    assert values("user;api_key\nops;Zq8vL2mKgFake4pR7\n") == [("api_key", "Zq8vL2mKgFake4pR7")]


def test_a_row_with_another_cell_count_ends_the_export() -> None:
    text = "user,password\nops,Kg-fake-1\nbroken line without cells\nlater,Kg-fake-2\n"
    assert values(text) == [("password", "Kg-fake-1")]


def test_rows_are_bounded() -> None:
    text = "user,password\n" + "ops,Kg-fake-1\n" * (MAX_ROWS + 10)
    assert len(values(text)) == MAX_ROWS


def test_no_credential_column() -> None:
    assert values("id,email,created_at\n1,a@kgfake.invalid,2021\n") == []
    assert values("just one line of text with password in it\n") == []


def test_sql_insert_credential_column() -> None:
    text = (
        "INSERT INTO api_clients (client_id, `client_secret`, note) VALUES\n"
        "    ('billing', 'Kw5XKgFake-T7Rfq', 'it''s, (fine)'),\n"
        "    ('mobile', crypt('x', gen_salt('bf')), NULL),\n"
        "    ('batch', 'Zq8v''Kgfake', 'x'::text),\n"
        "    ('short', 'only two');\n"
        "INSERT INTO other (client_secret) VALUES ('not-this-statement');\n"
    )
    expected = [("client_secret", "Kw5XKgFake-T7Rfq"), ("client_secret", "Zq8v''Kgfake")]
    assert values(text) == expected


def test_sql_insert_without_credential_column_or_unclosed() -> None:
    assert values("INSERT INTO t (id, name) VALUES (1, 'Kgfake');") == []
    assert values("INSERT INTO t (id, password) VALUES (1, 'Kgfake-unclosed);") == []
    assert values("INSERT INTO t (id, password) SELECT id, pw FROM u;") == []


def test_sql_insert_prefilter_reaches_a_credential_column() -> None:
    """The SQL rule's Hyperscan stand-in runs into the column list up to a credential
    column's name: an application log's ``INSERT INTO audit (actor, action, key)`` on line
    after line does not make the rule's regex search every block it is in."""
    rule = load_ruleset().get("generic.sql-insert-credential-column")
    assert rule is not None and rule.spec.prefilter is not None
    loose = regex.compile(rule.spec.prefilter, regex.ASCII | regex.VERSION0)
    audit = "INSERT INTO audit (actor, action, key) VALUES ($1, 'password_reset', $2)"
    assert loose.search(audit) is None
    assert loose.search("insert into users (id, name,\n  password) values (1, 'ops', 'x');")
    assert loose.search('INSERT INTO "svc" (id, API_KEY) VALUES (1, :k)')
