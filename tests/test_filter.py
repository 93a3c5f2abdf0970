from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner import msgpack
from scanner.commands.filter import (
    MARKER,
    TOO_LONG,
    Control,
    Counters,
    FilterOptions,
    Framer,
    Redactor,
    build_framer,
    run_filter,
)
from scanner.matcher import Matcher, MatchPolicy
from scanner.models import Finding, Origin
from scanner.prefilter import build_prefilter
from scanner.redact import Redaction, RedactStyle, short_hash
from scanner.rulebook.loader import load_ruleset

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "kgt_Fk7Qz2Lm9Wx4Rt6Yp3Nb8Vc1"
TOKEN2 = "kgt_Ab3Cd5Ef7Gh9Jk2Mn4Pq6Rs8"
RULES = """
[[rules]]
id = "test.token"
name = "Test token"
description = "A synthetic token used by the filter tests."
severity = "high"
confidence = "high"
keywords = ["kgt_"]
pattern = '''\\b(kgt_[A-Za-z0-9]{24})\\b'''
secret_group = 1
min_entropy = 3.0
examples = [{ text = "t=kgt_Fk7Qz2Lm9Wx4Rt6Yp3Nb8Vc1", secret = "kgt_Fk7Qz2Lm9Wx4Rt6Yp3Nb8Vc1" }]
negative_examples = ["kgt_short"]
"""


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "test-rules.toml"
    path.write_text(RULES, encoding="utf-8")
    return path


def make_redactor(rules_file: Path, style: RedactStyle = RedactStyle.MASK) -> Redactor:
    ruleset = load_ruleset([rules_file], builtin=False)
    matcher = Matcher(
        ruleset, build_prefilter(ruleset), MatchPolicy(ignore_inline_allow=True, decode_depth=0)
    )
    return Redactor(matcher, Redaction(style), Origin("<test>", kind="log"))


Reported = list[tuple[Finding, int]]


def make_framer(rules_file: Path, **opts: object) -> tuple[Framer, Counters, Reported]:
    style = opts.pop("style", RedactStyle.MASK)
    assert isinstance(style, RedactStyle)
    options = FilterOptions(redaction=Redaction(style), **opts)  # type: ignore[arg-type]
    counters = Counters()
    reported: Reported = []
    framer = build_framer(make_redactor(rules_file, style), options, counters, reported.extend)
    return framer, counters, reported


def run_all(framer: Framer, data: bytes, step: int = 0) -> bytes:
    if not step:
        return framer.feed(data) + framer.feed(b"", final=True)
    out = [framer.feed(data[i : i + step]) for i in range(0, len(data), step)]
    return b"".join(out) + framer.feed(b"", final=True)


# -- lines ------------------------------------------------------------------------------------


def test_lines_secret_redacted_clean_lines_unchanged(rules_file: Path) -> None:
    framer, counters, reported = make_framer(rules_file)
    data = f"hello\nuser=bob token={TOKEN} ok\r\nbye\n".encode()
    out = run_all(framer, data)
    assert out == b"hello\nuser=bob token=[REDACTED:test.token] ok\r\nbye\n"
    assert counters.lines == 3 and counters.redactions == 1 and counters.errors == 0
    assert [(f.rule_id, line) for f, line in reported] == [("test.token", 2)]


def test_lines_non_utf8_bytes_pass_through(rules_file: Path) -> None:
    framer, _, _ = make_framer(rules_file)
    data = b"\xff\xfe caf\xe9 " + TOKEN.encode() + b" \x80tail\n\xc3\x28 plain\n"
    out = run_all(framer, data)
    assert out == b"\xff\xfe caf\xe9 [REDACTED:test.token] \x80tail\n\xc3\x28 plain\n"


def test_lines_non_utf8_on_many_lines_every_secret_found(rules_file: Path) -> None:
    # offsets must stay right far into a block full of undecodable bytes
    data = b"".join(
        (f"{i} {TOKEN}\n" if i % 50 == 0 else f"{i} \xff\xfe clean\n").encode("latin-1")
        for i in range(3000)
    )
    out = run_all(make_framer(rules_file)[0], data)
    assert out == data.replace(TOKEN.encode(), b"[REDACTED:test.token]")


