"""Forms of JavaScript/TypeScript and Rust package source (and the documentation shipped with it)
that sit where a credential would but are something else, each next to the credential of the
same shape that must still be found: seen on Debian's node-* and librust-*-dev packages."""

from __future__ import annotations

import pytest

from scanner.matcher import Matcher
from testing.scan import rule_secrets, scan_text

# a synthetic PKCS#8 body and a synthetic PKCS#1 body, three and two lines
_PKCS8 = (
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgFakeKeyGuardJsDoc",
    "Q9z7Lm2vTq8Wx3Rk5Np0Ys4Hd6Jf1Gc9Bv2Xe7Ua3Ko8Ri5Mw0Tz4Ql6Sn1Pd7Vh2",
    "Cj9Ff3Lb8Ng5Hm0Kx7Wq4Er6Ty1Ui3Op9As2Df5Gh8Jk0Lz",
)
_PKCS1 = (
    "MIIBOgIBAAJBAKgFakeKeyGuardRustDocQ9z7Lm2vTq8Wx3Rk5Np0Ys4Hd6Jf1Gc",
    "9Bv2Xe7Ua3Ko8Ri5Mw0Tz4Ql6Sn1Pd7Vh2Cj9Ff3Lb8Ng5Hm0Kx7Wq4Er6Ty1Ui3",
)


_KEY_ID = "KGFA:KE00:EXAM:PLE0:ABCD:EFGH:IJKL:MNOP:QRST:UVWX:YZ23:4567"
_EC = [
    "MHcCAQEEIAFFI/BU8zz+7Ic5ybOXKs6/FY9SKAxeEaNKxUYhR2fRoAoGCCqGSM49",
    "AwEHoUQDQgAE6XFPP+mC49P4HBtkxKhULU0iwsXGV+SzBFmKi/DcgRFaPTue+TGn",
    "wpPkY/u9C0bWYU/EugIH9rn+LI5TtSC/Pg==",
]


@pytest.mark.parametrize(
    ("text", "path"),
    [
        # package.json: a dependency whose name holds "pass", and its version range
        ('  "dependencies": {\n    "minipass": "^4.0.0",\n', "kgfake/package.json"),
        ('    "getpass": "~0.1.1",\n    "kg-passport": ">=1.2.0"\n', "kgfake/package.json"),
        # Rust: a path read up to its turbofish
        ("        let p: Password = Vec::<u8>::arbitrary(&mut g).into();\n", "src/key.rs"),
        ("        let secret_key = buf.read_i32::<BigEndian>()?;\n", "src/backend.rs"),
        # Rust tests naming the key files they load
        ('            key: "kgfake-alice-bob-nistp256.pgp",\n', "src/signature.rs"),
        (
            '    let test = Cert::from_bytes(crate::tests::key("7kq2zr-kgrsa.pgp"))?;\n',
            "src/cert.rs",
        ),
        # a changelog's prose before a Markdown link, a header described in prose
        (
            "- Keep letter case of response header keys [`#1098`](https://git.kg.invalid/p/1098)\n",
            "doc/changelog",
        ),
        (
            "  * **customHeaders** _(Optional)_ headers for the token request [kgfake requires"
            " `Authorization: Basic Base64(clientId:clientSecret)` ](https://kg-fake.invalid/o)\n",
            "doc/README.md",
        ),
        # a URL with a password on a documentation host
        ('/// let url = Url::parse("ftp://rms:Kg7Fake123@example.com")?;\n', "src/lib.rs"),
    ],
)
def test_js_rust_source_forms_are_not_reported(
    builtin_matcher: Matcher, text: str, path: str
) -> None:
    assert rule_secrets(builtin_matcher, text, path) == set()


@pytest.mark.parametrize(
    ("text", "path", "rule", "secret"),
    [
        # the same settings holding credentials
        ('  "password": "^Kq7vTz2m!",\n', "config/kgfake.json", "generic.password", "^Kq7vTz2m!"),
        (
            '        let p: Password = "Kq7#vTz2Lm9x".into();\n',
            "src/key.rs",
            "generic.password",
            "Kq7#vTz2Lm9x",
        ),
        (
            "    ftp://sync:Kg4FakeMirror9@files.kg-fake.invalid/pub\n",
            "doc/mirrors.md",
            "ftp.url-password",
            "Kg4FakeMirror9",
        ),
        (
            "Authorization: Basic ops-export:Kg-Pumpkin-Fake7\n",
            "requests/export.http",
            "generic.basic-auth-header-plain",
            "Kg-Pumpkin-Fake7",
        ),
        # a private key in a JSDoc example, every line under " * "
        (
            "/**\n * const pkcs8 = `-----BEGIN PRIVATE KEY-----\n * "
            + "\n * ".join(_PKCS8)
            + "\n * -----END PRIVATE KEY-----`\n */\n",
            "dist/deno/key/import.ts",
            "privatekey.pkcs8",
            "\n * ".join(_PKCS8),
        ),
        # in a Rust crate-level doc comment, every line under "//! "
        (
            '//! const SAMPLE: &str = "-----BEGIN RSA PRIVATE KEY-----\n//! '
            + "\n//! ".join(_PKCS1)
            + '\n//! -----END RSA PRIVATE KEY-----\n//! ";\n',
            "src/lib.rs",
            "privatekey.rsa",
            "\n//! ".join(_PKCS1),
        ),
        # with a header line before the body (libtrust's keyID): a multi-line form the rule
        # examples cannot hold, as the notebook form of the examples splits the header off
        (
            "-----BEGIN EC PRIVATE KEY-----\nkeyID: "
            + _KEY_ID
            + "\n\n"
            + "\n".join(_EC)
            + "\n-----END EC PRIVATE KEY-----\n",
            "certs/trust-key.pem",
            "privatekey.ec",
            "\n".join(_EC),
        ),
        # a footer typed with four dashes (a copy that lost one) still closes the key
        (
            "const pkcs8 = `-----BEGIN PRIVATE KEY-----\n"
            + "\n".join(_PKCS8)
            + "\n-----END PRIVATE KEY----`\n",
            "src/keys.ts",
            "privatekey.pkcs8",
            "\n".join(_PKCS8),
        ),
        # and in a shell or YAML comment, every line under "# "
        (
            "# -----BEGIN RSA PRIVATE KEY-----\n# "
            + "\n# ".join(_PKCS1)
            + "\n# -----END RSA PRIVATE KEY-----\n",
            "deploy/notes.sh",
            "privatekey.rsa",
            "\n# ".join(_PKCS1),
        ),
    ],
)
def test_the_same_shapes_with_credentials_are_reported(
    builtin_matcher: Matcher, text: str, path: str, rule: str, secret: str
) -> None:
    assert (rule, secret) in rule_secrets(builtin_matcher, text, path)


def test_a_service_account_key_keeps_its_provider_rule(builtin_matcher: Matcher) -> None:
    """The PEM rules check their body's shape (``pem-body``) and so does the service-account
    rule: a checked body outranks an unchecked one, so both check it, or a service account's key
    would be reported as a bare PKCS#8 key."""
    body = "\\n".join(_PKCS8)
    text = (
        '{"type": "service_account", "project_id": "kg-fake",\n'
        f' "private_key": "-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n"}}\n'
    )
    found = scan_text(builtin_matcher, text, "keys/kg-fake-sa.json")
    assert {f.rule_id for f in found if f.secret.reveal() == body} == {
        "gcp.service-account-private-key"
    }
