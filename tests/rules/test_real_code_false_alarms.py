"""False alarms seen on real packages (PyPI sdists, npm tarballs, a virtualenv), each next to
the credential of the same shape that must still be found. The rules' negative examples pin
the single-rule cases; these need the whole rule set (a value every rule must let go, a rule
that must keep the neighbouring secret)."""

from __future__ import annotations

import pytest

from scanner.matcher import Matcher
from testing.scan import scan_text

# the Cloud SDK's installed-app OAuth client, shipped with gcloud and google-auth
GCLOUD_ID = "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com"
GCLOUD_SECRET = "d-FL95Q19q7MQmFpd7hHD0Ty"
REFRESH = "1//04FakeKeyGuardRefreshTokenBodyQz8xT9pL4wRm7Vb2Nc5Kd"


def _found(matcher: Matcher, text: str, path: str = "src/app.py") -> set[tuple[str, str]]:
    return {(f.rule_id, f.secret.reveal()) for f in scan_text(matcher, text, path)}


def test_public_gcloud_client_is_not_a_leak_but_its_refresh_token_is(
    builtin_matcher: Matcher,
) -> None:
    assert _found(builtin_matcher, f'CLOUD_SDK_CLIENT_ID = "{GCLOUD_ID}"') == set()
    assert _found(builtin_matcher, f'CLIENT_SECRET = "{GCLOUD_SECRET}"') == set()
    creds = f'{{"client_id": "{GCLOUD_ID}", "client_secret": "{GCLOUD_SECRET}",\n'
    creds += f' "refresh_token": "{REFRESH}", "type": "authorized_user"}}'
    assert _found(builtin_matcher, creds, "adc.json") == {("gcp.oauth-refresh-token", REFRESH)}
    mine = "F1FakeKeyGuardoH5QPk-RCj"  # another client's secret next to the public id
    other = f'{{"installed": {{"client_id": "{GCLOUD_ID}", "client_secret": "{mine}"}}}}'
    assert ("gcp.oauth-client-secret-legacy", mine) in _found(
        builtin_matcher, other, "client_secret.json"
    )


def test_odbc_password_stops_at_markup(builtin_matcher: Matcher) -> None:
    html = '<div class="highlight"><pre>DSN=kg_dsn;UID=scott;PWD=Kg9fakeQ2zx</pre></div>'
    assert ("odbc.connection-string-password", "Kg9fakeQ2zx") in _found(
        builtin_matcher, html, "a.html"
    )
    assert not {
        r for r, _ in _found(builtin_matcher, html.replace("Kg9fakeQ2zx", "tiger"), "a.html")
    }


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ('ldap_password = "LDAP-PASSWORD"', "ldap.bind-password"),
        ('os.environ["LDAP_PASSWORD"] = MockLdap.ldap_user_password', "ldap.bind-password"),
        (
            'endpoint = "ssh://687fb701029421ae5549d998@ssh.jobs.keyguard.internal"',
            "url.token-as-user",
        ),
        (
            '"uri": "mongodb://testuser:SENTINELpassword1234@localhost:27017/admin"',
            "mongodb.url-password",
        ),
        ('new Redis("redis://:authpassword@127.0.0.1:6380/4");', "redis.url-password"),
        (
            'key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # aws_secret_access_key',
            "aws.secret-access-key",
        ),
        ("auth = ['aws.auth#foo', 'aws.auth#bar']", "basicauth.client-credentials"),
        ('data = f"machine h login {a.login} password {a.password}"', "netrc.password"),
    ],
)
def test_real_code_shapes_are_not_reported(builtin_matcher: Matcher, text: str, rule: str) -> None:
    assert rule not in {r for r, _ in _found(builtin_matcher, text)}


@pytest.mark.parametrize(
    ("text", "rule", "secret"),
    [
        ('LDAP_BIND_PASSWORD = "Kg7.fake_Pw9x"', "ldap.bind-password", "Kg7.fake_Pw9x"),
        (
            "git clone https://Qm7vFakeKeyGuard2xT9pL4wZ8nR3@git.keyguard.internal/app.git",
            "url.token-as-user",
            "Qm7vFakeKeyGuard2xT9pL4wZ8nR3",
        ),
        (
            'MONGO = "mongodb://svc:Kg7vQ2zFake9x@db.keyguard.internal/app"',
            "mongodb.url-password",
            "Kg7vQ2zFake9x",
        ),
        ('auth=("deploy", "Kq7vTz2mPw9Xr4")', "basicauth.client-credentials", "Kq7vTz2mPw9Xr4"),
    ],
)
def test_the_same_shapes_with_credentials_are_reported(
    builtin_matcher: Matcher, text: str, rule: str, secret: str
) -> None:
    assert (rule, secret) in _found(builtin_matcher, text)