def test_lines_secret_after_escaped_newline_in_logged_json(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file)
    data = f'{{"msg":"first\\n{TOKEN}\\tx","quoted":"\\"{TOKEN2}\\""}}\n'.encode()
    out = run_all(framer, data)
    assert out == (
        b'{"msg":"first\\n[REDACTED:test.token]\\tx","quoted":"\\"[REDACTED:test.token]\\""}\n'
    )
    assert counters.redactions == 2


def test_lines_unterminated_last_line_kept_without_newline(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file)
    out = run_all(framer, f"a\n{TOKEN}".encode())
    assert out == b"a\n[REDACTED:test.token]"
    assert counters.lines == 2


def test_lines_fed_byte_by_byte_same_output(rules_file: Path) -> None:
    data = "".join(f"line {i} {TOKEN if i % 7 == 0 else 'clean'}\n" for i in range(60)).encode()
    whole = run_all(make_framer(rules_file)[0], data)
    pieces = run_all(make_framer(rules_file)[0], data, step=1)
    assert whole == pieces
    assert whole.count(b"\n") == 60 and TOKEN.encode() not in whole


def test_lines_many_groups_line_numbers_reported(rules_file: Path) -> None:
    framer, counters, reported = make_framer(rules_file, group_bytes=24)
    lines = [f"{i} {TOKEN}" if i in (3, 10, 11, 40) else f"{i} clean" for i in range(1, 51)]
    out = run_all(framer, ("\n".join(lines) + "\n").encode()).decode()
    assert out.splitlines()[9] == "10 [REDACTED:test.token]"
    assert sorted(line for _, line in reported) == [3, 10, 11, 40]
    assert counters.lines == 50


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        (RedactStyle.MASK, "[REDACTED:test.token]"),
        (RedactStyle.HASH, f"[REDACTED:test.token:{short_hash(TOKEN)}]"),
        (RedactStyle.PARTIAL, "kgt_[REDACTED:test.token]"),
    ],
)
def test_lines_styles(rules_file: Path, style: RedactStyle, expected: str) -> None:
    framer, _, _ = make_framer(rules_file, style=style)
    out = run_all(framer, f"a {TOKEN}\nb {TOKEN}\nc {TOKEN2}\n".encode()).decode().splitlines()
    assert out[0] == f"a {expected}" and out[1] == f"b {expected}"
    if style is RedactStyle.HASH:
        assert out[2] != f"c {expected}"


@pytest.mark.parametrize("style", list(RedactStyle))
def test_lines_redacting_twice_changes_nothing(rules_file: Path, style: RedactStyle) -> None:
    data = f"x {TOKEN} y {TOKEN2}\n{TOKEN}{TOKEN2}\n".encode()
    once = run_all(make_framer(rules_file, style=style)[0], data)
    assert run_all(make_framer(rules_file, style=style)[0], once) == once


def test_lines_long_line_redacted_in_windows(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file, max_line=1000, overlap=100)
    parts = []
    for i in range(200):
        parts.append("x" * (i % 37) + " " + TOKEN + " ")
    line = "".join(parts)
    data = ("short\n" + line + "\nafter " + TOKEN + "\n").encode()
    out = run_all(framer, data, step=333)
    assert TOKEN.encode() not in out
    assert out.count(b"\n") == 3
    assert out.split(b"\n")[1] == line.replace(TOKEN, "[REDACTED:test.token]").encode()
    assert counters.lines == 3


def test_lines_long_line_window_edges_never_leak(rules_file: Path) -> None:
    # a secret at every offset around the window boundary
    for pad in range(880, 1010, 7):
        framer, _, _ = make_framer(rules_file, max_line=1000, overlap=100)
        line = "a" * pad + " " + TOKEN + " " + "b" * 1500
        out = run_all(framer, (line + "\n").encode(), step=256)
        assert out == line.replace(TOKEN, "[REDACTED:test.token]").encode() + b"\n", pad


