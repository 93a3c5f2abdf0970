"""``keyguard filter`` through real pipes and files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from testing.logfilter import ROOT, TOKEN

# -- CLI through real pipes -------------------------------------------------------------------


ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def cli(rules_file: Path | None, *args: str) -> list[str]:
    """``keyguard filter`` with only the rules of ``rules_file`` (None: the built-in rules)."""
    rules = ["--no-builtin-rules", "--rules", str(rules_file)] if rules_file else []
    return [sys.executable, "-m", "scanner", "filter", *rules, *args]


def run_cli(
    argv: list[str], cwd: Path, data: bytes | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """One filter process to its end, ``data`` on its stdin, its output captured."""
    return subprocess.run(argv, input=data, capture_output=True, timeout=timeout, cwd=cwd, env=ENV)


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
    done = run_cli(cli(rules_file, "--findings", str(findings)), tmp_path, data)
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
    done = run_cli(cli(rules_file, "-i", str(src), "-o", str(dst), "--max-line", "64KiB"), tmp_path)
    assert done.returncode == 0, done.stderr
    assert dst.read_bytes() == src.read_bytes().replace(TOKEN.encode(), b"[REDACTED:test.token]")


def test_cli_missing_input_is_user_error(rules_file: Path, tmp_path: Path) -> None:
    done = run_cli(cli(rules_file, "-i", str(tmp_path / "nope.log")), tmp_path)
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
    done = run_cli(cli(None, "--engine", "aho-corasick", "--quiet"), tmp_path, data, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines[0] == "clean start" and lines[2] == "clean end"
    assert token not in done.stdout.decode()
    assert lines[1].startswith("GET /repos?access_token=[REDACTED:github.")
