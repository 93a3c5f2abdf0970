"""JSON lines, Fluentd ``json`` and rsyslog ``mmexternal`` replies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.logfilter.options import MARKER, TOO_LONG
from scanner.logfilter.structured import JsonFilter
from testing.logfilter import TOKEN, make_framer, run_all

# -- json -------------------------------------------------------------------------------------


def test_json_strings_redacted_order_numbers_kept(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file, fmt="json")
    rec = (
        '{"z": 1.50, "a": {"deep": ["x", "tok ' + TOKEN + '"]}, "n": 1e5, "dup": 1, "dup": 2,'
        ' "t": true, "nil": null}'
    )
    clean = '{"msg":"nothing here","v":[1,2]}'
    out = run_all(framer, f"{rec}\n{clean}\n".encode()).decode().split("\n")
    assert out[0] == rec.replace(TOKEN, "[REDACTED:test.token]")
    assert json.loads(out[0])["a"]["deep"][1] == "tok [REDACTED:test.token]"
    assert out[1] == clean
    assert counters.redactions == 1


def test_json_escapes_and_unicode(rules_file: Path) -> None:
    framer, _, _ = make_framer(rules_file, fmt="json")
    rec = '{"m":"line1\\n' + TOKEN + '\\tü","k":"\\u006bgt_Fk7Qz2Lm9Wx4Rt6Yp3Nb8Vc1"}'
    out = run_all(framer, (rec + "\n").encode()).decode()
    value = json.loads(out)
    assert value == {"m": "line1\n[REDACTED:test.token]\tü", "k": "[REDACTED:test.token]"}


def test_json_secret_in_key_and_invalid_json_line(rules_file: Path) -> None:
    framer, _, _ = make_framer(rules_file, fmt="json")
    out = run_all(framer, f'{{"{TOKEN}": 1}}\nnot json {TOKEN}\n'.encode()).decode()
    assert out == '{"[REDACTED:test.token]": 1}\nnot json [REDACTED:test.token]\n'


def test_json_too_long_record_replaced_by_marker(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file, fmt="json", max_line=500)
    long = '{"m": "' + "y" * 2000 + TOKEN + '"}'
    out = run_all(framer, f'{{"a": 1}}\n{long}\n{{"b": 2}}\n'.encode(), step=100)
    lines = out.decode().splitlines()
    assert lines == ['{"a": 1}', json.dumps({"message": TOO_LONG}), '{"b": 2}']
    assert counters.errors == 1 and counters.lines == 3


def test_fluentd_json_byte_for_byte(rules_file: Path) -> None:
    # Fluentd's json formatter: one compact JSON object per line.
    framer, _, _ = make_framer(rules_file, fmt="fluentd-json")
    data = (
        b'{"time":"2024-01-01T00:00:00Z","message":"key=' + TOKEN.encode() + b'","code":200}\n'
        b'{"message":"clean"}\n'
    )
    out = run_all(framer, data)
    assert out == (
        b'{"time":"2024-01-01T00:00:00Z","message":"key=[REDACTED:test.token]","code":200}\n'
        b'{"message":"clean"}\n'
    )


# -- rsyslog ----------------------------------------------------------------------------------


def test_rsyslog_msg_replies(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file, fmt="rsyslog")
    out = run_all(framer, f" hello\n login token={TOKEN}\n\nbye\n".encode())
    assert out.decode().splitlines() == [
        "{}",
        json.dumps({"msg": " login token=[REDACTED:test.token]"}),
        "{}",
        "{}",
    ]
    assert counters.lines == 4


def test_rsyslog_fulljson_replies(rules_file: Path) -> None:
    framer, _, _ = make_framer(rules_file, fmt="rsyslog", rsyslog_input="fulljson")
    lines = [
        json.dumps({"msg": "clean", "hostname": "h"}),
        json.dumps({"msg": f"k={TOKEN}", "rawmsg": "x"}),
        "not json",
    ]
    out = run_all(framer, ("\n".join(lines) + "\n").encode()).decode().splitlines()
    assert out == ["{}", json.dumps({"msg": "k=[REDACTED:test.token]"}), "{}"]


# -- escaped lone surrogates --------------------------------------------------------------------


def test_json_escaped_lone_surrogate_kept_as_escape(rules_file: Path) -> None:
    # a valid JSON escape for a lone surrogate once ended the whole filter (exit 3)
    framer, counters, _ = make_framer(rules_file, fmt="json")
    data = (
        '{"s": "\\ud800 ' + TOKEN + '"}\n{"k": "\\udcff\\udc80 ' + TOKEN + '"}\n{"m": "after"}\n'
    ).encode()
    out = run_all(framer, data)
    assert out == data.replace(TOKEN.encode(), b"[REDACTED:test.token]")
    assert counters.redactions == 2 and counters.errors == 0


def test_json_raw_undecodable_bytes_survive_beside_escapes(rules_file: Path) -> None:
    framer, _, _ = make_framer(rules_file, fmt="fluentd-json")
    data = b'{"s":"\xff\xfe \\ud83d ' + TOKEN.encode() + b'"}\n'
    out = run_all(framer, data)
    assert out == b'{"s":"\xff\xfe \\ud83d [REDACTED:test.token]"}\n'


def test_rsyslog_fulljson_escaped_lone_surrogate(rules_file: Path) -> None:
    framer, _, _ = make_framer(rules_file, fmt="rsyslog", rsyslog_input="fulljson")
    data = ('{"msg": "\\udfff k=' + TOKEN + '"}\n{"msg": "clean"}\n').encode()
    out = run_all(framer, data).decode().splitlines()
    assert out == ['{"msg": "\\udfff k=[REDACTED:test.token]"}', "{}"]


def test_record_that_cannot_be_encoded_becomes_the_marker(
    rules_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    framer, counters, _ = make_framer(rules_file, fmt="json")
    monkeypatch.setattr(JsonFilter, "redact_record", lambda self, line, record: "\ud800")
    out = run_all(framer, f'{{"a": "{TOKEN}"}}\n{{"b": 1}}\n'.encode())
    assert out.decode().splitlines() == [json.dumps({"message": MARKER}), '{"b": 1}']
    assert counters.errors == 1
