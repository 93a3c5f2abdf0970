"""Provider keys written in the syntaxes that a rule's own examples cannot carry: a value on its
own line inside an XML element, a Kubernetes ``name``/``value`` pair (the examples are also
re-checked flattened into one log line, where these shapes do not survive), and the same key in
many languages at once. Each found case has a near miss next to it that must stay silent."""

from __future__ import annotations

import pytest

from scanner.matcher import Matcher
from testing.scan import scan_text

SNYK = "86c1e4a9-0d3f-4b75-a2e8-9f6c1b4d07e3"
SONAR = "b5e8f2a0c7d4193e6b0a5f8c2d7e4a1b9f3c6d08"
SIDEKIQ_USER, SIDEKIQ_PASS = "9a1e7c3b", "2d05f8e4"
# GOV.UK Notify: a key name, the service id and the secret; the clients read only the last 73
# characters, so the name may be left out
NOTIFY_IDS = "4f1c8a2e-7b3d-4e96-a05c-9d2e6f8b1a37-b2e9d4f6-1a8c-4d53-9e07-6c3f1b8a5d29"
NOTIFY = f"kg_ci-{NOTIFY_IDS}"
VULTR = "KG4VQ7M2XR9TNB3WD8HZP5LC6JF1YS0AEU7K"
LINE_SECRET = "3e8b1f0a6c4d92e7b5a1f8c0d6e3b947"
LOB = "live_3f9a1c7e5b2d8f4a6c0e9b1d7f3a5c8e2b4"


def _secrets(matcher: Matcher, text: str, path: str) -> dict[str, str]:
    return {f.secret.reveal(): f.rule_id for f in scan_text(matcher, text, path)}


@pytest.mark.parametrize(
    ("path", "text", "secret", "rule"),
    [
        ("pom.xml", f"<snykApiToken>\n    {SNYK}\n</snykApiToken>\n", SNYK, "snyk.api-token"),
        (
            "settings.xml",
            f"<sonarToken>\n\t{SONAR}\n</sonarToken>\n",
            SONAR,
            "sonarqube.token-legacy",
        ),
        (
            "deployment.yaml",
            "env:\n  - name: BUNDLE_ENTERPRISE__CONTRIBSYS__COM\n"
            f"    value: {SIDEKIQ_USER}:{SIDEKIQ_PASS}\n",
            SIDEKIQ_PASS,
            "sidekiq.gem-credentials",
        ),
        ("config.xml", f"<lobApiKey>\n        {LOB}\n</lobApiKey>\n", LOB, "lob.api-key"),
        (
            "config.php",
            f"<?php\n$line_channel_secret .= '{LINE_SECRET}';\n",
            LINE_SECRET,
            "line.channel-secret",
        ),
        (
            "web.config",
            f"<lineChannelSecret>\n          {LINE_SECRET}\n</lineChannelSecret>",
            LINE_SECRET,
            "line.channel-secret",
        ),
        (
            "settings.xml",
            "<messagebirdAccessKey>\n        Wd4FakeKeyGuardnR7tPz2QmB\n</messagebirdAccessKey>",
            "Wd4FakeKeyGuardnR7tPz2QmB",
            "messagebird.api-key",
        ),
        # a Notify client constructed with the key, in Ruby, Java and .NET
        (
            "notify.rb",
            f"client = Notifications::Client.new('{NOTIFY}')\n",
            NOTIFY,
            "govuknotify.api-key",
        ),
        (
            "Notify.java",
            f'NotificationClient client = new NotificationClient("{NOTIFY}");\n',
            NOTIFY,
            "govuknotify.api-key",
        ),
        (
            "Notify.cs",
            f'var client = new NotificationClient(apiKey: "{NOTIFY}");\n',
            NOTIFY,
            "govuknotify.api-key",
        ),
        (".env", f"GOVUK_NOTIFY_API_KEY={NOTIFY_IDS}\n", NOTIFY_IDS, "govuknotify.api-key"),
        ("config.yml", f"notify:\n  api_key: {NOTIFY_IDS}\n", NOTIFY_IDS, "govuknotify.api-key"),
        # a provider's PHP array or Ruby hash, inline or over several lines
        (
            "config/services.php",
            f"<?php\nreturn [\n    'vultr' => [\n        'region' => env('VULTR_REGION', 'ams'),\n"
            f"        'api_key' => '{VULTR}',\n    ],\n];\n",
            VULTR,
            "vultr.api-key",
        ),
        (
            "config.php",
            f"$p = array('vultr' => array('api_key' => '{VULTR}'));",
            VULTR,
            "vultr.api-key",
        ),
        (
            "config.rb",
            f"CONFIG = {{\n  :vultr => {{\n    :region => 'ams',\n"
            f"    :api_key => '{VULTR}'\n  }}\n}}",
            VULTR,
            "vultr.api-key",
        ),
        ("config.rb", f"P = {{ :vultr => {{ :api_key => '{VULTR}' }} }}", VULTR, "vultr.api-key"),
    ],
)
def test_multiline_forms_found(
    builtin_matcher: Matcher, path: str, text: str, secret: str, rule: str
) -> None:
    assert _secrets(builtin_matcher, text, path).get(secret) == rule


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("pom.xml", f"<snykOrgId>\n    {SNYK}\n</snykOrgId>\n"),
        ("settings.xml", f"<sonarRevision>\n\t{SONAR}\n</sonarRevision>\n"),
        (
            "deployment.yaml",
            "env:\n  - name: BUNDLE_ENTERPRISE__CONTRIBSYS__COM\n    valueFrom:\n"
            "      secretKeyRef: {name: sidekiq, key: credentials}\n",
        ),
        ("config.xml", f"<lobApiKey>\n\n\n        {LOB}\n</lobApiKey>\n"),  # not its text
        # one UUID is a template or service id, not a key
        ("Notify.java", 'client = new NotificationClient("4f1c8a2e-7b3d-4e96-a05c-9d2e6f8b1a37");'),
        (".env", f"SERVICE_IDS={NOTIFY_IDS}\n"),  # two UUIDs but no Notify setting
        # a provider's PHP array, but no credential entry close by
        ("config.php", f"<?php\n'vultr' => [\n    'region' => '{VULTR}',\n],\n"),
    ],
)
def test_multiline_near_misses_silent(builtin_matcher: Matcher, path: str, text: str) -> None:
    assert _secrets(builtin_matcher, text, path) == {}


