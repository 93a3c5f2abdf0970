"""The trust boundary: a config inside the scanned tree is data, never a way to act for the caller.

Each attack is end to end: the scanned project carries a ``.keyguard.toml`` (or
``[tool.keyguard]``) whose rotation entries point at a local listener on 127.0.0.1 and at a
marker command; neither may be reached. Positive controls show the same entries *do* act when
they come from a config the caller trusts (``--config``, the user's own config file), so a
passing test is not a test that could never fail.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from scanner.cli import main
from testing.gitrepo import git_repo
from testing.servers import only_test_rules, rotation_token, write_rotation_rule

VAULT_TOKEN = "kg-caller-vault-token-do-not-send"


@dataclass
class Listener:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def listener() -> Iterator[Listener]:
    """An HTTP server on 127.0.0.1 that records every request it gets (and answers 200)."""
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen.append({"method": self.command, "path": self.path,
                         "headers": dict(self.headers), "body": body})  # fmt: skip
            payload = b"{}"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_LIST = _record  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Listener(f"http://127.0.0.1:{server.server_address[1]}", seen)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    only_test_rules(monkeypatch, tmp_path)
    monkeypatch.setenv("VAULT_TOKEN", VAULT_TOKEN)
    monkeypatch.setenv("KEYGUARD_WEBHOOK_KEY", "kg-webhook-key")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("KEYGUARD_CONFIG", raising=False)


def hostile_rotation(listener: Listener, marker: Path) -> str:
    """Rotation entries an attacker would commit: discovery against their Vault (with the
    caller's token), a command, a webhook."""
    command = json.dumps([sys.executable, "-c", f"open({str(marker)!r}, 'w').write('ran')"])
    return f"""\
[[rotation]]
name = "their-vault"
provider = "vault"
rules = ["kgtest.*"]
discover = true
addr = "{listener.url}"
[[rotation]]
name = "their-command"
provider = "exec"
rules = ["kgtest.*"]
command = {command}
[[rotation]]
name = "their-webhook"
provider = "webhook"
rules = ["kgtest.*"]
url = "{listener.url}/hook"
"""


def leaky_project(directory: Path, config: str, name: str = ".keyguard.toml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.env").write_text(f"TOKEN={rotation_token('trust')}\n", encoding="utf-8")
    (directory / name).write_text(config, encoding="utf-8")
    return directory


def keyguard(tmp_path: Path, *args: str) -> Result:
    state = ["--rotation-state", str(tmp_path / "state.json"),
             "--rotation-audit", str(tmp_path / "audit.jsonl")]  # fmt: skip
    rules = ["--rules", str(write_rotation_rule(tmp_path)), "--no-color", "-j", "1"]
    return CliRunner().invoke(main, [*args, *rules, *state])


def assert_nothing_acted(listener: Listener, marker: Path, result: Result) -> None:
    assert listener.requests == [], listener.requests
    assert not marker.exists(), "a command from the scanned tree ran"
    assert VAULT_TOKEN not in result.output


# -- scan -------------------------------------------------------------------------------------


@pytest.mark.parametrize("rotate", [False, True], ids=["plan", "rotate"])
def test_scan_ignores_rotation_from_scanned_tree(
    tmp_path: Path, listener: Listener, rotate: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "MARKER"
    repo = leaky_project(tmp_path / "repo", hostile_rotation(listener, marker))
    monkeypatch.chdir(tmp_path)
    result = keyguard(tmp_path, "scan", str(repo), *(["--rotate"] if rotate else []))
    assert result.exit_code == 1, result.output
    assert_nothing_acted(listener, marker, result)
    warning = f"{repo / '.keyguard.toml'}: ignoring rotation"
    assert warning in result.stderr
    assert len([line for line in result.stderr.splitlines() if warning in line]) == 1


def test_scan_ignores_rotation_from_cwd_repo(
    tmp_path: Path, listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "MARKER"
    repo = leaky_project(tmp_path / "repo", hostile_rotation(listener, marker))
    monkeypatch.chdir(repo)
    result = keyguard(tmp_path, "scan", ".", "--rotate")
    assert result.exit_code == 1, result.output
    assert_nothing_acted(listener, marker, result)
    assert "ignoring rotation" in result.stderr


def test_pyproject_tool_section_rotation_ignored(
    tmp_path: Path, listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "MARKER"
    tables = hostile_rotation(listener, marker).replace(
        "[[rotation]]", "[[tool.keyguard.rotation]]"
    )
    repo = leaky_project(tmp_path / "repo", tables, name="pyproject.toml")
    monkeypatch.chdir(tmp_path)
    result = keyguard(tmp_path, "scan", str(repo), "--rotate")
    assert result.exit_code == 1, result.output
    assert_nothing_acted(listener, marker, result)
    assert "pyproject.toml [tool.keyguard]: ignoring rotation" in result.stderr


def exec_entry(marker: Path) -> str:
    command = json.dumps([sys.executable, "-c", f"open({str(marker)!r}, 'w').write('ran')"])
    return f'[[rotation]]\nprovider = "exec"\nrules = ["kgtest.*"]\ncommand = {command}\n'


def test_rotation_from_explicit_config_still_acts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Positive control: the same kind of entry, in a config the caller names, does run."""
    marker = tmp_path / "MARKER"
    config = tmp_path / "mine.toml"
    config.write_text(exec_entry(marker), encoding="utf-8")
    repo = leaky_project(tmp_path / "repo", exec_entry(tmp_path / "THEIRS"))
    monkeypatch.chdir(tmp_path)
    result = keyguard(tmp_path, "scan", str(repo), "--config", str(config), "--rotate")
    assert result.exit_code == 1, result.output
    assert marker.exists(), result.output
    assert not (tmp_path / "THEIRS").exists()


def test_rotation_from_user_config_acts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "MARKER"
    user = tmp_path / "xdg" / "keyguard" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text(exec_entry(marker), encoding="utf-8")
    repo = leaky_project(tmp_path / "repo", 'exclude = ["nothing-here/"]\n')
    monkeypatch.chdir(tmp_path)
    result = keyguard(tmp_path, "scan", str(repo), "--rotate")
    assert result.exit_code == 1, result.output
    assert marker.exists(), result.output


# -- git --------------------------------------------------------------------------------------


def fork_checkout(tmp_path: Path, listener: Listener, marker: Path) -> Path:
    repo = git_repo(tmp_path, "fork")
    config = hostile_rotation(listener, marker)
    repo.commit("pr", {"app.env": f"TOKEN={rotation_token('git')}\n", ".keyguard.toml": config})
    repo.stage({"more.env": f"TOKEN={rotation_token('staged')}\n"})
    return repo.path


@pytest.mark.parametrize(
    "args", [["git", "."], ["git", ".", "--rotate"], ["git", "--staged", "--rotate"]]
)
def test_git_ignores_rotation_from_checkout(
    tmp_path: Path, listener: Listener, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    marker = tmp_path / "MARKER"
    monkeypatch.chdir(fork_checkout(tmp_path, listener, marker))
    result = keyguard(tmp_path, *args)
    assert result.exit_code == 1, result.output
    assert_nothing_acted(listener, marker, result)
    assert "ignoring rotation" in result.stderr


# -- suppressions keep working, and are counted -------------------------------------------------


def suppressed_project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    tokens = {
        name: rotation_token(f"sup-{name}")
        for name in ("path", "value", "inline", "ign", "base", "kept")
    }
    repo = tmp_path / "repo"
    (repo / "fixtures").mkdir(parents=True)
    (repo / "fixtures" / "a.env").write_text(f"T={tokens['path']}\n")
    (repo / "b.env").write_text(
        f"T={tokens['value']}\nU={tokens['inline']}  # keyguard:allow\nV={tokens['ign']}\n"
        f"W={tokens['base']}\nX={tokens['kept']}\n"
    )
    value_re = "^" + tokens["value"][:16]  # a prefix: the config itself holds no token
    (repo / ".keyguard.toml").write_text(
        f'[allow]\npaths = ["fixtures/"]\nvalues = [{json.dumps(value_re)}]\n'
    )
    from scanner.secret import Secret

    (repo / ".keyguardignore").write_text(Secret(tokens["ign"]).fingerprint() + "  # accepted\n")
    return repo, tokens


def test_in_tree_suppressions_work_and_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, tokens = suppressed_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    from scanner.secret import Secret

    baseline = repo / ".keyguard-baseline.json"
    baseline.write_text(json.dumps({
        "version": 1, "tool": "keyguard", "source": {},
        "findings": [{"path": f"{repo}/b.env", "rule_id": "kgtest.rotation-token",
                      "fingerprint": Secret(tokens["base"]).fingerprint()}],
    }))  # fmt: skip
    result = keyguard(tmp_path, "scan", str(repo), "-f", "json", "--baseline", str(baseline))
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert [f["line"] for f in doc["findings"]] == [5]
    by = doc["stats"]["suppressed_by"]
    toml = str(repo / ".keyguard.toml")
    assert by == {
        f"allow.paths ({toml})": 1,
        f"allow.values ({toml})": 1,
        "keyguard:allow": 1,
        f".keyguardignore ({repo / '.keyguardignore'})": 1,
        f"baseline ({baseline})": 1,
    }
    assert doc["stats"]["suppressed"] == 5
    sarif = json.loads(
        keyguard(tmp_path, "scan", str(repo), "-f", "sarif", "--baseline", str(baseline)).stdout
    )
    assert sarif["runs"][0]["properties"]["suppressedBy"] == by
    text = keyguard(tmp_path, "scan", str(repo), "--baseline", str(baseline)).stdout
    assert "suppressed by keyguard:allow: 1" in text
    assert f"suppressed by allow.values ({toml}): 1" in text


def test_inline_allow_counted_in_git_staged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = git_repo(tmp_path, "r")
    repo.stage({"a.env": f"T={rotation_token('st')}  # keyguard:allow\n"})
    monkeypatch.chdir(repo.path)
    result = keyguard(tmp_path, "git", "--staged", "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stats"]["suppressed_by"] == {"keyguard:allow": 1}


def test_in_tree_rules_may_not_leave_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "outside-rules.toml"
    outside.write_text("not toml at all [[[")
    repo = leaky_project(
        tmp_path / "repo", f"rules = [{json.dumps(str(outside))}, '../outside-rules.toml']\n"
    )
    monkeypatch.chdir(tmp_path)
    result = keyguard(tmp_path, "scan", str(repo))
    assert result.exit_code == 1, result.output
    assert "leaves the project; ignored" in result.stderr


def test_config_module_drops_every_non_data_key(tmp_path: Path) -> None:
    from scanner.config import DATA_KEYS, load_config

    path = tmp_path / ".keyguard.toml"
    path.write_text(
        'only = ["kgtest.*"]\n[filter]\nx = 1\n[git]\ny = 2\n[[rotation]]\nprovider = "exec"\n'
    )
    config = load_config(path, trusted=False)
    assert config.rotation == () and dict(config.sections) == {}
    assert config.only == ("kgtest.*",)
    assert config.notes == (
        f"{path}: ignoring filter, git, rotation: a config found in the scanned tree may not run "
        "commands, open connections or pick where credentials go (use --config or "
        "~/.config/keyguard/config.toml)",
    )
    assert {"rotation", "filter", "git"}.isdisjoint(DATA_KEYS)


def test_special_file_config_is_not_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = leaky_project(tmp_path / "repo", "")
    (repo / ".keyguard.toml").unlink()
    os.mkfifo(repo / ".keyguard.toml")
    monkeypatch.chdir(tmp_path)
    result = keyguard(tmp_path, "scan", str(repo))
    assert result.exit_code == 1, result.output
    assert ".keyguard.toml: a FIFO; config not read" in result.stderr


def test_symlinked_config_is_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('disable = ["kgtest.*"]\n')
    repo = leaky_project(tmp_path / "repo", "")
    (repo / ".keyguard.toml").unlink()
    (repo / ".keyguard.toml").symlink_to(elsewhere)
    monkeypatch.chdir(tmp_path)
    result = keyguard(tmp_path, "scan", str(repo))
    assert result.exit_code == 1, result.output  # the symlinked config did not disable the rule
    assert "a symlink; config not read" in result.stderr
