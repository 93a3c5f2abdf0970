"""Unit tests for the syntax of an assignment (``scanner.assignsyntax``) and for ``assess`` on
single lines of code."""

from __future__ import annotations

import pytest

from scanner.assignment import assess
from scanner.assignsyntax import (
    Assignment,
    keyword_argument,
    opens_keyword_argument,
    parse_assignment,
)
from scanner.nameshape import name_info
from testing.cases import unmark
from tests.casedata import table


@pytest.mark.parametrize(
    ("marked", "name", "op", "quote", "form"),
    [
        ('password = "<<Kq7#vTz2>>"', "password", "=", '"', "assign"),
        ("password: <<Kq7#vTz2>>", "password", ":", "", "assign"),
        ('"password": "<<Kq7#vTz2>>"', "password", ":", '"', "assign"),
        ("$password = '<<Kq7#vTz2>>';", "password", "=", "'", "assign"),
        ("'password' => '<<Kq7#vTz2>>',", "password", "=>", "'", "assign"),
        ('password := "<<Kq7#vTz2>>"', "password", ":=", '"', "assign"),
        ('setPassword("<<Kq7#vTz2>>")', "setPassword", "(", '"', "call"),
        ("<password><<Kq7#vTz2>></password>", "password", ">", "", "xml"),
        ("--password <<Kq7#vTz2>>", "--password", " ", "", "flag"),
        ("Password=<<Kq7#vTz2>>;Host=db", "Password", "=", "", "assign"),
        ("password=&quot;<<Kq7#vTz2>>&quot;", "password", "=", '"', "assign"),
        ('if password == "<<Kq7#vTz2>>":', "password", "==", '"', "compare"),
        ('db_password = "<<Kq7#vTz2!mPw9x>>"', "db_password", "=", '"', "assign"),
        ("password: <<Summer2024!>>", "password", ":", "", "assign"),
        # a type annotation between the name and "="
        ('const apiKey: string = "<<Wm5Qx8Tz2Lk7Rv4Nb9Pc>>";', "apiKey", "=", '"', "assign"),
        ('service_token: str = "<<Hv3Kz9Qm2Xw7Lp4Tn8Rb>>"', "service_token", "=", '"', "assign"),
        ('val smtpPassword: String = "<<Lk8#Vq2mZp>>"', "smtpPassword", "=", '"', "assign"),
        ('let secret: Option<String> = "<<Qm4v9XkP2r7T>>"', "secret", "=", '"', "assign"),
        ('static KEY: &\'static str = "<<Qm4v9XkP2r7T>>";', "KEY", "=", '"', "assign"),
        ('var apiKey string = "<<Wm5Qx8Tz2Lk7Rv4Nb9Pc>>"', "apiKey", "=", '"', "assign"),  # Go
    ],
)
def test_parse_assignment(marked: str, name: str, op: str, quote: str, form: str) -> None:
    text, start, end = unmark(marked)
    a = parse_assignment(text, text.index(name), start)
    assert a == Assignment(name, op, quote, text[start:end], start, end, form)


@pytest.mark.parametrize(
    ("marked", "name"),
    [
        ('token: str some "<<Hv3Kz9Qm2Xw7Lp4Tn8Rb>>"', "token"),  # no "="
        ('token: "a" = "<<Hv3Kz9Qm2Xw7Lp4Tn8Rb>>"', "token"),  # not a type name
        ('password: 1x = "<<Lk8#Vq2mZp>>"', "password"),  # a type starts with a letter
        ('password = "<<two words>>"', "password"),  # an unterminated literal
    ],
)
def test_other_text_between_name_and_value_is_not_an_assignment(marked: str, name: str) -> None:
    text, start, _ = unmark(marked)
    assert parse_assignment(text, text.index(name), start) is None


@pytest.mark.parametrize(("line", "word", "kept"), table("assignment", "assess_in_code"))
def test_assess_in_code(line: str, word: str, kept: bool) -> None:
    text, start, end = unmark(line)
    got = assess(text, text.index(word), start, path="mod.py", value_end=end)
    assert (got is not None) is kept
    assert got is None or got.value == text[start:end]


@pytest.mark.parametrize(("path", "line", "word"), table("assignment", "setter_calls"))
def test_setter_calls_take_a_credential(path: str, line: str, word: str) -> None:
    text, start, end = unmark(line)
    got = assess(text, text.index(word), start, path=path, value_end=end)
    assert got is not None and got.value == text[start:end]


