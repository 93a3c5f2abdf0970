"""``--verify`` through the CLI: off by default (no connection at all), trust of rule files,
the report formats, the cache, ``--only-verified`` and ``--fail-on-verified``."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scanner.cli import main
from scanner.reporters import REPORTERS
from testing.rules import token_rule
from testing.servers import only_test_rules
from tests.verify.conftest import Contract, reply_json

HOST = "api.kgtest.invalid"
LIVE = "kgtest_" + "Q7vX2mR9tL4pW8nK3sJ6hD1f"
DEAD = "kgtest_" + "Z3cB8wN5yH2kV9qT6mG4rJ7x"
RULE = (
    token_rule(
        "kgtest.verify-token",
        "kgtest_",
        "[A-Za-z0-9]{24}",
        f'token = "{LIVE}"',
        name="kgtest verification token",
        description="A synthetic token for the verification tests.",
    )
    + f"""
[rules.verify]
url = 'https://{HOST}/v1/whoami'
method = 'GET'
headers = {{ Authorization = 'Bearer {{secret}}' }}
live = {{ status = [200], json = {{ ok = true }} }}
invalid = {{ status = [401] }}
permission = 'none: returns the caller'
docs = 'https://docs.kgtest.invalid/whoami'
"""
)


@pytest.fixture(autouse=True)
def _test_rules_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    only_test_rules(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)  # no project config of the cwd
    monkeypatch.setenv("KEYGUARD_CACHE_DIR", str(tmp_path / "cache"))  # answers of this test only


@pytest.fixture
def rule_file(tmp_path: Path) -> Path:
    path = tmp_path / "kgtest-rules.toml"
    path.write_text(RULE, encoding="utf-8")
    return path


@pytest.fixture
def target(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "live.env").write_text(f'TOKEN = "{LIVE}"\n', encoding="utf-8")
    (src / "dead.env").write_text(f'TOKEN = "{DEAD}"\n', encoding="utf-8")
    return src


@pytest.fixture
def provider(contract: Contract, route: Callable[[dict[str, str]], None]) -> Contract:
    def whoami(seen):  # type: ignore[no-untyped-def]
        if seen.headers.get("Authorization") == f"Bearer {LIVE}":
            return reply_json(200, {"ok": True, "user": "kgtest"})
        return reply_json(401, {"message": "invalid token"})

    contract.handlers["/v1/whoami"] = whoami
    route({HOST: contract.address})
    return contract


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["scan", *args, "--no-color", "-j", "1"])


def statuses(result: Result) -> dict[str, str]:
    doc = json.loads(result.stdout)
    return {Path(f["path"]).name: f["verification"]["status"] for f in doc["findings"]}


def test_without_verify_no_request_and_no_connection(
    provider: Contract, rule_file: Path, target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: socket.socket, address: object) -> None:
        raise AssertionError(f"connection attempted to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    result = run(str(target), "--rules", str(rule_file), "--custom-verifiers", "-f", "json")
    assert result.exit_code == 2 and "needs --verify" in result.output
    result = run(str(target), "--rules", str(rule_file), "-f", "json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert len(doc["findings"]) == 2
    assert all("verification" not in f for f in doc["findings"])
    assert provider.seen == []


def test_verify_marks_live_and_invalid(provider: Contract, rule_file: Path, target: Path) -> None:
    result = run(
        str(target), "--rules", str(rule_file), "--verify", "--custom-verifiers", "-f", "json",
        "--verify-cache-ttl", "0",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert statuses(result) == {"live.env": "live", "dead.env": "invalid"}
    doc = json.loads(result.stdout)
    (live,) = [f for f in doc["findings"] if f["path"].endswith("live.env")]
    assert live["verification"]["verifier"].startswith("kgtest.verify-token@")
    assert len(provider.seen) == 2
    assert LIVE not in result.stdout and DEAD not in result.stdout


def test_user_rule_verifier_needs_the_opt_in(
    provider: Contract, rule_file: Path, target: Path
) -> None:
    result = run(str(target), "--rules", str(rule_file), "--verify", "-f", "json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert {f["verification"]["status"] for f in doc["findings"]} == {"unknown"}
    assert all("not run" in f["verification"]["detail"] for f in doc["findings"])
    assert provider.seen == []


def test_in_tree_rules_never_verify(provider: Contract, target: Path) -> None:
    """A config and rule file inside the scanned tree: even with --verify and
    --custom-verifiers, the tree's verifier sends nothing."""
    (target / "kgtest-rules.toml").write_text(RULE, encoding="utf-8")
    (target / ".keyguard.toml").write_text('rules = ["kgtest-rules.toml"]\n', encoding="utf-8")
    result = run(str(target), "--verify", "--custom-verifiers", "-f", "json")
    assert result.exit_code == 1, (result.output, result.exception)
    doc = json.loads(result.stdout)
    assert {Path(f["path"]).name for f in doc["findings"]} >= {"live.env", "dead.env"}
    assert {f["verification"]["status"] for f in doc["findings"]} == {"unknown"}
    assert provider.seen == []