def _languages(name: str, value: str) -> list[tuple[str, str]]:
    """``name`` (snake_case words) assigned ``value`` the way several languages write it."""
    words = name.split("_")
    camel = words[0] + "".join(w.capitalize() for w in words[1:])
    upper = name.upper()
    return [
        ("config.php", f'<?php\n${camel} .= "{value}";\n'),
        ("settings.xml", f"<{camel}>\n        {value}\n</{camel}>\n"),
        ("settings.R", f'{name} <- "{value}"\n'),
        ("src/config.rs", f'pub const {upper}: &str = "{value}";\n'),
        ("Makefile", f"{upper} ?= {value}\n"),
        ("boot.rb", f"ENV['{upper}'] ||= '{value}'\n"),
        ("config.ts", f'export const {camel}: string = "{value}";\n'),
        ("main.go", f'os.Setenv("{upper}", "{value}")\n'),
        ("README.md", f"{' '.join(w.capitalize() for w in words)}: {value}\n"),
    ]


@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        ("snyk_api_token", SNYK, "snyk.api-token"),
        ("sonar_api_key", SONAR, "sonarqube.token-legacy"),
        ("messagebird_access_key", "Wd4FakeKeyGuardnR7tPz2QmB", "messagebird.api-key"),
        ("twilio_account_sid", "AC5e1b9d3f7a2c8e4b0d6f1a9c3e7b5d2f", "twilio.account-sid"),
        ("lob_api_key", LOB, "lob.api-key"),
    ],
)
def test_key_found_in_every_language(
    builtin_matcher: Matcher, name: str, value: str, rule: str
) -> None:
    missed = [
        path
        for path, text in _languages(name, value)
        if _secrets(builtin_matcher, text, path).get(value) != rule
    ]
    assert missed == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("snyk_org_id", SNYK),  # an id, not a credential
        ("sonar_scm_revision", SONAR),  # a commit
        ("messagebird_access_key", "Wd4FakeKeyGuardnR7tPz2QmBx"),  # 26 characters
    ],
)
def test_near_miss_silent_in_every_language(
    builtin_matcher: Matcher, name: str, value: str
) -> None:
    noisy = [
        path
        for path, text in _languages(name, value)
        if value in _secrets(builtin_matcher, text, path)
    ]
    assert noisy == []
