"""Value filters for code in languages other than Python (``scanner.filters``): ``::`` paths,
raw bytes, interpolated variables next to escapes, declared types, counting hex bytes and the
keys of cryptographic test vectors; and the real credentials next to them that are still found.
Measured on published Go, Rust, Perl, PHP, Ruby and JS packages; every line is synthetic."""

from __future__ import annotations

import pytest

from scanner import filters, testvectors
from scanner.matcher import Matcher
from testing.cases import Cases, Predicate, predicate_cases
from testing.scan import scan_text, secrets_of
from tests.casedata import table


@pytest.fixture
def matcher(builtin_matcher: Matcher) -> Matcher:
    return builtin_matcher


PREDICATES: dict[Predicate, Cases] = {
    filters.is_code_path: Cases(
        yes=[
            "Fake::Widget::VERSION_2B",
            ":SignatureFake::HMAC_SHA9",  # what a ``:`` read as the assignment leaves
            ":keyguard_from_der_unchecked",
            "&kgfake::Prk",  # a Rust reference type
            "KG::Fake::CredentialStore-",  # ``KG::EC2::Security::CredentialCache->get()``
        ],
        no=[
            "Kq7vTz2mPw9Xr4",
            "Zq9:mR4x:Lw2",  # colons, no path
            ":Kq7#vTz2!mPw",  # a password that starts with a colon
            "fe80::1ff:fe23",  # an address: hex groups, not names
        ],
    ),
    filters.is_binary: Cases(
        yes=[
            "\x9b\xbeCk\xa9@\xf0\x17",
            "Kq\x05vTz2mPw9",
            "\\x00c\\x0f\\xeaC\\xe1L\\x1c",  # the bytes literal as written
        ],
        no=[
            "Kq7vTz2mPw9Xr4",
            "Kq7vTz2mPw9\u00e9Xr4",  # an accented letter is text
            "Kq7v\\x41Tz2m\\x42Pw9",  # escaped printable letters
        ],
    ),
    # a variable next to escapes is a template
    filters.is_template: Cases(
        yes=[
            "\\0$kgsecret",  # PHP "\0$secret": a NUL byte, then the variable
            "$kgself\\-",  # troff's escaped hyphen after a Perl variable
            "$kgsecret",
        ],
        no=[
            "my$ecretKgPw9",  # a dollar inside a password
            "\\$Kq7vTz2mPw9",  # an escaped dollar, then letters and digits: a literal
        ],
    ),
    testvectors.has_counting_bytes: Cases(
        yes=[
            "000102030405060708090a0b0c0d0e0f",
            "7F808182838485868788898A",
            "a0a1a2a3a4a5a6a7a8",
            "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff0001",  # wraps at 0xff
            "c1" + "000102030405060708",  # odd phase
        ],
        no=["9d23bd4149cb979ccf3c5c94dd217e98", "00010203040506"],  # the second: seven bytes
    ),
}


@pytest.mark.parametrize(("predicate", "value", "expected"), predicate_cases(PREDICATES))
def test_predicates(predicate: Predicate, value: str, expected: bool) -> None:
    assert bool(predicate(value)) is expected


@pytest.mark.parametrize("value", ["string", "[]byte", "String", "&str", "string``"])
def test_type_names_are_placeholders_for_every_rule(value: str) -> None:
    assert filters.is_placeholder(value, strict_words=False)


VECTOR_GO = """var kgVectors = []kgCase{
\t{
\t\tnonce:  "5e1c2a7f93b04d68a1f7c3e9",
\t\tkey:    "8a3f1e6c92b75d04e8a1c3f79b2d6e05f4a8c1e7d3b90a6f2c5e8d1b7a4f3c96",
\t\tinput:  "",
\t\toutput: "",
\t},
}
"""
VECTOR_RUST = """    fn kg_cipher_case() {
        let pt = "4b6579477561726420666b";
        let ct = "e71fa2c4d83b9e05f6a1";
        let key = "3c9e1f7a5b2d8e4c6a0f9b3d7e1c5a82";
        let iv = "";
        kg_cipher(pt, ct, key, iv);
    }
"""
VECTOR_PSS = """Digest = SHA256
Msg = 4b657947756172642070737320766563746f72206d657373616765
Salt = 7e2b9d4f1a6c3e8b5d0f7a2c9e4b1d6f3a8c5e0b7d2f9a4c1e6b3d8f5a0c7e2b
Sig = c3a91f5e7b2d8c4a6f0e9b3d1c7a5e2f8b4d0c6a9e3f1b7d5c2a8e4f0b6d9c3a
Result = Pass
"""
VECTOR_LONE = 'key = "8a3f1e6c92b75d04e8a1c3f79b2d6e05f4a8c1e7d3b90a6f2c5e8d1b7a4f3c96"\n'