def test_fail_closed_marker_when_redaction_fails(
    rules_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    framer, counters, _ = make_framer(rules_file)

    def broken(self: Redactor, text: str, separators: str = "\n") -> tuple[str, list[Finding]]:
        raise RuntimeError("boom")

    monkeypatch.setattr(Redactor, "redact", broken)
    out = run_all(framer, f"ok\nleak {TOKEN}\nfine\n".encode())
    assert out == f"ok\n{MARKER}\nfine\n".encode()
    assert counters.errors == 1 and counters.lines == 3


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


# -- fluentd ----------------------------------------------------------------------------------


def test_fluentd_tsv_fields_and_tabs_kept(rules_file: Path) -> None:
    framer, _, _ = make_framer(rules_file, fmt="fluentd-tsv")
    data = f"2024-01-01T00:00:00Z\tapp.web\tlogin {TOKEN}\t200\nx\ty\tz\t1\n".encode()
    out = run_all(framer, data)
    assert out == b"2024-01-01T00:00:00Z\tapp.web\tlogin [REDACTED:test.token]\t200\nx\ty\tz\t1\n"


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


def _fluent_record(message: str, sec: int) -> bytes:
    # what Fluentd's msgpack formatter writes for a record with the time injected as EventTime
    return msgpack.encode(
        msgpack.Pairs(
            [
                ("time", msgpack.event_time(sec, 5)),
                ("message", message),
                ("level", 3),
                ("ok", True),
                ("ratio", 0.25),
                ("raw", b"\x00\xff" + message.encode()),
            ]
        )
    )


def test_fluentd_msgpack_stream(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file, fmt="fluentd-msgpack")
    clean = _fluent_record("nothing", 1700000000)
    dirty = _fluent_record(f"token {TOKEN}", 1700000001)
    out = run_all(framer, clean + dirty + clean, step=5)
    assert out.startswith(clean) and out.endswith(clean)
    middle = out[len(clean) : -len(clean)]
    obj, end = msgpack.decode(middle)
    assert end == len(middle)
    assert obj == msgpack.Pairs(
        [
            ("time", msgpack.event_time(1700000001, 5)),
            ("message", "token [REDACTED:test.token]"),
            ("level", 3),
            ("ok", True),
            ("ratio", 0.25),
            ("raw", b"\x00\xfftoken [REDACTED:test.token]"),
        ]
    )
    assert counters.lines == 3 and counters.redactions == 2


def test_fluentd_msgpack_garbage_fails_closed(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file, fmt="fluentd-msgpack")
    out = run_all(framer, _fluent_record("a", 1) + b"\xc1" + TOKEN.encode())
    assert TOKEN.encode() not in out
    first, end = msgpack.decode(out)
    assert msgpack.decode(out, end)[0] == msgpack.Pairs([("message", MARKER)])
    assert counters.errors == 1


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        127,
        128,
        255,
        65536,
        2**32,
        2**63,
        -1,
        -33,
        -129,
        -(2**40),
        1.5,
        "",
        "a" * 31,
        "b" * 32,
        "c" * 70000,
        b"",
        b"\x00" * 300,
        [],
        [1] * 16,
        list(range(70000)),
        msgpack.Pairs([(1, "x")] * 20),
        msgpack.ExtType(5, b"x" * 3),
        msgpack.ExtType(-1, b""),
    ],
    ids=lambda v: type(v).__name__,
)
def test_msgpack_roundtrip(value: object) -> None:
    data = msgpack.encode(value)
    assert msgpack.decode(data) == (value, len(data))
    with pytest.raises(msgpack.NeedMoreData):
        msgpack.decode(data[:-1])


def test_msgpack_known_bytes() -> None:
    # examples from the MessagePack specification's type table
    assert msgpack.encode(msgpack.Pairs([("a", 1)])) == b"\x81\xa1a\x01"
    assert msgpack.encode(msgpack.event_time(1, 2)) == b"\xd7\x00\x00\x00\x00\x01\x00\x00\x00\x02"
    assert msgpack.decode(b"\xca\x3f\xc0\x00\x00") == (1.5, 5)
    assert msgpack.decode(b"\xd9\x03abc") == ("abc", 5)


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