def test_cache_avoids_a_second_request(provider: Contract, rule_file: Path, target: Path) -> None:
    args = [str(target), "--rules", str(rule_file), "--verify", "--custom-verifiers", "-f", "json"]
    first = run(*args)
    assert statuses(first) == {"live.env": "live", "dead.env": "invalid"}
    assert len(provider.seen) == 2
    second = run(*args)
    assert statuses(second) == {"live.env": "live", "dead.env": "invalid"}
    assert len(provider.seen) == 2  # both answered from the cache
    assert all(
        "cached" in f["verification"]["detail"] for f in json.loads(second.stdout)["findings"]
    )
    third = run(*args, "--verify-cache-ttl", "0")
    assert statuses(third) == {"live.env": "live", "dead.env": "invalid"}
    assert len(provider.seen) == 4


def test_errors_are_not_cached(provider: Contract, rule_file: Path, target: Path) -> None:
    provider.delay = 0.5  # slower than --verify-timeout: an error, asked again next run
    (target / "dead.env").unlink()
    args = [str(target), "--rules", str(rule_file), "--verify", "--custom-verifiers", "-f", "json",
            "--verify-timeout", "0.1"]  # fmt: skip
    assert statuses(run(*args)) == {"live.env": "error"}
    assert len(provider.seen) == 1
    assert statuses(run(*args)) == {"live.env": "error"}
    assert len(provider.seen) == 2
    provider.delay = 0.0
    assert statuses(run(*args)) == {"live.env": "live"}
    assert len(provider.seen) == 3


def test_only_verified_and_fail_on_verified(
    provider: Contract, rule_file: Path, target: Path
) -> None:
    base = [str(target), "--rules", str(rule_file), "--verify", "--custom-verifiers", "-f", "json"]
    only = run(*base, "--only-verified")
    assert only.exit_code == 1
    assert statuses(only) == {"live.env": "live"}
    assert run(*base, "--fail-on-verified").exit_code == 1  # a live finding
    (target / "live.env").unlink()
    gate = run(*base, "--fail-on-verified")
    assert statuses(gate) == {"dead.env": "invalid"}
    assert gate.exit_code == 0  # findings, but none live
    assert run(*base).exit_code == 1  # without the flag: the usual exit semantics
    none = run(*base, "--only-verified")
    assert none.exit_code == 0 and json.loads(none.stdout)["findings"] == []


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_every_format_shows_the_status_and_no_secret(
    provider: Contract, rule_file: Path, target: Path, fmt: str
) -> None:
    result = run(str(target), "--rules", str(rule_file), "--verify", "--custom-verifiers",
                 "-f", fmt)  # fmt: skip
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert LIVE not in out and DEAD not in out
    assert "live" in out and "invalid" in out
    if fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        assert {r["properties"]["verification"]["status"] for r in results} == {"live", "invalid"}
    if fmt == "jsonl":
        records = [json.loads(line) for line in out.splitlines()]
        assert {r["verification"]["status"] for r in records} == {"live", "invalid"}
    if fmt == "text":
        assert "verified: live" in out and "verified: invalid" in out
    if fmt == "github":
        assert "[verified: live" in out and "[verified: invalid" in out


def test_findings_without_a_verifier_are_unknown(
    provider: Contract, tmp_path: Path, target: Path
) -> None:
    plain = tmp_path / "plain.toml"
    plain.write_text(RULE.split("[rules.verify]")[0], encoding="utf-8")
    result = run(str(target), "--rules", str(plain), "--verify", "-f", "json")
    doc = json.loads(result.stdout)
    assert {
        (f["verification"]["status"], f["verification"]["detail"]) for f in doc["findings"]
    } == {("unknown", "no verifier")}
    assert provider.seen == []