def test_is_test_vector() -> None:
    go_key = VECTOR_GO.index("key:")
    assert testvectors.is_test_vector(
        "8a3f1e6c92b75d04e8a1c3f79b2d6e05f4a8c1e7d3b90a6f2c5e8d1b7a4f3c96", VECTOR_GO, go_key
    )
    rust_key = VECTOR_RUST.index("let key")
    assert testvectors.is_test_vector("3c9e1f7a5b2d8e4c6a0f9b3d7e1c5a82", VECTOR_RUST, rust_key)
    # no sibling fields, or a value that is not hex: not a vector
    assert not testvectors.is_test_vector(
        "8a3f1e6c92b75d04e8a1c3f79b2d6e05f4a8c1e7d3b90a6f2c5e8d1b7a4f3c96", VECTOR_LONE, 0
    )
    assert not testvectors.is_test_vector("Kq7vTz2mPw9Xr4Lw2Zq9", VECTOR_GO, go_key)
    # an application signing with its own hard-coded secret: no cipher field beside it
    hmac_app = 'secret = "5be0c19a7d3e2f4a"\nmsg = request.body\ndigest = sign(secret, msg)\n'
    assert not testvectors.is_test_vector("5be0c19a7d3e2f4a", hmac_app, 0)
    # a signature vector's salt: marked by its message and signature
    salt = VECTOR_PSS.index("Salt")
    salt_value = "7e2b9d4f1a6c3e8b5d0f7a2c9e4b1d6f3a8c5e0b7d2f9a4c1e6b3d8f5a0c7e2b"
    assert not testvectors.is_test_vector(salt_value, VECTOR_PSS, salt)
    marks = testvectors.SIGNATURE_FIELDS | testvectors.CIPHER_FIELDS
    assert testvectors.is_test_vector(salt_value, VECTOR_PSS, salt, marks=marks)


NOISE = [
    ("lib/KG/Fake.pm", "$KG::OAuthFake::PROTOCOL = KG::OAuthFake::PROTOCOL_VERSION_2B;\n"),
    ("lib/KG/Fake.pm", "package KG::OAuthFake::SignatureMethod::HMAC_SHA9;\n"),
    ("lib/KG/Iam.pm", "    my $creds = KG::EC2::Security::CredentialCache->get();\n"),
    ("src/quic.rs", "    fn new(suite: &'static KgSuite, secret: &kgkdf::Prk) -> Self {\n"),
    ("src/tls.rs", "        KgTrafficSecrets::Aes128Gcm { key, salt, iv }\n"),
    ("src/prf.rs", '        let secret = b"\\x9b\\xbe\\x43\\x6b\\xa9\\x40\\xf0\\x17\\xb1\\x76";\n'),
    ("src/Crypt/Kg.php", '        $secret = "\\0$secret";\n'),
    ("pkg/kg/ldap.go", "\tLDAPUsername, LDAPPassword string\n"),
    ("docs/ldap.rst", "# a declaration: ``LDAPUsername, LDAPPassword string``\n"),
    ("src/KgClient.php", "            \\CURLOPT_KEYPASSWD => 'passphrase',\n"),
    ("pkg/kg/jws_test.go", '\ttestKeyECPubX = "q3Vd9Lk2Rt7Wm4Xb8Nc1Pz6Hs5Jf0Ga3Ke9Ty2Ui4O"\n'),
    ("docs/ws.pod", "    Sec-WebSocket-Key: IDk0NzE4MjYzMDUxODQ3Mg==\n"),
    ("src/test.rs", "//! Key = 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\n"),
    ("kg/vectors_test.go", VECTOR_GO),
    ("src/symm.rs", VECTOR_RUST),
    ("tests/kg_pss_tests.txt", VECTOR_PSS),
    ("kg/fixtures.go", '      "auth_username": "7QvLtcsWqNN5jFzcT6wi",\n'),
    (
        "dist/kg/constants.js",
        'const KG_DEV = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey='
        'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;";\n',
    ),
]


@pytest.mark.parametrize(("path", "text"), NOISE)
def test_code_shapes_are_not_findings(matcher: Matcher, path: str, text: str) -> None:
    assert scan_text(matcher, text, path) == []


@pytest.mark.parametrize(("path", "text", "secret"), table("filters_code_shapes", "found"))
def test_credentials_beside_them_are_found(
    matcher: Matcher, path: str, text: str, secret: str
) -> None:
    assert secret in secrets_of(scan_text(matcher, text, path))