# -- the pump ---------------------------------------------------------------------------------


class ListSource:
    name = "<list>"

    def __init__(self, items: list[bytes | None], control: Control | None = None) -> None:
        self.items = items
        self.control = control

    def read(self, timeout: float) -> bytes | None:
        if not self.items:
            if self.control is not None:
                self.control.stop = True
                return None
            return b""
        return self.items.pop(0)

    def close(self) -> None:
        pass


class ListSink:
    def __init__(self, fail_after: int | None = None) -> None:
        self.writes: list[bytes] = []
        self.fail_after = fail_after

    def write(self, data: bytes) -> None:
        if self.fail_after is not None and len(self.writes) >= self.fail_after:
            raise BrokenPipeError
        self.writes.append(data)


def test_run_filter_writes_each_batch_and_partial_line_at_end(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file)
    sink = ListSink()
    source = ListSource([b"a\nb", None, b"\nc " + TOKEN.encode()])
    assert run_filter(source, sink, framer, counters, FilterOptions(flush_interval=0.0))
    assert b"".join(sink.writes) == b"a\nb\nc [REDACTED:test.token]"
    assert sink.writes[0] == b"a\n"
    assert counters.bytes == len(b"a\nb\nc " + TOKEN.encode())


def test_run_filter_stop_request_flushes_everything(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file)
    control = Control()
    sink = ListSink()
    source = ListSource([b"one\ntwo " + TOKEN.encode()], control)
    assert run_filter(source, sink, framer, counters, FilterOptions(), control)
    assert b"".join(sink.writes) == b"one\ntwo [REDACTED:test.token]"


def test_run_filter_broken_pipe_returns_false(rules_file: Path) -> None:
    framer, counters, _ = make_framer(rules_file)
    source = ListSource([b"a\n", b"b\n"])
    assert not run_filter(source, ListSink(fail_after=0), framer, counters, FilterOptions())


# -- CLI through real pipes -------------------------------------------------------------------


ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def cli(rules_file: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "scanner",
        "filter",
        "--no-builtin-rules",
        "--rules",
        str(rules_file),
        *args,
    ]


