"""Placeholder filters (``scanner.filters``): runs and sequences make a stand-in of a token,
not of a human-made password that mixes cases and digits or symbols around them."""

from __future__ import annotations

import pytest

from scanner import filters
from scanner.matcher import Matcher
from testing.scan import scan_text, secrets_of
from tests.casedata import table


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
    ("value", "stepped"),
    [
        ("abc123def456", True),  # along the alphabet and the digit row, by threes
        ("abc123def456ghi789", True),
        ("xyz789rst456", True),
        ("abc123", False),  # two runs: too few to tell
        ("abc12def456", False),  # a run of two
        ("a1b2c3d4e5f6", False),
        ("9775a026f1ca7d1c6c5af9d94d9595a4", False),
    ],
)
def test_is_stepped(value: str, stepped: bool) -> None:
    assert filters.is_stepped(value) is stepped
    assert filters.is_placeholder(value) is stepped


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


@pytest.mark.parametrize(("path", "text", "secret"), table("filters", "composed_passwords"))
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


@pytest.mark.parametrize(("value", "placeholder"), table("filters", "long_runs"))
def test_runs_in_long_one_case_keys(value: str, placeholder: bool) -> None:
    assert filters.has_long_run(value) is placeholder


@pytest.mark.parametrize(("value", "stand_in"), table("filters", "stand_in_words"))
def test_is_stand_in_word(value: str, stand_in: bool) -> None:
    assert filters.is_stand_in_word(value) is stand_in


@pytest.mark.parametrize(("value", "stand_in"), table("filters", "encoded_stand_ins"))
def test_is_encoded_stand_in(value: str, stand_in: bool) -> None:
    assert filters.is_encoded_stand_in(value) is stand_in
    assert filters.is_placeholder(value, strict_words=False) is stand_in


@pytest.mark.parametrize(
    ("value", "generic", "placeholder"),
    [
        ("pass!@#$%^&*()_+", True, True),  # the shifted digit row: an escaping test
        ("Passw0rd!@#$%^&*", True, False),  # a composed password keeps it
        ("Passw0rd!@#$%^&*", False, True),
        (" !\"#$%&'()*+,-.", True, True),
    ],
)
def test_symbol_sequences(value: str, generic: bool, placeholder: bool) -> None:
    assert filters.is_placeholder(value, strict_words=generic) is placeholder


def test_a_standards_example_credential_is_known_to_every_rule() -> None:
    # RFC 6749's example client (s6BhdRkqt3:gX1fBat3bV), as a Basic header's base64
    assert filters.is_known_example("czZCaGRSa3F0MzpnWDFmQmF0M2JW")
    assert not filters.is_known_example("a2dib3Q6Rms5UXpYMkxtN3ZQNHJU")


def test_stripes_documentation_test_key_is_known_but_another_test_key_is_not(
    builtin_matcher: Matcher,
) -> None:
    documented = 'stripe.api_key = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"\n'
    assert not scan_text(builtin_matcher, documented, "app/billing.py")
    own = 'stripe.api_key = "sk_test_Kg7vFakeQ2mX9pL4tR8zN3bF"\n'
    assert "stripe.secret-key-test" in {
        f.rule_id for f in scan_text(builtin_matcher, own, "app/billing.py")
    }


@pytest.mark.parametrize(("path", "text"), table("filters", "stand_ins"))
def test_stand_ins_are_not_reported(builtin_matcher: Matcher, path: str, text: str) -> None:
    assert scan_text(builtin_matcher, text, path) == []


@pytest.mark.parametrize(
    ("path", "text", "secret"),
    [
        (
            "src/client.py",
            'headers = {"Authorization": "Basic a2dib3Q6Rms5UXpYMkxtN3ZQNHJU"}\n',
            "a2dib3Q6Rms5UXpYMkxtN3ZQNHJU",
        ),
        ("src/db.py", 'DSN = "postgresql://dbuser:kx%40jj5%2Fg@pghost10/appdb"\n', "kx%40jj5%2Fg"),
        ("src/crypto.py", 'ENCRYPTION_KEY = "CBI6oDw8MydIx1IBntf_lQcw2MmJKIQx"\n', None),
    ],
)
def test_real_values_beside_stand_ins_are_kept(
    builtin_matcher: Matcher, path: str, text: str, secret: str | None
) -> None:
    found = secrets_of(scan_text(builtin_matcher, text, path))
    assert (secret in found) if secret else found


def test_hardhats_development_key_is_known_to_every_rule(builtin_matcher: Matcher) -> None:
    """Hardhat's account #0 key, printed by every local node: neither the wallet rule nor a
    generic one reports it; another key in the same places is reported."""
    known = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
    own = "0x3e7a9c1f5b2d8e4a6c0f9b3d7e1a5c8f2b6d0e4a9c3f7b1d5e8a2c6f0b4d9e3a"
    for form in ('const wallet = new ethers.Wallet("{k}");\n', 'DEPLOYER_PRIVATE_KEY="{k}"\n'):
        assert not scan_text(builtin_matcher, form.format(k=known), "scripts/deploy.ts")
        assert scan_text(builtin_matcher, form.format(k=own), "scripts/deploy.ts")


@pytest.mark.parametrize(
    ("value", "template"),
    [
        # WordPress salts and generated passwords hold ``${`` or ``{{`` by chance
        ('tw^H_Q8/yVh(J0jG^jn2Z]V8{{N7E1/+(GEL"jFP$TN9?f{;Ru^x74r`h!c<qV[4', False),
        ('kP@Q+^a|SC"Pt#d/&c-b&![ANaQ-ruhpnR3.-pYf3L${J1~[z1e4YHN,_M9NjQaa', False),
        # Django's generated keys: no upper case, 50 characters, ``%(`` by chance
        ("m2w@k9%()e7r!x4&p1-q8z^t5+v3#c6*n0=h(u)j_ys8fd$lbq", False),
        ("django-insecure-r4%(-zq8&v1m@x6!p0w#t7^k2+e9*n3=g5yh", False),
        # a closed, named format in a long lower-case value stays one
        ("x8%(name)s-q2&w7!p1@z9#k3^t6*r0=v5+m4_c(e)ufdl", True),
        ("%(asctime)s %(levelname)-8s %(name)s: %(message)s", True),
        # written templates, closed, stay templates however long and mixed the text around them
        ("${DB_PASSWORD}", True),
        ("{{ .Values.db.password }}", True),
        ("pre-${SECRET_X}-Ab1!xyz#$%^&*()_+LongValue", True),
        ("Xy7#kLm9!qR2$(date +%s)@zzT-more-Text-42", True),
        ("{{", True),  # a short value cut at a blank: not random, still a template
        # FreeRADIUS, Ruby and Zabbix forms; a generated password holding ``%{`` by chance
        ("%{Fake-User-Name}", True),
        ("{$KG.FAKE.SECRET}", True),
        ("kg[{#FAKEOBJ},Count]", True),
        ("Qw9%{zT4#kL2@pX7!mN8&vB3^Hj", False),
    ],
)
def test_template_needs_a_closed_form_inside_symbol_soup(value: str, template: bool) -> None:
    assert filters.is_template(value) is template


@pytest.mark.parametrize(
    ("value", "member"),
    [
        ("AxisOrder.AUTHORITY", True),
        ("HTTPStatus.OK", True),
        ("OAuth2Scope.READ", True),
        ("BUTG1K1DQmBvb.J1", False),  # a password with one dot
    ],
)
def test_is_enum_member(value: str, member: bool) -> None:
    assert filters.is_enum_member(value) is member
