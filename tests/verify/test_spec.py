"""``[rules.verify]`` parsing and validation, and the rule-spec cache round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.errors import RuleError
from scanner.rulebook.loader import load_specs, spec_from_record, spec_record
from scanner.rulebook.schema import load_rule_file
from scanner.verify.spec import Condition, VerifierSpec
from testing.rules import rule_toml

RULE = rule_toml(
    "kgtest.verify-token",
    r"(?P<kid>KGID[0-9]{4})?\s*(kgtest_[A-Z]{20})",
    keywords=["kgtest_"],
    examples=["token = kgtest_QWRTZPLMKJHGFDSAYXCV"],
    negatives=["kgtest_short"],
    name="Test token",
    description="A synthetic token for verifier tests.",
    secret_group=2,
)

GOOD = """
[rules.verify]
url = 'https://api.example-provider.com/v1/whoami/{part:kid}'
method = 'GET'
headers = { Authorization = 'Bearer {secret}', Accept = 'application/json' }
query = { check = '1' }
live = { status = [200], json = { data.ok = true, "user.kind" = "bot" } }
invalid = { status = [401, 403] }
permission = 'none: returns the caller'
docs = 'https://docs.example-provider.com/api/whoami'
"""


def write(tmp_path: Path, verify: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(RULE + verify, encoding="utf-8")
    return path


def test_parses_a_verifier(tmp_path: Path) -> None:
    (spec,) = load_rule_file(write(tmp_path, GOOD))
    v = spec.verify
    assert isinstance(v, VerifierSpec)
    assert v.host == "api.example-provider.com"
    assert v.method == "GET"
    assert dict(v.headers)["Authorization"] == "Bearer {secret}"
    assert v.live == Condition((200,), (("data.ok", True), ("user.kind", "bot")))
    assert v.invalid == Condition((401, 403), ())
    assert v.parts() == {"kid"}


def test_any_of_json_values_parse_and_round_trip(tmp_path: Path) -> None:
    """A list is "any of these values" (Slack's several invalid-token errors)."""
    table = GOOD.replace(
        "invalid = { status = [401, 403] }",
        "invalid = { status = [200], json = { ok = false, "
        "error = ['invalid_auth', 'token_revoked'] } }",
    )
    (spec,) = load_rule_file(write(tmp_path, table))
    assert spec.verify is not None
    assert spec.verify.invalid == Condition(
        (200,), (("ok", False), ("error", ("invalid_auth", "token_revoked")))
    )
    assert VerifierSpec.from_record(spec.verify.record()) == spec.verify


def test_rule_without_verifier(tmp_path: Path) -> None:
    (spec,) = load_rule_file(write(tmp_path, ""))
    assert spec.verify is None


def test_spec_cache_round_trips_the_verifier(tmp_path: Path) -> None:
    import json

    (spec,) = load_rule_file(write(tmp_path, GOOD))
    back = spec_from_record(json.loads(json.dumps(spec_record(spec))))
    assert back == spec
    (plain,) = load_rule_file(write(tmp_path, ""))
    assert spec_from_record(json.loads(json.dumps(spec_record(plain)))) == plain


def test_directory_cache_keeps_verifiers(tmp_path: Path) -> None:
    rules = tmp_path / "pack"
    rules.mkdir()
    write(rules, GOOD)
    cache = tmp_path / "cache"
    first = load_specs([rules], cache)
    second = load_specs([rules], cache)  # served from the JSON cache
    assert first == second and second[0].verify is not None


BAD = [
    ("url = 'http://api.example-provider.com/x'", "verify.url", "https"),
    ("url = 'https://{part:kid}.example-provider.com/x'", "verify.url", "literal"),
    ("url = 'https://127.0.0.1/x'", "verify.url", "DNS name"),
    ("url = 'https://api.example-provider.com:8443/x'", "verify.url", "port"),
    ("url = 'https://user@api.example-provider.com/x'", "verify.url", "user info"),
    ("method = 'DELETE'", "verify.method", "one of"),
    ("headers = { Host = 'evil.example' }", "verify.headers.Host", "set by keyguard"),
    ("headers = { X = 'Bearer {token}' }", "verify", "unknown placeholder"),
    ("query = { k = '{part:nope}' }", "verify", "names no group"),
    ("live = { status = [999] }", "verify.live.status", "status codes"),
    ("live = { }", "verify.live", "at least one"),
    ("live = { body = 'x' }", "verify.live.body", "unknown key"),
    ("live = { json = { a = [] } }", "verify.live.json.a", "string, number"),
    ("live = { json = { a = [[1]] } }", "verify.live.json.a", "string, number"),
    ("form = { t = '{secret}' }", "verify.form", "POST"),
    ("docs = 'http://docs.example-provider.com/'", "verify.docs", "https"),
    ("extra = 1", "verify.extra", "unknown key"),
]


def _table(override: str) -> str:
    base = {
        "url": "url = 'https://api.example-provider.com/v1/me'",
        "method": "method = 'GET'",
        "headers": "headers = { Authorization = 'Bearer {secret}' }",
        "live": "live = { status = [200] }",
        "permission": "permission = 'none'",
        "docs": "docs = 'https://docs.example-provider.com/api'",
    }
    key = override.split("=", 1)[0].strip()
    base[key] = override
    return "[rules.verify]\n" + "\n".join(base.values()) + "\n"


@pytest.mark.parametrize(("override", "field", "words"), BAD)
def test_rejects_with_file_rule_and_key(
    tmp_path: Path, override: str, field: str, words: str
) -> None:
    path = write(tmp_path, _table(override))
    with pytest.raises(RuleError) as info:
        load_rule_file(path)
    err = info.value
    assert err.file == str(path)
    assert err.rule_id == "kgtest.verify-token"
    assert err.field == field
    assert words in str(err)


def test_a_verifier_must_send_the_secret(tmp_path: Path) -> None:
    path = write(tmp_path, _table("headers = { Accept = 'application/json' }"))
    with pytest.raises(RuleError, match="never sends"):
        load_rule_file(path)


def test_head_has_no_json_conditions(tmp_path: Path) -> None:
    verify = _table("live = { status = [200], json = { ok = true } }").replace(
        "method = 'GET'", "method = 'HEAD'"
    )
    with pytest.raises(RuleError, match="HEAD"):
        load_rule_file(write(tmp_path, verify))


def test_rules_check_wants_every_part_captured(tmp_path: Path) -> None:
    from scanner.rulebook.check import check_spec

    verify = GOOD.replace("/v1/whoami/{part:kid}", "/v1/whoami")
    (plain,) = load_rule_file(write(tmp_path, verify.replace("query = { check = '1' }", "")))
    assert [i for i in check_spec(plain) if i.level == "error"] == []
    (spec,) = load_rule_file(write(tmp_path, GOOD))  # the example has no KGID part
    errors = [i.message for i in check_spec(spec) if i.level == "error"]
    assert any("{part:kid}" in m for m in errors)


def test_rules_check_rejects_a_table_beside_a_code_verifier(tmp_path: Path) -> None:
    from scanner.rulebook.check import check_spec

    path = write(tmp_path, GOOD.replace("/{part:kid}", ""))
    path.write_text(path.read_text().replace("kgtest.verify-token", "aws.access-key-id"))
    (spec,) = load_rule_file(path)
    errors = [i.message for i in check_spec(spec) if i.level == "error"]
    assert any("code verifier" in m for m in errors)


def test_rules_check_command_reports_a_bad_verifier(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from scanner.cli import main

    path = write(tmp_path, _table("url = 'https://{part:kid}.example-provider.com/x'"))
    result = CliRunner().invoke(main, ["rules", "check", str(path)])
    assert result.exit_code == 2
    assert "kgtest.verify-token" in result.output and "verify.url" in result.output
    good = write(tmp_path, GOOD.replace("/{part:kid}", ""))
    assert CliRunner().invoke(main, ["rules", "check", str(good)]).exit_code == 0
