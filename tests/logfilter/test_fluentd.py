"""Fluentd ``msgpack`` framing with the ``msgpack`` package."""

from __future__ import annotations

import struct
import sys
from pathlib import Path
from typing import Any

import pytest

from scanner.errors import UserError
from scanner.logfilter.fluentd import pack
from scanner.logfilter.jsonwalk import Pairs
from scanner.logfilter.options import MARKER
from testing.logfilter import TOKEN, make_framer, run_all

msgpack = pytest.importorskip("msgpack", reason="Fluentd framing needs keyguard[fluentd]")


def event_time(seconds: int, nanoseconds: int = 0) -> msgpack.ExtType:
    """Fluentd's EventTime: ext type 0, big-endian uint32 seconds and nanoseconds."""
    return msgpack.ExtType(0, struct.pack(">II", seconds, nanoseconds))


def fluent_record(message: str, sec: int) -> bytes:
    # what Fluentd's msgpack formatter writes for a record with the time injected as EventTime
    return msgpack.packb(
        {
            "time": event_time(sec, 5),
            "message": message,
            "level": 3,
            "ok": True,
            "ratio": 0.25,
            "raw": b"\x00\xff" + message.encode(),
        }
    )


def decode_all(data: bytes) -> list[Any]:
    unpacker = msgpack.Unpacker(raw=False, object_pairs_hook=Pairs, strict_map_key=False)
    unpacker.feed(data)
    return list(unpacker)


def test_fluentd_msgpack_stream(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file, fmt="fluentd-msgpack")
    clean = fluent_record("nothing", 1700000000)
    dirty = fluent_record(f"token {TOKEN}", 1700000001)
    out = run_all(framer, clean + dirty + clean, step=5)
    assert out.startswith(clean) and out.endswith(clean)
    middle = decode_all(out[len(clean) : -len(clean)])
    assert middle == [
        Pairs(
            [
                ("time", event_time(1700000001, 5)),
                ("message", "token [REDACTED:test.token]"),
                ("level", 3),
                ("ok", True),
                ("ratio", 0.25),
                ("raw", b"\x00\xfftoken [REDACTED:test.token]"),
            ]
        )
    ]
    assert counters.lines == 3 and counters.redactions == 2


def test_fluentd_msgpack_garbage_fails_closed(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file, fmt="fluentd-msgpack")
    out = run_all(framer, fluent_record("a", 1) + b"\xc1" + TOKEN.encode())
    assert TOKEN.encode() not in out
    records = decode_all(out)
    assert len(records) == 2 and records[1] == Pairs([("message", MARKER)])
    assert counters.errors == 1


def test_fluentd_msgpack_keyed_secret_redacted(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file, fmt="fluentd-msgpack")
    record = msgpack.packb({"message": "login", "db": {"password": "s3cr3t-Pa55"}})
    out = decode_all(run_all(framer, record))
    assert out == [
        Pairs(
            [
                ("message", "login"),
                ("db", Pairs([("password", "[REDACTED:logfilter.keyed-secret]")])),
            ]
        )
    ]
    assert counters.redactions == 1


def test_pack_keeps_duplicate_keys_order_and_odd_bytes() -> None:
    value = Pairs([("b", 1), ("a", [Pairs([("x", "caf\udce9")])]), ("b", None)])
    data = pack(msgpack, value)
    assert data.startswith(b"\x83\xa1b\x01")  # a map of three pairs, the first one b=1
    unpacker = msgpack.Unpacker(
        raw=False, unicode_errors="surrogateescape", object_pairs_hook=Pairs
    )
    unpacker.feed(data)
    assert list(unpacker) == [value]


def test_fluentd_msgpack_without_the_package_is_a_user_error(
    rules_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "msgpack", None)
    with pytest.raises(UserError, match=r"pip install 'keyguard\[fluentd\]'"):
        make_framer(rules_file, fmt="fluentd-msgpack")
