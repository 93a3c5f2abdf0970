"""Parsing and re-serialising structured records (pure parts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.logfilter.jsonwalk import RAW_HOOKS, Pairs, RawNumber, dump, json_view, strings, walk
from testing.logfilter import TOKEN, make_redactor


@pytest.mark.parametrize(
    "text",
    [
        '{"z": 1.50, "a": {"deep": ["x", 1e5]}, "dup": 1, "dup": 2, "t": true, "n": null}',
        '["a", -0.0, 10000000000000000000001, {"k": []}]',
        '"just a string"',
        '{"u": "caf\\u00e9 \\n tab\\t"}',
    ],
)
def test_dump_of_parsed_value_round_trips(text: str) -> None:
    value = json.loads(text, **RAW_HOOKS)
    assert json.loads(dump(value, compact=False)) == json.loads(text)
    if "\\u" not in text and "\\n" not in text:
        assert dump(value, compact=False) == text


def test_parse_keeps_duplicate_keys_and_number_spelling() -> None:
    value = json.loads('{"a": 1.50, "a": 2}', **RAW_HOOKS)
    assert value == Pairs([("a", RawNumber("1.50")), ("a", RawNumber("2"))])
    assert dump(value, compact=True) == '{"a":1.50,"a":2}'


def test_json_view_undoes_escapes() -> None:
    assert json_view('"\\u006bgt_x\\n\\"q\\""') == '"kgt_x\n"q""'
    assert json_view("no escapes") == "no escapes"


def test_strings_collects_in_order_and_flags_keyed_members() -> None:
    out: list[str] = []
    keyed = strings(Pairs([("a", "x"), ("b", [b"y", Pairs([("password", "p4ss-w0rd")])])]), out)
    assert out == ["a", "x", "b", "y", "password", "p4ss-w0rd"]
    assert keyed
    assert not strings(Pairs([("msg", "hello")]), [])


def test_walk_redacts_keys_values_and_keyed_members(rules_file: Path) -> None:
    redactor = make_redactor(rules_file)
    found: list[object] = []
    value = Pairs(
        [(TOKEN, "v"), ("db", Pairs([("password", "s3cr3t-Pa55")])), ("n", RawNumber("1"))]
    )
    new = walk(value, redactor, found)  # type: ignore[arg-type]
    assert new == Pairs(
        [
            ("[REDACTED:test.token]", "v"),
            ("db", Pairs([("password", "[REDACTED:logfilter.keyed-secret]")])),
            ("n", RawNumber("1")),
        ]
    )
    assert len(found) == 2
