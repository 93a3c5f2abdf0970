"""Text lines and Fluentd ``tsv``: block scanning, styles, long lines, fail closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.logfilter.options import MARKER, Counters, FilterOptions
from scanner.logfilter.redactor import Redactor
from scanner.logfilter.service import build_framer
from scanner.logfilter.styles import RedactStyle, Span, short_hash
from scanner.models import Finding
from testing.logfilter import TOKEN, TOKEN2, make_framer, make_redactor, run_all

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

    def broken(self: Redactor, text: str) -> tuple[list[Span], list[Finding]]:
        raise RuntimeError("boom")

    monkeypatch.setattr(Redactor, "find_spans", broken)
    out = run_all(framer, f"ok\nleak {TOKEN}\nfine\n".encode())
    assert out == f"ok\n{MARKER}\nfine\n".encode()
    assert counters.errors == 1 and counters.lines == 3


def test_fluentd_tsv_fields_and_tabs_kept(rules_file: Path) -> None:
    framer, _, _ = make_framer(rules_file, fmt="fluentd-tsv")
    data = f"2024-01-01T00:00:00Z\tapp.web\tlogin {TOKEN}\t200\nx\ty\tz\t1\n".encode()
    out = run_all(framer, data)
    assert out == b"2024-01-01T00:00:00Z\tapp.web\tlogin [REDACTED:test.token]\t200\nx\ty\tz\t1\n"


def test_lines_decoded_secrets_the_same_whether_trigger_lines_are_known_or_asked(
    rules_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lines of a block that hold a decoder trigger, from one pass (``trigger_lines``) or
    asked of the prefilter line by line: the same segments decoded, the same findings."""
    import base64

    redactor = make_redactor(rules_file, decode_depth=1)
    encoded = base64.b64encode(f"user:{TOKEN}".encode()).decode()
    lines = [f"{i} clean {encoded[:6]} x" if i % 3 else f"{i} auth {encoded} ok" for i in range(40)]
    text = "\n".join(lines)
    spans, findings = redactor.find_spans(text)
    assert len(findings) == 14
    if redactor.prefilter.name == "hyperscan":
        assert redactor.prefilter.trigger_lines(text)
    monkeypatch.setattr(redactor.prefilter, "trigger_lines", lambda text: None)
    assert redactor.find_spans(text) == (spans, findings)


def test_lines_decoded_secret_redacts_encoded_segment(rules_file: Path) -> None:
    import base64

    redactor = make_redactor(rules_file, decode_depth=1)
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
