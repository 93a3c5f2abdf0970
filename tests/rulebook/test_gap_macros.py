"""The loose-context macros ``{{gap}}``, ``{{loose_assign}}``, ``{{header}}`` and ``{{query}}``:
what each accepts and rejects, that no rule pastes them instead of naming them, and the
built-in rules that take camelCase setting names (``ddApiKey``, ``cfApiToken``) on both engines."""

from __future__ import annotations

import pytest
import regex

from scanner.matcher import Matcher
from scanner.rulebook.loader import builtin_rules_dir
from scanner.rulebook.macros import MACROS, expand
from testing.rules import captured
from testing.scan import scan_example

VALUE = "9c41e07b2fd5a386e1b0c47d5f29a3e8"  # 32 hex, varied
GAP = regex.compile(expand(r"(?i:acme){{gap}}{{loose_assign}}([a-f0-9]{32})\b"))
HEADER = regex.compile(expand(r"(?i:api\.acme\.io){{header}}([a-f0-9]{32})\b"))
QUERY = regex.compile(expand(r"(?i:api\.acme\.io){{query}}([a-f0-9]{32})\b"))


@pytest.mark.parametrize(
    "text",
    [
        f"ACME_API_KEY={VALUE}",
        f'acme:\n  "api_key": "{VALUE}"',
        f"$acme['key'] => '{VALUE}'",
        f'pub const ACME_API_KEY: &str = "{VALUE}";',  # Rust: the gap crosses `&str`
        f'static ACME_KEY: &\'static str = "{VALUE}";',
        f"acme.auth(token {VALUE})",  # a `token ` scheme before the value
        f"acme_key ||= {VALUE}",
        f"$acme_key .= '{VALUE}';",  # PHP append
        f'acme_key <- "{VALUE}"',  # R
        # an XML element's text alone on the next line, under its indentation
        f"<acmeApiKey>\n        {VALUE}\n</acmeApiKey>",
        f"<acmeToken>\r\n\t\t\t{VALUE}\r\n\t</acmeToken>",
    ],
)
def test_gap_and_loose_assign_accept_the_common_shapes(text: str) -> None:
    assert captured(GAP, text) == VALUE


@pytest.mark.parametrize(
    "text",
    [
        f"acme {'x' * 45} = {VALUE}",  # the gap is at most 40 characters
        f"acme_key = foo{VALUE}",  # the value must follow the operator
        f"acme_key = {VALUE}ab",  # and end there
        f"$acme_key .= $prefix . '{VALUE}';",  # appends something else first
        f"<acmeApiKey>\n{' ' * 24}{VALUE}\n</acmeApiKey>",  # indented too deep
        f"<acmeApiKey>\n    see below\n    {VALUE}\n</acmeApiKey>",  # not the element's text
    ],
)
def test_gap_and_loose_assign_reject_near_misses(text: str) -> None:
    assert captured(GAP, text) is None


@pytest.mark.parametrize(
    "text",
    [
        f'curl https://api.acme.io/v1/items -H "Authorization: Bearer {VALUE}"',
        f'requests.get("https://api.acme.io/v1", headers={{"X-Api-Key": "{VALUE}"}})',
        f"https://api.acme.io/v1 apikey={VALUE}",
    ],
)
def test_header_accepts_an_auth_header_on_the_host_line(text: str) -> None:
    assert captured(HEADER, text) == VALUE


def test_header_stays_on_the_host_line() -> None:
    assert captured(HEADER, f"https://api.acme.io/v1\nAuthorization: Bearer {VALUE}") is None


@pytest.mark.parametrize(
    "text, found",
    [
        (f"https://api.acme.io/v1/items?format=json&api_key={VALUE}", True),
        (f"https://api.acme.io/v1/items?access_token={VALUE}&page=2", True),
        (f"https://api.acme.io/v1/items?format=json&callback_id={VALUE}", False),
    ],
)
def test_query_needs_a_credential_named_parameter(text: str, found: bool) -> None:
    assert (captured(QUERY, text) == VALUE) is found


@pytest.mark.parametrize("name", ["gap", "loose_assign", "header", "query"])
def test_no_rule_pastes_a_macro_instead_of_naming_it(name: str) -> None:
    pasted = [
        f.name for f in sorted(builtin_rules_dir().glob("*.toml")) if MACROS[name] in f.read_text()
    ]
    assert pasted == []


# --- built-in rules, on both engines --------------------------------------------------------


@pytest.mark.parametrize(
    "rule_id, path, form",
    [
        ("datadog.api-key", "config.ts", 'export const ddApiKey = "{s}";'),
        ("datadog.app-key", "Config.cs", 'public const string DdAppKey = "{s}";'),
        ("cloudflare.api-token-legacy", "config.yaml", 'cfApiToken: "{s}"'),
        ("cloudflare.access-service-token-secret", "app.js", 'const cfAccessClientSecret = "{s}";'),
        ("launchdarkly.sdk-key", "main.go", 'ldSdkKey := "{s}"'),
        ("wise.api-token", "App.java", 'String wiseApiToken = "{s}";'),
        ("exa.api-key", "index.js", "const exaApiKey = '{s}';"),
        ("hex.api-key", "config.exs", 'hexApiKey = "{s}"'),
        ("gradle.plugin-portal-key", "build.gradle.kts", 'val gradlePublishSecret = "{s}"'),
        ("codeclimate.reporter-id", "ci.js", 'const ccTestReporterId = "{s}";'),
        ("readthedocs.api-token", "settings.ts", 'const rtdApiToken = "{s}";'),
        ("vmware.api-token", "main.go", 'vmcApiToken := "{s}"'),
        ("binance.api-secret", "src/config.rs", 'pub const BINANCE_API_SECRET: &str = "{s}";'),
    ],
)
def test_rules_take_camel_case_and_typed_names(
    engine_matcher: Matcher, rule_id: str, path: str, form: str
) -> None:
    secret, found = scan_example(engine_matcher, rule_id, form, path)
    assert secret in found


@pytest.mark.parametrize(
    "rule_id, form",
    [
        ("datadog.api-key", 'ddosApiKey = "{s}"'),  # a word that merely starts with `dd`
        ("cloudflare.api-token-legacy", 'cfgApiToken = "{s}"'),
        ("wise.api-token", 'otherwiseToken = "{s}"'),
        ("launchdarkly.sdk-key", 'oldSdkKey = "{s}"'),
    ],
)
def test_camel_case_branches_need_the_abbreviation_as_a_word(
    engine_matcher: Matcher, rule_id: str, form: str
) -> None:
    secret, found = scan_example(engine_matcher, rule_id, form, "app.js")
    assert secret not in found
