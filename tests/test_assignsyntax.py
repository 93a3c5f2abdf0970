"""Line arithmetic of ``scanner.assignsyntax``: the lines around a position, within a limit;
the XML element and PHP append forms of ``parse_assignment``; the shortcut of
``opens_keyword_argument``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.assignsyntax import (
    _OPENS_KEYWORD_ARGUMENT,
    BLOCK_STRING_REACH,
    Assignment,
    in_assigned_block_string,
    is_interpolated,
    line_bounds,
    lines_ahead,
    lines_back,
    opener_length,
    opens_keyword_argument,
    parse_assignment,
)
from tests.casedata import table

TEXT = "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n"


def test_line_bounds() -> None:
    c = TEXT.index("c")
    assert TEXT[slice(*line_bounds(TEXT, c, c + 1))] == "c = 3"


def test_lines_back_counts_the_current_line_as_one() -> None:
    d = TEXT.index("4")
    assert lines_back(TEXT, d, 1) == TEXT.index("d")
    assert lines_back(TEXT, d, 3) == TEXT.index("b")
    assert lines_back(TEXT, d, 10) == 0  # the top of the text
    assert lines_back(TEXT, d, 10, limit=8) == d - 8  # never further back than the limit


def test_lines_ahead_ends_lines_after_the_current_one() -> None:
    b = TEXT.index("2")
    assert lines_ahead(TEXT, b, 0, 100) == TEXT.index("\n", b)
    assert lines_ahead(TEXT, b, 2, 100) == TEXT.index("\ne")
    assert lines_ahead(TEXT, b, 10, 100) == len(TEXT)
    assert lines_ahead(TEXT, b, 10, limit=4) == b + 4


@pytest.mark.parametrize(("text", "name", "value"), table("assignsyntax", "xml_element_text"))
def test_xml_element_text(text: str, name: str, value: str) -> None:
    start = text.index(value)
    for value_end in (None, start + len(value)):
        a = parse_assignment(text, text.index(name), start, value_end)
        assert a == Assignment(name, ">", "", value, start, start + len(value), "xml")


@pytest.mark.parametrize(
    ("text", "name", "value"), table("assignsyntax", "xml_element_text_near_misses")
)
def test_xml_element_text_near_misses(text: str, name: str, value: str) -> None:
    start = text.index(value)
    assert parse_assignment(text, text.index(name), start) is None


@pytest.mark.parametrize(
    ("text", "name", "op", "opener", "value"),
    [
        # PHP's append operator
        ("$apiKey .= 'Tn4Wq8Lz2Kx9Rv6Mb3Pc';", "apiKey", ".=", "'", "Tn4Wq8Lz2Kx9Rv6Mb3Pc"),
        ("$config['db_password'] .= \"Kq7#vTz2!mPw\";", "db_password", ".=", '"', "Kq7#vTz2!mPw"),
        (
            "$this->secretToken.='Tn4Wq8Lz2Kx9Rv6Mb3Pc';",
            "secretToken",
            ".=",
            "'",
            "Tn4Wq8Lz2Kx9Rv6Mb3Pc",
        ),
        # an INI value in three quotes, which may hold # or ; (grafana.ini)
        ('password = """Gr4#fake;KgDb"""', "password", "=", '"""', "Gr4#fake;KgDb"),
        ("DB_PASSWORD = '''Kq7#vTz2!mPw'''", "DB_PASSWORD", "=", "'''", "Kq7#vTz2!mPw"),
        # a literal with prefix letters (bytes, raw, verbatim) before its quote
        ('client_secret = rb"Zq8vL2mKg4pR7tX1"', "client_secret", "=", 'rb"', "Zq8vL2mKg4pR7tX1"),
        ('const API_SECRET: &str = r#"Zq8vL2mKg4pR7"#;', "API_SECRET", "=", 'r#"', "Zq8vL2mKg4pR7"),
        ('var apiSecret = @"Zq8vL2mKg4pR7tX1";', "apiSecret", "=", '@"', "Zq8vL2mKg4pR7tX1"),
        ("api_secret = b'Zq8vL2mKg4pR7tX1'", "api_secret", "=", "b'", "Zq8vL2mKg4pR7tX1"),
    ],
)
def test_quoted_values(text: str, name: str, op: str, opener: str, value: str) -> None:
    start = text.index(value)
    assert opener_length(text, start - len(opener)) == len(opener)
    quote = opener.lstrip("br#@")  # after the prefix letters
    prefix = opener.removesuffix(quote)
    a = parse_assignment(text, text.index(name), start)
    assert a == Assignment(name, op, quote, value, start, start + len(value), "assign", prefix)


SINGLE3, DOUBLE3 = "'" * 3, '"' * 3
MODULE = (
    f"DOCUMENTATION = r{SINGLE3}\nmodule: kg_fake\n{SINGLE3}\n\n"
    f"EXAMPLES = {SINGLE3}\n- kg.fake.user:\n    password: oedu2eGhKg\n{SINGLE3}\n\n"
    "def run(password: KgSecret) -> None:\n"
    f"    {DOUBLE3}Docstring.\n\n    password: KgDocField\n    {DOUBLE3}\n"
    "    token: KgAnnotated = load()\n"
)