def _readline(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> bytes:
    import select

    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "no output in time"
    return proc.stdout.readline()


def test_cli_pipe_counts_and_redacts(rules_file: Path, tmp_path: Path) -> None:
    findings = tmp_path / "findings.jsonl"
    data = b"".join(
        (f"{i} {TOKEN}\n" if i % 100 == 0 else f"{i} clean \xff line\n").encode("latin-1")
        for i in range(5000)
    )
    done = subprocess.run(
        cli(rules_file, "--findings", str(findings)),
        input=data,
        capture_output=True,
        timeout=60,
        cwd=tmp_path,
        env=ENV,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == data.replace(TOKEN.encode(), b"[REDACTED:test.token]")
    assert b"5000 lines" in done.stderr and b"50 redactions" in done.stderr
    records = [json.loads(line) for line in findings.read_text().splitlines()]
    assert len(records) == 50
    assert records[0]["rule"] == "test.token" and records[0]["line"] == 1
    assert records[1]["line"] == 101
    assert {"time", "fingerprint", "source"} <= set(records[0])
    assert TOKEN not in findings.read_text()


def test_cli_answers_at_once_then_sigterm_flushes(rules_file: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        cli(rules_file, "--flush-interval", "0.01"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=ENV,
    )
    assert proc.stdin is not None and proc.stderr is not None
    try:
        proc.stdin.write(f"first {TOKEN}\n".encode())
        proc.stdin.flush()
        assert _readline(proc) == b"first [REDACTED:test.token]\n"  # stdin still open
        proc.send_signal(signal.SIGUSR1)
        time.sleep(0.3)
        proc.stdin.write(b"second\npartial " + TOKEN.encode())
        proc.stdin.flush()
        assert _readline(proc) == b"second\n"
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert rest == b"partial [REDACTED:test.token]"
    assert proc.returncode == 0
    assert err.count(b"keyguard filter: ") == 2  # SIGUSR1 and exit
    assert b"3 lines" in err


def test_cli_broken_pipe_ends_quietly(rules_file: Path, tmp_path: Path) -> None:
    script = (
        f"yes 'a log line {TOKEN}' | head -n 300000 | "
        f"{' '.join(cli(rules_file))} 2>{tmp_path / 'err'} | head -n 1; "
        "echo status=${PIPESTATUS[2]}"
    )
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, timeout=90, cwd=tmp_path, env=ENV
    )
    assert done.stdout.splitlines() == [b"a log line [REDACTED:test.token]", b"status=0"]
    assert b"Traceback" not in (tmp_path / "err").read_bytes()


def test_cli_input_output_files_and_long_lines(rules_file: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.log"
    long = ("z" * 5000 + " " + TOKEN + " ") * 300
    src.write_bytes(f"a {TOKEN}\n{long}\nend\n".encode())
    dst = tmp_path / "out.log"
    done = subprocess.run(
        cli(rules_file, "-i", str(src), "-o", str(dst), "--max-line", "64KiB"),
        capture_output=True,
        timeout=60,
        cwd=tmp_path,
        env=ENV,
    )
    assert done.returncode == 0, done.stderr
    assert dst.read_bytes() == src.read_bytes().replace(TOKEN.encode(), b"[REDACTED:test.token]")


def test_cli_missing_input_is_user_error(rules_file: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        cli(rules_file, "-i", str(tmp_path / "nope.log")),
        capture_output=True,
        timeout=60,
        cwd=tmp_path,
        env=ENV,
    )
    assert done.returncode == 2
    assert b"nope.log: cannot read" in done.stderr


def _wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_cli_follow_survives_rotation_and_truncation(rules_file: Path, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    out = tmp_path / "out.log"
    log.write_bytes(b"before\n")
    proc = subprocess.Popen(
        cli(rules_file, "-i", str(log), "--follow", "-o", str(out)),
        cwd=tmp_path,
        env=ENV,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: out.exists() and out.read_bytes() == b"before\n")
        with open(log, "ab") as f:
            f.write(f"grown {TOKEN}\n".encode())
        _wait_for(lambda: out.read_bytes().endswith(b"grown [REDACTED:test.token]\n"))
        os.rename(log, tmp_path / "app.log.1")
        log.write_bytes(f"rotated {TOKEN}\n".encode())
        _wait_for(lambda: out.read_bytes().endswith(b"rotated [REDACTED:test.token]\n"))
        log.write_bytes(b"t\n")  # truncated and rewritten in place
        _wait_for(lambda: out.read_bytes().endswith(b"\nt\n"))
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert out.read_bytes() == (
        b"before\ngrown [REDACTED:test.token]\nrotated [REDACTED:test.token]\nt\n"
    )


def test_cli_builtin_rules_redact_real_token_shapes(tmp_path: Path) -> None:
    from testing.tokens import github_token

    token = github_token()
    data = f"clean start\nGET /repos?access_token={token} 200\nclean end\n".encode()
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "filter", "--engine", "aho-corasick", "--quiet"],
        input=data,
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
        env=ENV,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines[0] == "clean start" and lines[2] == "clean end"
    assert token not in done.stdout.decode()
    assert lines[1].startswith("GET /repos?access_token=[REDACTED:github.")


def test_lines_decoded_secret_redacts_encoded_segment(rules_file: Path) -> None:
    import base64

    ruleset = load_ruleset([rules_file], builtin=False)
    matcher = Matcher.build(ruleset, MatchPolicy(ignore_inline_allow=True, decode_depth=1))
    redactor = Redactor(matcher, Redaction(), Origin("<test>", kind="log"))
    counters = Counters()
    framer = build_framer(redactor, FilterOptions(), counters, lambda items: None)
    encoded = base64.b64encode(f"user:{TOKEN}".encode()).decode()
    data = f"clean line\nAuthorization: Basic {encoded} ok\nplain {TOKEN}\n".encode()
    out = run_all(framer, data).decode().splitlines()
    assert out == [
        "clean line",
        "Authorization: Basic [REDACTED:test.token] ok",
        "plain [REDACTED:test.token]",
    ]
