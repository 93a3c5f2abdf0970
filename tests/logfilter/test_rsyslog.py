"""End to end with a real rsyslog: imtcp on 127.0.0.1 → mmexternal (keyguard filter) → omfile.

Needs the Debian package ``rsyslog`` (scripts/apt-packages.txt). The test starts ``rsyslogd`` in
the foreground with its own config, pid file and work directory, and stops it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.rules import TEST_TOKEN_RULE

ROOT = Path(__file__).resolve().parent.parent.parent
RSYSLOGD = "/usr/sbin/rsyslogd"
TOKEN = "kgt_Fk7Qz2Lm9Wx4Rt6Yp3Nb8Vc1"
TOKEN2 = "kgt_Ab3Cd5Ef7Gh9Jk2Mn4Pq6Rs8"
RULES = TEST_TOKEN_RULE
CONF = """
global(workDirectory="{work}")
module(load="imtcp")
module(load="mmexternal")
template(name="plain" type="string" string="%msg%\\n")
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="{portfile}" ruleset="filtered")
ruleset(name="filtered") {{
  action(type="mmexternal" binary="{binary}" interface.input="{mode}" forceSingleInstance="on")
  action(type="omfile" file="{out}" template="plain")
}}
"""


class Rsyslog:
    def __init__(self, base: Path, mode: str) -> None:
        self.base = base
        self.work = base / "work"
        self.work.mkdir()
        self.out = base / "out.log"
        self.findings = base / "findings.jsonl"
        self.portfile = base / "port"
        rules = base / "rules.toml"
        rules.write_text(RULES, encoding="utf-8")
        # mmexternal starts the program with an empty environment and its own working
        # directory: a two-line launcher puts this checkout on sys.path
        launcher = base / "keyguard_launcher.py"
        launcher.write_text(
            f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
            "from scanner.cli import main\nmain()\n",
            encoding="utf-8",
        )
        binary = (
            f"{sys.executable} {launcher} filter --format rsyslog --rsyslog-input {mode} "
            f"--no-builtin-rules --rules {rules} --findings {self.findings}"
        )
        self.conf = base / "rsyslog.conf"
        self.conf.write_text(
            CONF.format(
                work=self.work, portfile=self.portfile, binary=binary, mode=mode, out=self.out
            ),
            encoding="utf-8",
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.err_file = open(base / "rsyslogd.err", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [RSYSLOGD, "-n", "-f", str(self.conf), "-i", str(base / "rsyslogd.pid")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.err_file,
        )

    def port(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.portfile.exists() and self.portfile.read_text().strip():
                return int(self.portfile.read_text().strip())
            assert self.proc.poll() is None, (self.base / "rsyslogd.err").read_text()
            time.sleep(0.05)
        raise AssertionError("rsyslogd did not open its port")

    def send(self, messages: list[str]) -> None:
        with socket.create_connection(("127.0.0.1", self.port()), timeout=10) as sock:
            for i, message in enumerate(messages):
                line = f"<13>Nov 28 12:00:{i % 60:02d} testhost app[42]: {message}\n"
                sock.sendall(line.encode())

    def lines(self, count: int, timeout: float = 60.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.out.exists():
                got = self.out.read_text(encoding="utf-8").splitlines()
                if len(got) >= count:
                    return got
            time.sleep(0.1)
        got = self.out.read_text().splitlines() if self.out.exists() else []
        err = (self.base / "rsyslogd.err").read_text()
        raise AssertionError(f"only {len(got)} of {count} messages arrived; rsyslogd: {err}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err_file.close()


@pytest.fixture
def rsyslog_msg(tmp_path: Path) -> Iterator[Rsyslog]:
    server = Rsyslog(tmp_path, "msg")
    yield server
    server.stop()


@pytest.fixture
def rsyslog_fulljson(tmp_path: Path) -> Iterator[Rsyslog]:
    server = Rsyslog(tmp_path, "fulljson")
    yield server
    server.stop()


def _messages(count: int) -> list[str]:
    out = []
    for i in range(count):
        if i % 5 == 1:
            out.append(f"msg {i} login with token={TOKEN} done")
        elif i % 5 == 3:
            out.append(f'msg {i} json {{"a": "{TOKEN2}", "b": "{TOKEN}"}}')
        else:
            out.append(f"msg {i} clean line number {i}")
    return out


def _expected(message: str) -> str:
    return message.replace(TOKEN, "[REDACTED:test.token]").replace(TOKEN2, "[REDACTED:test.token]")


def _relay(server: Rsyslog, count: int) -> None:
    """``count`` messages through rsyslog and the filter: each comes out once, in order,
    redacted."""
    messages = _messages(count)
    server.send(messages)
    got = server.lines(len(messages))
    assert [line.strip() for line in got] == [_expected(m) for m in messages]


@pytest.mark.slow
def test_rsyslog_mmexternal_every_message_in_order_redacted(rsyslog_msg: Rsyslog) -> None:
    _relay(rsyslog_msg, 200)
    text = rsyslog_msg.out.read_text()
    assert TOKEN not in text and TOKEN2 not in text
    rsyslog_msg.stop()
    records = [json.loads(line) for line in rsyslog_msg.findings.read_text().splitlines()]
    assert len(records) == 40 + 40 * 2
    assert all(r["rule"] == "test.token" for r in records)
    assert TOKEN not in rsyslog_msg.findings.read_text()


@pytest.mark.slow
def test_rsyslog_mmexternal_fulljson_input(rsyslog_fulljson: Rsyslog) -> None:
    _relay(rsyslog_fulljson, 30)