def test_one_request_per_distinct_secret(provider: Contract, rule_file: Path, target: Path) -> None:
    for name in ("a.env", "b.env", "c.env"):
        (target / name).write_text(f'OTHER = "{LIVE}"\n', encoding="utf-8")
    result = run(str(target), "--rules", str(rule_file), "--verify", "--custom-verifiers",
                 "-f", "json", "--verify-concurrency", "4")  # fmt: skip
    found = statuses(result)
    assert found == {n: "live" for n in ("live.env", "a.env", "b.env", "c.env")} | {
        "dead.env": "invalid"
    }
    assert len(provider.seen) == 2  # the live token once, the dead one once


def test_git_history_and_staged_verify(provider: Contract, rule_file: Path, tmp_path: Path) -> None:
    from testing.gitrepo import git_repo

    repo = git_repo(tmp_path)
    repo.commit("add", {"conf.env": f'TOKEN = "{LIVE}"\n'})
    repo.commit("remove", remove=("conf.env",))
    repo.stage({"new.env": f'TOKEN = "{DEAD}"\n'})
    common = ["--rules", str(rule_file), "--verify", "--custom-verifiers", "-f", "json",
              "--no-color", "-j", "1"]  # fmt: skip
    history = CliRunner().invoke(main, ["git", str(repo.path), *common])
    assert history.exit_code == 1, history.output
    assert statuses(history) == {"conf.env": "live"}
    staged = CliRunner().invoke(main, ["git", str(repo.path), "--staged", *common])
    assert staged.exit_code == 1, staged.output
    assert statuses(staged) == {"new.env": "invalid"}
    assert len(provider.seen) == 2


def test_image_takes_the_flags() -> None:
    result = CliRunner().invoke(main, ["image", "--help"])
    assert "--verify" in result.output and "--fail-on-verified" in result.output


def test_missing_extra_is_a_one_line_user_error(
    provider: Contract, rule_file: Path, target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "requests", None)  # as if keyguard[verify] were missing
    result = run(str(target), "--rules", str(rule_file), "--verify", "--custom-verifiers")
    assert result.exit_code == 2
    assert "pip install 'keyguard[verify]'" in result.output
    assert provider.seen == []


def test_config_named_rules_never_verify(
    provider: Contract, rule_file: Path, target: Path, tmp_path: Path
) -> None:
    """A rule file named by a config (here one given with --config, outside the tree) is not a
    rule file on the command line: even with --custom-verifiers it sends nothing."""
    config = tmp_path / "trusted.toml"
    config.write_text(f"rules = [{json.dumps(str(rule_file))}]\n", encoding="utf-8")
    result = run(str(target), "--config", str(config), "--verify", "--custom-verifiers",
                 "-f", "json")  # fmt: skip
    assert result.exit_code == 1, (result.output, result.exception)
    doc = json.loads(result.stdout)
    assert len(doc["findings"]) == 2
    assert all(f["verification"]["status"] == "unknown" for f in doc["findings"])
    assert all("not run" in f["verification"]["detail"] for f in doc["findings"])
    assert provider.seen == []


def test_cache_is_keyed_by_fingerprint_and_holds_no_secret(
    provider: Contract, rule_file: Path, target: Path, tmp_path: Path
) -> None:
    args = [str(target), "--rules", str(rule_file), "--verify", "--custom-verifiers", "-f", "json"]
    assert statuses(run(*args)) == {"live.env": "live", "dead.env": "invalid"}
    assert len(provider.seen) == 2
    (target / "live.env").rename(target / "moved.env")  # same secret, another place
    (target / "copy.env").write_text(f'X = "{DEAD}"\n', encoding="utf-8")
    assert statuses(run(*args)) == {
        "moved.env": "live", "dead.env": "invalid", "copy.env": "invalid",
    }  # fmt: skip
    assert len(provider.seen) == 2  # all three answered from the cache
    stored = [p.read_bytes() for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert stored, "nothing was cached"
    assert not any(LIVE.encode() in b or DEAD.encode() in b for b in stored)


@pytest.mark.parametrize("command", ["scan", "git", "image", "org"])
def test_every_command_takes_the_database_opt_in(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "--verify-connect-databases" in result.output
