"""exec (a real local process) and webhook (a real local HTTP server) rotation providers."""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from scanner.secret import Secret
from testing.rotationcli import keyguard, rotation_failed, rotation_project
from testing.servers import rotation_token

HOOK = """\
import json, os, sys
payload = json.load(sys.stdin)
payload["env_fingerprint"] = os.environ["KEYGUARD_FINGERPRINT"]
with open(sys.argv[1], "a") as out:
    out.write(json.dumps(payload) + "\\n")
if len(sys.argv) > 2:
    print("rotation refused for " + payload.get("secret", "?"), file=sys.stderr)
    sys.exit(int(sys.argv[2]))
"""
KEY = "kg-webhook-signing-key"


def project(tmp_path: Path, leak: str, **keys: Any) -> list[str]:
    files = {"a.env": f"TOKEN={leak}\n", "b.env": f"TOKEN={leak}\n"}
    return rotation_project(tmp_path, files, backoff=0, **keys)


def hook(tmp_path: Path, *extra: str) -> tuple[list[str], Path]:
    script = tmp_path / "hook.py"
    script.write_text(HOOK, encoding="utf-8")
    out = tmp_path / "calls.jsonl"
    return [sys.executable, str(script), str(out), *extra], out


def calls(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


# -- exec ---------------------------------------------------------------------------------
def test_exec_gets_finding_json_without_secret(tmp_path: Path) -> None:
    leak = rotation_token("exec-plain")
    command, out = hook(tmp_path)
    args = project(tmp_path, leak, provider="exec", command=command)

    plan = keyguard(args)
    assert "run command with the finding JSON on stdin" in plan.stderr
    assert calls(out) == []  # dry run: the command is not run

    done = keyguard(args, "--rotate")
    assert "rotation: 1 rotated" in done.stderr, done.stderr
    (payload,) = calls(out)  # the same value in two files: one rotation
    assert "secret" not in payload and leak not in json.dumps(payload)
    assert payload["fingerprint"] == payload["env_fingerprint"] == Secret(leak).fingerprint()
    assert payload["rule_id"] == "kgtest.rotation-token" and payload["occurrences"] == 2
    assert payload["location"].endswith("a.env") and payload["line"] == 1

    keyguard(args, "--rotate")
    assert len(calls(out)) == 1  # idempotent


def test_exec_pass_secret_sends_raw_value(tmp_path: Path) -> None:
    leak = rotation_token("exec-secret")
    command, out = hook(tmp_path)
    args = project(tmp_path, leak, provider="exec", command=command, pass_secret=True)
    assert "finding JSON with the secret" in keyguard(args).stderr
    keyguard(args, "--rotate")
    assert calls(out)[0]["secret"] == leak


def test_exec_failure_reported_with_secret_masked(tmp_path: Path) -> None:
    leak = rotation_token("exec-fail")
    command, out = hook(tmp_path, "3")
    args = project(tmp_path, leak, provider="exec", command=command, pass_secret=True, retries=0)
    result = rotation_failed(args)
    assert "command exited 3: rotation refused for kgro********" in result.stderr
    assert leak not in result.output and leak not in (tmp_path / "audit.jsonl").read_text()
    assert len(calls(out)) == 1 and not (tmp_path / "state.json").exists()


def test_exec_timeout_is_retried_then_fails(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import time; time.sleep(30)"]
    args = project(tmp_path, rotation_token("exec-slow"), provider="exec", command=command,
                   timeout=0.3, retries=1)  # fmt: skip
    result = keyguard(args, "--rotate")
    assert result.exit_code == 1 and "command timed out after 0.3s" in result.stderr
    audit = (tmp_path / "audit.jsonl").read_text()
    assert audit.count('"event": "retry"') == 1


# -- webhook ------------------------------------------------------------------------------
class Receiver(BaseHTTPRequestHandler):
    statuses: list[int]
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(KEY.encode(), body, hashlib.sha256).hexdigest()
        self.received.append(
            {
                "verified": hmac.compare_digest(expected, self.headers.get("X-Kg-Sig", "")),
                "body": json.loads(body),
                "type": self.headers["Content-Type"],
            }
        )
        self.send_response(self.statuses.pop(0) if self.statuses else 204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[Receiver]]]:
    handler = type("Handler", (Receiver,), {"statuses": [], "received": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/rotate", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_webhook_posts_signed_finding(
    tmp_path: Path, receiver: tuple[str, type[Receiver]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = receiver
    monkeypatch.setenv("KG_HOOK_KEY", KEY)
    leak = rotation_token("webhook")
    args = project(tmp_path, leak, provider="webhook", url=url, key_env="KG_HOOK_KEY",
                   header="X-Kg-Sig")  # fmt: skip
    plan = keyguard(args)
    assert f"webhook {url}: POST signed finding JSON" in plan.stderr
    assert handler.received == []

    done = keyguard(args, "--rotate")
    assert "rotation: 1 rotated" in done.stderr, done.stderr
    (got,) = handler.received
    assert got["verified"] and got["type"] == "application/json"
    assert got["body"]["fingerprint"] == Secret(leak).fingerprint()
    assert leak not in json.dumps(got["body"])
    keyguard(args, "--rotate")
    assert len(handler.received) == 1


def test_webhook_retries_server_errors_not_client_errors(
    tmp_path: Path, receiver: tuple[str, type[Receiver]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = receiver
    monkeypatch.setenv("KEYGUARD_WEBHOOK_KEY", KEY)
    handler.statuses.extend([503, 200])
    args = project(tmp_path / "a", rotation_token("wh-5xx"), provider="webhook", url=url,
                   retries=1)  # fmt: skip
    assert "1 rotated" in keyguard(args, "--rotate").stderr
    assert len(handler.received) == 2 and not handler.received[0]["verified"]  # other header

    handler.statuses.extend([403, 200])
    args = project(tmp_path / "b", rotation_token("wh-4xx"), provider="webhook", url=url,
                   retries=3)  # fmt: skip
    result = keyguard(args, "--rotate")
    assert "webhook answered HTTP 403" in result.stderr and len(handler.received) == 3


def test_webhook_without_key_fails_before_sending(
    tmp_path: Path, receiver: tuple[str, type[Receiver]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = receiver
    monkeypatch.delenv("KEYGUARD_WEBHOOK_KEY", raising=False)
    args = project(tmp_path, rotation_token("wh-nokey"), provider="webhook", url=url)
    assert "(KEYGUARD_WEBHOOK_KEY unset)" in keyguard(args).stderr
    assert "KEYGUARD_WEBHOOK_KEY is not set" in rotation_failed(args).stderr
    assert handler.received == []


def test_webhook_unreachable_is_a_failure(tmp_path: Path) -> None:
    args = project(tmp_path, rotation_token("wh-down"), provider="webhook",
                   url="http://127.0.0.1:9/none", retries=0)  # fmt: skip
    result = keyguard(args, "--rotate")
    assert (
        result.exit_code == 1 and "webhook" in result.stderr and "rotation failed" in result.stderr
    )


def test_webhook_url_shown_without_credentials_or_query() -> None:
    from scanner.rotation.hooks import shown_url

    assert (
        shown_url("https://u:p@hooks.example:8443/a/b?token=t#x")
        == "https://hooks.example:8443/a/b"
    )


# -- the same hook from `git` and `filter` --------------------------------------------------


def test_exec_rotation_from_git_history(tmp_path: Path) -> None:
    import subprocess

    leak = rotation_token("git")
    command, out = hook(tmp_path)
    args = project(tmp_path, leak, provider="exec", command=command)
    repo = tmp_path / "src"
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "leak"]):
        subprocess.run(["git", "-C", str(repo), *step], check=True)
    git_args = ["git", str(repo), *args[2:]]  # same options, history instead of files
    plan = keyguard(git_args)
    assert plan.exit_code == 1, plan.output
    assert "run command with the finding JSON on stdin" in plan.stderr
    assert calls(out) == []
    done = keyguard(git_args, "--rotate")
    assert done.exit_code == 1, done.output
    assert len({c["fingerprint"] for c in calls(out)}) == 1
    assert leak not in done.output


def test_exec_rotation_from_log_filter(tmp_path: Path) -> None:
    leak = rotation_token("filter")
    command, out = hook(tmp_path)
    args = project(tmp_path, leak, provider="exec", command=command)
    config = args[args.index("--config") + 1]
    rules = args[args.index("--rules") + 1]
    import subprocess

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "scanner", "filter", "--config", config, "--rules", rules,
         "--no-builtin-rules", "--rotate", "--rotation-state", str(tmp_path / "state.json"),
         "--rotation-audit", str(tmp_path / "audit.jsonl"), "-q"],
        input=f"start\nuser token={leak} seen\nend\n",
        capture_output=True, text=True, cwd=root, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 3
    assert leak not in result.stdout
    assert len(calls(out)) == 1