@pytest.mark.parametrize(("line", "word"), table("assignment", "other_calls"))
def test_calls_that_do_not_take_a_credential(line: str, word: str) -> None:
    text, start, end = unmark(line)
    assert assess(text, text.index(word), start, path="src/app.js", value_end=end) is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("SetToken", ""),
        ("client.setSecret", ""),
        ("set_token", ""),
        ("setKey", "qualifier:set"),
        ("getToken", "qualifier:get"),
        ("set_token_url", "qualifier:url"),
    ],
)
def test_a_setter_name_names_its_credential(name: str, reason: str) -> None:
    assert name_info(name).reason == reason


@pytest.mark.parametrize(
    ("marked", "argument"),
    [
        ('client = AuthClient(<<token>>="Kd8sQ2vN5mR7tY3w")', "token"),
        ("auth = BearerAuth( <<secret>> = 'Kd8sQ2vN5mR7tY3w')", "secret"),
        ('const c = new TokenAuth({ <<apiKey>>: "Kd8sQ2vN5mR7tY3w" });', "apiKey"),
        ("creds = KeyCredential(<<key>>=r'Kd8sQ2vN5mR7tY3w')", "key"),
    ],
)
def test_keyword_argument_names_the_value_after_a_callee(marked: str, argument: str) -> None:
    text, start, end = unmark(marked)
    callee_end = text.index("(")
    value_pos = text.index("Kd8s")
    assert opens_keyword_argument(text, callee_end)
    assert keyword_argument(text, callee_end, value_pos) == (start, end)
    assert text[start:end] == argument


@pytest.mark.parametrize(
    "line",
    [
        'client = AuthClient("Kd8sQ2vN5mR7tY3w")',  # a positional argument: the callee names it
        'client = AuthClient(cfg, "Kd8sQ2vN5mR7tY3w")',
        'if AuthClient(x) == "Kd8sQ2vN5mR7tY3w":',
        'api_key = "Kd8sQ2vN5mR7tY3w"',
    ],
)
def test_no_keyword_argument_between_a_name_and_its_value(line: str) -> None:
    value_pos = line.index("Kd8s")
    name_end = line.index("(") if "(" in line else line.index(" ")
    assert keyword_argument(line, name_end, value_pos) is None


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (
            "main.tf",
            "  password = jsondecode(data.aws_secretsmanager_secret_version.db.secret_string)",
        ),
        ("vars.hcl", "  api_token = base64decode(var.token_b64)"),
        ("app.conf", "secret = lookup.value(name)"),
    ],
)
def test_a_bare_function_call_in_a_config_file_is_not_a_value(path: str, line: str) -> None:
    keyword = line.index("=") - 2
    value = line.index("=") + 2
    assert assess(line, keyword, value, path) is None


def test_a_quoted_value_holding_a_parenthesis_is_still_judged() -> None:
    line = 'password = "Kq7#vTz2(mPw9"'
    assert assess(line, 2, line.index('"'), "app.conf") is not None


@pytest.mark.parametrize(
    ("after", "kept"),
    [
        ("\n</config>", True),  # an element named key holds the key
        ("\n\t<integer>0</integer>", False),  # a property list's key holds a name
        ("<string>on</string>", False),
        ("\n<true/>", False),
    ],
)
def test_a_property_list_key_is_a_name(after: str, kept: bool) -> None:
    text = "<key>Kq7vTz2mPw9xLr4TbN8s</key>" + after
    got = assess(text, 1, text.index(">") + 1, path="conf/app.xml")
    assert (got is not None) is kept


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        # an S3-style pair: the access key is its id, the secret key its secret
        (
            'credentials {\n  "access_key" = "KGFAKEZAJBZOAKMBM403QGP6LDA7TIV"\n'
            '  "secret_key" = "veXx4Kgfake1sUPnoYVJiK8UVItl6c1wBNBtTLcNCb5NAE6bh"\n}',
            False,
        ),
        (
            'minio:\n  secretKey: "veXx4Kgfake1sUPnoYVJiK8UVItl6c1w"\n'
            '  accessKey: "KGFAKEZAJBZOAKMBM4"\n',
            False,
        ),
        # alone, an access key is the credential
        ('ipstack:\n  access_key: "4f2a9c7e1b8dkgfa4e2b9d7a4f1e8c33"\n  timeout: 5\n', True),
    ],
)
def test_an_access_key_beside_a_secret_key_is_the_pairs_id(text: str, kept: bool) -> None:
    name = text.lower().index("access")
    operator = min(p for p in (text.find("=", name), text.find(":", name)) if p != -1)
    value = text.index('"', operator)
    assert (assess(text, name, value, path="conf/app.conf") is not None) is kept
