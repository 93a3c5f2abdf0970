"""False alarms seen on real packages (PyPI sdists, npm tarballs, a virtualenv), each next to
the credential of the same shape that must still be found. The rules' negative examples pin
the single-rule cases; these need the whole rule set (a value every rule must let go, a rule
that must keep the neighbouring secret)."""

from __future__ import annotations

import pytest

from scanner.matcher import Matcher
from testing.scan import rule_secrets
from tests.casedata import table

# the Cloud SDK's installed-app OAuth client, shipped with gcloud and google-auth
GCLOUD_ID = "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com"
GCLOUD_SECRET = "d-FL95Q19q7MQmFpd7hHD0Ty"
REFRESH = "1//04FakeKeyGuardRefreshTokenBodyQz8xT9pL4wRm7Vb2Nc5Kd"


def test_public_gcloud_client_is_not_a_leak_but_its_refresh_token_is(
    builtin_matcher: Matcher,
) -> None:
    assert rule_secrets(builtin_matcher, f'CLOUD_SDK_CLIENT_ID = "{GCLOUD_ID}"') == set()
    assert rule_secrets(builtin_matcher, f'CLIENT_SECRET = "{GCLOUD_SECRET}"') == set()
    creds = f'{{"client_id": "{GCLOUD_ID}", "client_secret": "{GCLOUD_SECRET}",\n'
    creds += f' "refresh_token": "{REFRESH}", "type": "authorized_user"}}'
    assert rule_secrets(builtin_matcher, creds, "adc.json") == {
        ("gcp.oauth-refresh-token", REFRESH)
    }
    mine = "F1FakeKeyGuardoH5QPk-RCj"  # another client's secret next to the public id
    other = f'{{"installed": {{"client_id": "{GCLOUD_ID}", "client_secret": "{mine}"}}}}'
    assert ("gcp.oauth-client-secret-legacy", mine) in rule_secrets(
        builtin_matcher, other, "client_secret.json"
    )


def test_odbc_password_stops_at_markup(builtin_matcher: Matcher) -> None:
    html = '<div class="highlight"><pre>DSN=kg_dsn;UID=scott;PWD=Kg9fakeQ2zx</pre></div>'
    assert ("odbc.connection-string-password", "Kg9fakeQ2zx") in rule_secrets(
        builtin_matcher, html, "a.html"
    )
    assert not {
        r for r, _ in rule_secrets(builtin_matcher, html.replace("Kg9fakeQ2zx", "tiger"), "a.html")
    }


@pytest.mark.parametrize(("text", "rule"), table("real_code_false_alarms", "not_reported"))
def test_real_code_shapes_are_not_reported(builtin_matcher: Matcher, text: str, rule: str) -> None:
    assert rule not in {r for r, _ in rule_secrets(builtin_matcher, text)}


@pytest.mark.parametrize(("text", "rule", "secret"), table("real_code_false_alarms", "reported"))
def test_the_same_shapes_with_credentials_are_reported(
    builtin_matcher: Matcher, text: str, rule: str, secret: str
) -> None:
    assert (rule, secret) in rule_secrets(builtin_matcher, text)
