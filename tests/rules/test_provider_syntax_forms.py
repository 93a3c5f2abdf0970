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
