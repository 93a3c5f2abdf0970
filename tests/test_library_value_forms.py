"""Value and name forms of Go, Ruby, PHP and Perl library source and their manual pages
(``valueforms``, ``valueshape``, ``nameshape``, the SASL PLAIN check): each form next to a
credential of a close shape that stays one. Values are synthetic."""

from __future__ import annotations

import base64

import pytest

from scanner.nameshape import Kind, name_info
from scanner.validators.structure import sasl_plain
from scanner.valueforms import form_reason, is_pointer_type, names_itself
from scanner.valueshape import reject_reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("%v\\nResponse:", "template"),
        ("%s: ", "template"),
        ("Kg::OAuth2::Profile::WebServer-", "identifier"),
        (":Web::KgAuthorizer#get_credentials", "identifier"),
        (":KgUtil.base64_encode", "identifier"),
        (":SHA256+", "identifier"),
        ("\\&fetch_password", "expression"),
        ("X-KgFake-Compute-API-Version", "header-name"),
        ("CreateKeyGroup2021_04_30", "identifier"),
        ("admin_server:464", "address"),
        ("_password", "identifier"),
        ("1000:1000::/home/user::userdb_mail=maildir:~/Mail", "passwd-fields"),
        ("Bug#4321", "reference"),
    ],
)
def test_library_forms_have_a_reason(value: str, reason: str) -> None:
    assert form_reason(value, quoted=True) == reason


@pytest.mark.parametrize(
    "value",
    ["%d3adB33fKg", "Kq7vTz2m::Pw9x", "X-9fK2pQ9xL4mR8vT1", "kg_host:Pw9x#2", "Bug#42Kq7vTz"],
)
def test_credentials_of_close_shapes_have_no_form(value: str) -> None:
    assert form_reason(value, quoted=True) == ""
    assert reject_reason(value, Kind.PASSWORD, quoted=True, code=True) == ""


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("\\s-1SECRET\\s0", "nullish"),  # pod2man's small capitals around a placeholder
        ("Kg::OAuth2::WebServer\\-", "identifier"),  # an escaped hyphen before ``>new``
        ("\\e&fetch_password", "expression"),  # an escaped backslash: ``\&fetch_password``
    ],
)
def test_roff_escapes_are_read_as_printed(value: str, reason: str) -> None:
    assert reject_reason(value, Kind.SECRET, quoted=False, code=False) == reason


def test_a_backslash_in_a_password_is_not_roff() -> None:
    assert reject_reason("Kq7\\vTz2-mPw9x", Kind.PASSWORD, quoted=True, code=False) == ""


def test_an_enumeration_constant_names_itself() -> None:
    assert names_itself("ContactStatusPostpass", "POSTPASS")
    assert not names_itself("ContactStatusPostpass", "Postpass9")  # digits: a password
    assert not names_itself("adminPassword", "word")  # too short to be the name's word


def test_pointer_types() -> None:
    assert is_pointer_type("*rsa.PrivateKey")
    assert is_pointer_type("*DeployTokensService")
    assert not is_pointer_type("*Kq7vTz2#mPw9x")
    assert not is_pointer_type("rsa.PrivateKey")


def test_a_source_file_is_no_setting_name() -> None:
    assert name_info("mod_kg_passwd.c").reason == "file name"
    assert name_info("kg/passwd.pm").reason == "file name"
    assert name_info("db.password").reason == ""
    assert name_info("secret.txt").reason == ""  # a file of a Kubernetes Secret's data


def _plain(user: bytes, password: bytes) -> str:
    return base64.b64encode(b"\0" + user + b"\0" + password).decode()


def test_sasl_plain_stand_ins() -> None:
    assert not sasl_plain(_plain(b"user", b"pass"))
    assert not sasl_plain(_plain(b"kgalice", b"kgalice"))
    assert sasl_plain(_plain(b"kgalice", b"Kq7vTz2mPw9x"))
