"""Stops and pathological rules, through a real ``keyguard filter`` process."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scanner.logfilter.options import MARKER
from testing.logfilter import ROOT, RULES, TOKEN
from testing.rules import rule_toml

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
# a user rule whose pattern backtracks catastrophically on a long run of "a"
SLOW_RULE = rule_toml(
    "test.slow",
    "(a+)+b",
    keywords=["aaaa"],
    examples=["aaaab"],
    negatives=["bbbb"],
    name="Backtracking rule",
    description="Nested quantifiers: exponential on a long run of a.",
)
LONG_RUN = "a" * 5000


@pytest.fixture
def slow_rules(tmp_path: Path) -> Path:
    path = tmp_path / "slow.toml"
    path.write_text(RULES + SLOW_RULE, encoding="utf-8")
    return path


def start(rules: Path, cwd: Path, *args: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "scanner", "filter", "--no-builtin-rules", "--rules", str(rules)]
    return subprocess.Popen(
        [*cmd, "--flush-interval", "0.01", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=ENV,
    )


def readline(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> bytes:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "no output in time"
    return proc.stdout.readline()


def send(proc: subprocess.Popen[bytes], data: bytes) -> None:
    assert proc.stdin is not None
    proc.stdin.write(data)
    proc.stdin.flush()


@pytest.mark.parametrize("fmt", ["lines", "json"])
def test_sigterm_unfinished_last_line_is_redacted(
    rules_file: Path, tmp_path: Path, fmt: str
) -> None:
    proc = start(rules_file, tmp_path, "--format", fmt)
    try:
        send(proc, b'{"m": "first"}\n')
        assert readline(proc) == b'{"m": "first"}\n'
        # the writer is stopped in the middle of a record: the filter holds it unfinished
        send(proc, f'{{"m": "token {TOKEN}", "cut'.encode())
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert TOKEN.encode() not in rest
    assert rest == b'{"m": "token [REDACTED:test.token]", "cut'
    assert b"2 lines" in err


def test_pathological_rule_is_bounded_and_fails_closed(slow_rules: Path, tmp_path: Path) -> None:
    data = f"before {TOKEN}\n{LONG_RUN}\nafter {TOKEN}\n".encode()
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scanner",
            "filter",
            "--engine",
            "aho-corasick",
            "--no-builtin-rules",
            "--rules",
            str(slow_rules),
        ],
        input=data,
        capture_output=True,
        timeout=150,
        cwd=tmp_path,
        env=ENV,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines() == [
        "before [REDACTED:test.token]",
        MARKER,
        "after [REDACTED:test.token]",
    ]
    assert b"3 lines" in done.stderr and b"1 errors" in done.stderr
    assert elapsed < 110


def test_pathological_rule_sigterm_exits_promptly(slow_rules: Path, tmp_path: Path) -> None:
    proc = start(slow_rules, tmp_path, "--engine", "aho-corasick", "--format", "json")
    try:
        send(proc, f'{{"m": "before {TOKEN}"}}\n'.encode())
        assert readline(proc) == b'{"m": "before [REDACTED:test.token]"}\n'
        send(proc, f'{{"m": "{LONG_RUN}"}}\n{{"m": "after {TOKEN}"'.encode())
        time.sleep(1.0)  # the filter is now stuck in the rule
        stopped = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=60)
        elapsed = time.monotonic() - stopped
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert elapsed < 12, elapsed  # the stop's grace period is 2 s; the rule alone would take 10+ s
    assert TOKEN.encode() not in rest and LONG_RUN.encode() not in rest
    marker = json.dumps({"message": MARKER}).encode()
    assert rest.split(b"\n") == [marker, marker]
    assert b"3 lines" in err


def test_fluentd_msgpack_without_msgpack_is_a_one_line_user_error(
    rules_file: Path, tmp_path: Path
) -> None:
    code = "import sys; sys.modules['msgpack'] = None; from scanner.cli import main; main()"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "filter",
            "--format",
            "fluentd-msgpack",
            "--no-builtin-rules",
            "--rules",
            str(rules_file),
        ],
        input=b"",
        capture_output=True,
        timeout=60,
        cwd=tmp_path,
        env=ENV,
    )
    assert done.returncode == 2
    assert done.stderr.decode().strip().count("\n") == 0
    assert "pip install 'keyguard[fluentd]'" in done.stderr.decode()
