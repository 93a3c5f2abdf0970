"""Credentials in the line formats of configuration files (~/.pgpass, .htpasswd, a Nagios
resource.cfg, keytool command lines, .yarnrc.yml), found with the secret each line holds, and
the lines of the same shape that hold none."""

from __future__ import annotations

import pytest

from scanner.matcher import Matcher
from testing.scan import scan_text, secrets_of

APR1 = "$apr1$KgF4ke9x$fvlT2D5qlkfGlOR51WH3SX"
BCRYPT = "$2y$10$FakeKeyGuardjmIpqPaOysX4GKsdtl8u8tHP9WQiNj2tt1kz2/YD."


@pytest.mark.parametrize(
    ("path", "text", "rule_id", "secrets"),
    [
        # libpq escapes a colon (and a backslash) in a field with a backslash
        (
            "deploy/db-passwords.txt",
            "db.kg.invalid:5432:orders:orders_app:Kq7vR2mXz9Lp\n"
            "localhost:5432:postgres:postgres:Wednesday\\:Tea42\n",
            "postgres.pgpass-entry",
            {"Kq7vR2mXz9Lp", "Wednesday\\:Tea42"},
        ),
        (
            "deploy/db-passwords.txt",
            "# hostname:port:database:username:password\n"
            "pg.kg.invalid:15432:app:svc\\:etl:Lq5\\\\Wn8\\:Rz3\n",
            "postgres.pgpass-entry",
            {"Lq5\\\\Wn8\\:Rz3"},
        ),
        (
            "deploy/db-passwords.txt",
            "replica.kg.invalid:5433:orders:ro:Hv8Kq2Wm7Tz\n*:*:*:etl:Mx4Tk9Wq2Lz\n",
            "postgres.pgpass-entry",
            {"Hv8Kq2Wm7Tz", "Mx4Tk9Wq2Lz"},
        ),
        (
            "etc/nginx/.htpasswd",
            f"grafana:{APR1}\nops:{BCRYPT}\n",
            "htpasswd.password-hash",
            {APR1, BCRYPT},
        ),
        (
            "etc/nagios4/resource.cfg",
            "$USER1$=/usr/lib/nagios/plugins\n$USER3$=svc_monitor\n$USER4$=Wr3n!FakeKg-Mon\n",
            "nagios.resource-macro",
            {"Wr3n!FakeKg-Mon"},
        ),
        (
            "scripts/make-keystore.sh",
            "keytool -importkeystore -srcstorepass Vb6#nQ1zKg -deststorepass Hq5!Tz8mWk \\\n"
            "  -srckeypass Rw3#Kp8vNz -destkeypass Lq4!keyKg-9x\n",
            "generic.keytool-password",
            {"Vb6#nQ1zKg", "Hq5!Tz8mWk", "Rw3#Kp8vNz", "Lq4!keyKg-9x"},
        ),
        (
            "services/web/.yarnrc.yml",
            'npmRegistries:\n  "https://npm.kg.invalid/":\n'
            '    npmAuthIdent: "svc-build:Fk9!yarnKeyGuard"\n',
            "npm.yarnrc-auth-ident",
            {"Fk9!yarnKeyGuard"},
        ),
    ],
)
def test_config_line_formats_found(
    builtin_matcher: Matcher, path: str, text: str, rule_id: str, secrets: set[str]
) -> None:
    assert secrets_of(scan_text(builtin_matcher, text, path), rule_id) == secrets


@pytest.mark.parametrize(
    ("path", "text"),
    [
        # an unusual port with nothing that says the line is a password file's
        ("logs/app.log", "cache.kg.invalid:7000:billing:billing_rw:Kq7vR2mXz9Lp\n"),
        # a hashing library's test vectors are quoted, not user:hash lines
        ("tests/test_apr1.py", f'    ("grafana:{APR1}", True),\n'),
        ("tests/test_bcrypt.py", f'assert bcrypt.verify("kg", "{BCRYPT}")\n'),
        # resource.cfg paths, user names and other macros are not passwords
        ("etc/nagios4/resource.cfg", "$USER1$=/usr/lib/nagios/plugins\n$USER3$=nagios_mon\n"),
        ("etc/nagios4/resource.cfg", "$USER5$=$USER3$\n#$USER2$=/usr/lib/nagios/eventhandlers\n"),
        # keytool reading its password from the environment or a file
        (
            "build.sh",
            "keytool -list -keystore kg.jks -storepass:env KS_PASS -keypass:file kp.txt\n",
        ),
        ("Dockerfile", "RUN keytool -importcert -cacerts -storepass changeit -file ca.pem\n"),
    ],
)
def test_config_line_formats_near_misses_silent(
    builtin_matcher: Matcher, path: str, text: str
) -> None:
    assert scan_text(builtin_matcher, text, path) == []


def test_a_pgpass_file_reports_any_port(builtin_matcher: Matcher) -> None:
    """At its own path a password file's lines are entries whatever the port (the
    path-scoped postgres.pgpass-file; elsewhere only the usual ports are)."""
    text = "cache.kg.invalid:7000:billing:billing_rw:Kq7vR2mXz9Lp\n"
    assert secrets_of(scan_text(builtin_matcher, text, "home/kg/.pgpass")) == {"Kq7vR2mXz9Lp"}
    assert secrets_of(scan_text(builtin_matcher, text, "logs/app.log")) == set()