@pytest.mark.parametrize(
    ("needle", "inside"),
    [
        ("oedu2eGhKg", True),  # EXAMPLES, a string: YAML, not code
        ("module: kg_fake", True),  # DOCUMENTATION, a raw string
        ("KgSecret", False),  # code between the strings
        ("KgDocField", False),  # a function's docstring: no name is assigned the string
        ("KgAnnotated", False),  # code after a docstring closed
    ],
)
def test_in_assigned_block_string(needle: str, inside: bool) -> None:
    assert in_assigned_block_string(MODULE, MODULE.index(needle)) is inside


def test_an_opener_beyond_the_reach_is_not_looked_for() -> None:
    filler = "x: 1\n" * (BLOCK_STRING_REACH // 5)
    text = f"EXAMPLES = {DOUBLE3}\n{filler}password: Kq7vTz2mKg\n"
    assert not in_assigned_block_string(text, text.index("Kq7vTz2mKg"))


def test_triple_quoted_literal_must_close_with_its_quotes() -> None:
    text = 'password = """Gr4#fake;KgDb\nmore"""'
    start = text.index("Gr4")
    assert parse_assignment(text, text.index("password"), start) is None


def test_php_append_needs_the_operator_whole() -> None:
    text = "$apiKey . 'Tn4Wq8Lz2Kx9Rv6Mb3Pc';"  # a concatenation, not an assignment
    assert parse_assignment(text, text.index("apiKey"), text.index("Tn4")) is None


@pytest.mark.parametrize(
    ("text", "name", "value"),
    [
        # a T-SQL national string: N'...'
        ("@rmtpassword = N'NimbusKg-9893';", "rmtpassword", "NimbusKg-9893"),
        ("PASSWORD = N'Rp4*summitKg7',", "PASSWORD", "Rp4*summitKg7"),
        # a PL/SQL declaration with its type between the name and ':='
        ("c_api_pass    CONSTANT VARCHAR2(50)  := 'Vx4-hollow-Kg';", "c_api_pass", "Vx4-hollow-Kg"),
        ("l_pwd varchar2(30) := 'Hv7!metaKg2q';", "l_pwd", "Hv7!metaKg2q"),
    ],
)
def test_sql_literals_and_declarations(text: str, name: str, value: str) -> None:
    start = text.index(value)
    a = parse_assignment(text, text.index(name), start, start + len(value))
    assert a is not None
    assert (a.name, a.value, a.op) == (name, value, "=")


def test_a_sql_type_name_alone_is_no_operator() -> None:
    text = "c_api_pass VARCHAR2(50) 'Vx4-hollow-Kg'"
    assert parse_assignment(text, 0, text.index("Vx4"), text.index("Vx4") + 13) is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="(){}\"' \t=:ab_1", max_size=20), st.integers(0, 22))
def test_opens_keyword_argument_shortcut_agrees_with_its_pattern(text: str, pos: int) -> None:
    """The check for a ``(`` within three characters only skips texts the pattern rejects."""
    expected = _OPENS_KEYWORD_ARGUMENT.match(text, pos) is not None
    assert opens_keyword_argument(text, pos) == expected


def test_prefix_letters_need_a_quote_after_them() -> None:
    assert opener_length("rbx = 1", 0) == 0
    assert opener_length("bu'x'", 0) == 3
    assert opener_length("ba'x'", 0) == 0


@pytest.mark.parametrize(
    ("text", "name", "value", "interpolated"),
    [
        ('plan_key = f"{build_key[0]}-{build_key[1]}"', "plan_key", "{build_key[0]}-", True),
        ('AGENT_KEY = rf"{_KG_KEY}\\Agent"', "AGENT_KEY", "{_KG_KEY}", True),
        ('var token = $"{a}:{b}";', "token", "{a}:{b}", True),
        ('key = "x_|-{}/ca.crl_|-{}".format(a, b)', "key", "x_|-{}/ca.crl_|-{}", True),
        # no field, an escaped brace, or nothing fills the fields in
        ('token = f"Zq8vL2mKg4pR7tX1"', "token", "Zq8vL2mKg4pR7tX1", False),
        ('token = f"Zq8v{{L2mKg4}}pR7"', "token", "Zq8v{{L2mKg4}}pR7", False),
        ('token = "Zq8v{L2mKg4}pR7"', "token", "Zq8v{L2mKg4}pR7", False),
        ('token = "Zq8v{L2mKg4}pR7".strip()', "token", "Zq8v{L2mKg4}pR7", False),
    ],
)
def test_is_interpolated(text: str, name: str, value: str, interpolated: bool) -> None:
    start = text.index(value)
    end = text.index(text[start - 1], start)  # the closing quote
    a = parse_assignment(text, text.index(name), start, end)
    assert a is not None
    assert is_interpolated(text, a) is interpolated
