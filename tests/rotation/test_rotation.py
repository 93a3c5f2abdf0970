"""Rotation hook: config parsing, value generation, discovery digests, state, retries, exit code."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scanner.config import Config, parse_config
from scanner.errors import ConfigError
from scanner.models import Finding
from scanner.rotation import (
    ROTATION_ERROR_EXIT,
    RotationError,
    RotationOptions,
    RotationRequest,
    RotationStateError,
    Target,
    parse_rotation,
    run,
)
from scanner.rotation.base import Outcome, generate_value, iter_digests, replace_value, sha256_hex
from scanner.rotation.config import ExecSettings, GeneratorSpec, RotationEntry
from scanner.rotation.context import ProviderContext
from scanner.secret import Secret
from testing.findings import make_finding
from testing.rotationcli import config_error, rotation_project
from testing.servers import rotation_token

LEAK = rotation_token("unit")


def finding(
    value: str = LEAK, rule_id: str = "kgtest.rotation-token", path: str = "app.env", **detail: str
) -> Finding:
    return make_finding(rule_id, value, path=path, line=3, column=9, detail=tuple(detail.items()))


def config_with(*tables: dict[str, Any]) -> Config:
    return parse_config({"rotation": list(tables)}, "kg.toml", Path("."))


EXEC = {"rules": ["kgtest.*"], "provider": "exec", "command": ["true"]}


# -- config ---------------------------------------------------------------------------------------
def test_parse_rotation_full_entry_frozen_records() -> None:
    table = {
        "name": "db",
        "rules": "aws.*",
        "fingerprints": ["abc"],
        "provider": "aws-secretsmanager",
        "secret_id": "prod/db",
        "region": "eu-west-1",
        "endpoint_url": "http://127.0.0.1:5000",
        "timeout": 5,
        "retries": 0,
        "backoff": 0.5,
        "generator": {"length": 12, "alphabet": "ab", "field": "password"},
    }
    (entry,) = parse_rotation([table], "kg.toml")
    assert entry.name == "db" and entry.rules == ("aws.*",) and entry.fingerprints == ("abc",)
    assert entry.settings.secret_id == "prod/db"  # type: ignore[union-attr]
    assert entry.timeout == 5.0 and entry.retries == 0 and entry.backoff == 0.5
    assert entry.generator == GeneratorSpec(12, "ab", "password")
    with pytest.raises(AttributeError):
        entry.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ({"rules": ["x"]}, "rotation[0].provider"),
        ({"rules": ["x"], "provider": "gcp"}, "rotation[0].provider"),
        ({"provider": "exec", "command": ["true"]}, "rotation[0].rules"),
        ({**EXEC, "bogus": 1}, "rotation[0].bogus"),
        ({**EXEC, "secret_id": "x"}, "rotation[0].secret_id"),
        ({**EXEC, "command": []}, "rotation[0].command"),
        ({**EXEC, "pass_secret": "yes"}, "rotation[0].pass_secret"),
        ({**EXEC, "timeout": 0}, "rotation[0].timeout"),
        ({**EXEC, "retries": 1.5}, "rotation[0].retries"),
        ({**EXEC, "discover": True}, "rotation[0].discover"),
        ({**EXEC, "generator": {"length": 3}}, "rotation[0].generator.length"),
        ({**EXEC, "generator": {"alphabet": "a"}}, "rotation[0].generator.alphabet"),
        ({**EXEC, "generator": {"size": 3}}, "rotation[0].generator.size"),
        ({"rules": ["x"], "provider": "aws-secretsmanager"}, "rotation[0].secret_id"),
        ({"rules": ["x"], "provider": "webhook"}, "rotation[0].url"),
        ({"rules": ["x"], "provider": "webhook", "url": "ftp://h/"}, "rotation[0].url"),
        ({"rules": ["x"], "provider": "vault", "addr": "nope"}, "rotation[0].addr"),
    ],
)
def test_parse_rotation_invalid_entry_names_file_and_field(
    table: dict[str, Any], field: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_rotation([table], "kg.toml")
    assert str(info.value).startswith(f"kg.toml: {field}:")


def test_parse_rotation_strings_for_lists() -> None:
    table = {**EXEC, "command": "python 'my script.py' -v", "rules": "kgtest.*"}
    (entry,) = parse_rotation([table], "kg.toml")
    assert entry.settings == ExecSettings(("python", "my script.py", "-v"))
    assert entry.rules == ("kgtest.*",)


def test_parse_rotation_duplicate_names_rejected() -> None:
    with pytest.raises(ConfigError, match="duplicate entry name `a`"):
        parse_rotation([{**EXEC, "name": "a"}, {**EXEC, "name": "a"}], "kg.toml")


def test_invalid_rotation_table_fails_run_with_config_error() -> None:
    with pytest.raises(ConfigError, match=r"kg.toml: rotation\[0\].provider"):
        run([finding()], config_with({"rules": ["x"]}), RotationOptions(), print)


def test_entry_matches_rule_globs_and_fingerprints() -> None:
    fp = finding().fingerprint
    (by_rule, by_fp, both) = parse_rotation(
        [
            {**EXEC, "rules": ["kgtest.*"]},
            {**EXEC, "rules": [], "fingerprints": [fp]},
            {**EXEC, "rules": ["aws.*"], "fingerprints": [fp]},
        ],
        "kg.toml",
    )
    assert by_rule.matches("kgtest.rotation-token", "zzz")
    assert not by_rule.matches("aws.secret-key", fp)
    assert by_fp.matches("anything", fp) and not by_fp.matches("anything", "zzz")
    assert not both.matches("kgtest.rotation-token", fp) and both.matches("aws.key", fp)


# -- values and digests ---------------------------------------------------------------------------
def test_generate_value_default_urlsafe_and_alphabet() -> None:
    default = generate_value(GeneratorSpec())
    assert len(default) == 40 and set(default) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    assert default != generate_value(GeneratorSpec())
    digits = generate_value(GeneratorSpec(length=16, alphabet="0123456789"))
    assert len(digits) == 16 and digits.isdigit()


def test_replace_value_whole_or_json_field() -> None:
    assert replace_value("old", "new", None) == "new"
    stored = json.dumps({"user": "svc", "password": "old"})
    assert json.loads(replace_value(stored, "new", "password")) == {
        "user": "svc",
        "password": "new",
    }
    with pytest.raises(RotationError, match="not a JSON object"):
        replace_value("plain", "new", "password")


def test_iter_digests_whole_value_and_json_fields() -> None:
    stored = json.dumps({"user": "svc", "key": LEAK, "port": 5432, "on": True, "n": {"a": 1}})
    digests = dict((d, f) for f, d in iter_digests(stored))
    assert digests[sha256_hex(stored)] is None
    assert digests[Secret(LEAK).digest()] == "key"
    assert digests[sha256_hex("5432")] == "port"
    assert len(digests) == 4  # whole, user, key, port (bool and nested object skipped)
    assert [f for f, _ in iter_digests(LEAK)] == [None]


# -- the run: a recording provider stands in for a backend ---------------------------------------
class Recorder:
    """A provider whose ``rotate`` fails ``failures`` times with the given retryability."""

    def __init__(self, failures: int = 0, retryable: bool = True, targets: int = 1) -> None:
        self.failures = failures
        self.retryable = retryable
        self.targets = targets
        self.rotated: list[tuple[str, str]] = []
        self.calls = 0

    def __call__(self, entry: RotationEntry, ctx: ProviderContext) -> Recorder:
        self.ctx = ctx
        return self

    def resolve(self, request: RotationRequest) -> list[Target]:
        return [Target(f"secret-{i}", "replace") for i in range(self.targets)]

    def rotate(self, request: RotationRequest, target: Target) -> Outcome:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise RotationError("backend said no", retryable=self.retryable)
        self.rotated.append((request.fingerprint, target.ref))
        return Outcome({"version": "2"})


def fixed_clock() -> datetime:
    return datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def go(
    tmp_path: Path, recorder: Recorder, *findings: Finding, rotate: bool = True, **opts: Any
) -> tuple[Any, list[str], list[str], list[float]]:
    lines: list[str] = []
    warnings: list[str] = []
    sleeps: list[float] = []
    options = RotationOptions(
        rotate=rotate,
        state_file=tmp_path / "state.json",
        audit_file=tmp_path / "audit.jsonl",
        **opts,
    )
    summary = run(
        list(findings) or [finding()],
        config_with({**EXEC, "retries": 3, "backoff": 0.5}),
        options,
        warnings.append,
        lines.append,
        providers={"exec": recorder},
        clock=fixed_clock,
        sleep=sleeps.append,
    )
    return summary, lines, warnings, sleeps


def test_run_retries_retryable_errors_with_exponential_backoff(tmp_path: Path) -> None:
    recorder = Recorder(failures=2)
    summary, lines, warnings, sleeps = go(tmp_path, recorder)
    assert sleeps == [0.5, 1.0]
    assert recorder.calls == 3 and summary.count("rotated") == 1 and not warnings
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [a["event"] for a in audit] == ["attempt", "retry", "retry", "result"]
    assert audit[-1]["status"] == "ok" and audit[-1]["time"] == "2026-01-02T03:04:05Z"
    assert LEAK not in (tmp_path / "audit.jsonl").read_text()


def test_run_failure_is_reported_not_raised_and_sets_exit_code(tmp_path: Path) -> None:
    recorder = Recorder(failures=10, retryable=False)
    summary, _lines, warnings, sleeps = go(tmp_path, recorder, fail_on_error=True)
    assert recorder.calls == 1 and sleeps == []  # not retryable: one attempt
    assert summary.failed == 1
    assert warnings and "rotation failed" in warnings[0] and "backend said no" in warnings[0]
    assert summary.exit_code(0) == ROTATION_ERROR_EXIT == 4
    assert summary.exit_code(1) == 4 and summary.exit_code(2) == 2
    assert not (tmp_path / "state.json").exists()  # not recorded: a rerun tries again


def test_run_failure_without_flag_keeps_scan_status(tmp_path: Path) -> None:
    summary, *_ = go(tmp_path, Recorder(failures=10, retryable=False))
    assert summary.failed == 1 and summary.exit_code(1) == 1 and summary.exit_code(0) == 0


def test_run_gives_up_after_retries(tmp_path: Path) -> None:
    recorder = Recorder(failures=10)
    summary, _, _, sleeps = go(tmp_path, recorder)
    assert recorder.calls == 4 and sleeps == [0.5, 1.0, 2.0] and summary.failed == 1


def test_run_is_idempotent_through_the_state_file(tmp_path: Path) -> None:
    recorder = Recorder()
    go(tmp_path, recorder, finding(), finding(path="other.env"))  # same value twice: once
    assert recorder.rotated == [(finding().fingerprint, "secret-0")]
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["version"] == 1
    assert state["rotated"][finding().fingerprint]["rotated_at"] == "2026-01-02T03:04:05Z"
    summary, lines, _, _ = go(tmp_path, recorder)
    assert recorder.calls == 1 and summary.count("skipped") == 1
    assert "already rotated at 2026-01-02T03:04:05Z" in lines[0]


def test_run_plan_only_changes_nothing(tmp_path: Path) -> None:
    recorder = Recorder(targets=2)
    summary, lines, _, _ = go(tmp_path, recorder, rotate=False)
    assert recorder.calls == 0 and summary.count("planned") == 2
    assert "rotation plan: app.env [kgtest.rotation-token" in lines[0]
    assert "exec secret-0: replace" in lines[0]
    assert lines[-1] == "rotation plan: 2 planned; nothing changed (add --rotate to apply)"
    assert not (tmp_path / "state.json").exists() and not (tmp_path / "audit.jsonl").exists()
    assert all(LEAK not in line for line in lines)


def test_run_no_rotation_plan_prints_nothing(tmp_path: Path) -> None:
    recorder = Recorder()
    summary, lines, _, _ = go(tmp_path, recorder, rotate=False, plan=False)
    assert lines == [] and summary.results == () and recorder.calls == 0


def test_run_without_entries_is_silent_and_warns_on_rotate(tmp_path: Path) -> None:
    warnings: list[str] = []
    summary = run([finding()], Config(), RotationOptions(), warnings.append)
    assert summary.results == () and warnings == []
    run([finding()], Config(), RotationOptions(rotate=True), warnings.append)
    assert warnings == ["--rotate: no [[rotation]] entries in the config; nothing to rotate"]


def test_run_without_findings_is_silent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    lines: list[str] = []
    summary = run([], config_with(EXEC), RotationOptions(rotate=True), print, lines.append)
    assert summary.results == () and lines == []
    assert not list(tmp_path.glob(".keyguard-rotation-*"))


def test_run_unmatched_findings_are_left_alone(tmp_path: Path) -> None:
    recorder = Recorder()
    summary, lines, _, _ = go(tmp_path, recorder, finding(rule_id="aws.secret-key"))
    assert recorder.calls == 0 and summary.results == ()
    assert lines == ["rotation: no matching findings"]


def test_run_unexpected_provider_exception_is_a_failure(tmp_path: Path) -> None:
    class Broken(Recorder):
        def rotate(self, request: RotationRequest, target: Target) -> Outcome:
            raise KeyError(LEAK)

    summary, _, warnings, _ = go(tmp_path, Broken())
    assert summary.failed == 1 and "unexpected KeyError" in warnings[0]
    assert LEAK not in warnings[0]


def test_corrupt_state_file_refuses_to_run(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(RotationStateError, match="state.json: rotation state is not valid JSON"):
        go(tmp_path, Recorder())


def test_default_state_and_audit_files_in_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    recorder = Recorder()
    run(
        [finding()],
        config_with(EXEC),
        RotationOptions(rotate=True),
        print,
        providers={"exec": recorder},
        sleep=lambda s: None,
    )
    assert (tmp_path / ".keyguard-rotation-state.json").is_file()
    assert (tmp_path / ".keyguard-rotation-audit.jsonl").is_file()


def test_lease_id_read_from_finding_detail() -> None:
    (entry,) = parse_rotation([EXEC], "kg.toml")
    request = RotationRequest(finding(lease_id="database/creds/ro/abc"), entry)
    assert request.lease_id() == "database/creds/ro/abc"
    assert RotationRequest(finding(), entry).lease_id() is None


# -- config files and the CLI ---------------------------------------------------------------------
def test_pyproject_rotation_error_names_file_and_field(tmp_path: Path) -> None:
    from scanner.config import load_config

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[[tool.keyguard.rotation]]\nrules = ["x"]\nprovider = "nope"\n')
    config = load_config(pyproject)
    with pytest.raises(ConfigError) as info:
        run([finding()], config, RotationOptions(), print)
    assert str(info.value).startswith(f"{pyproject} [tool.keyguard]: rotation[0].provider:")


def cli_project(tmp_path: Path, rotation: str) -> list[str]:
    from testing.servers import write_rotation_rule

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.env").write_text(f"TOKEN={LEAK}\n")
    config = tmp_path / "kg.toml"
    config.write_text(rotation)
    return [
        "scan", str(src), "--rules", str(write_rotation_rule(tmp_path)), "--only-rule",
        "kgtest.*", "--config", str(config), "-j", "1",
        "--rotation-state", str(tmp_path / "state.json"),
        "--rotation-audit", str(tmp_path / "audit.jsonl"),
    ]  # fmt: skip


AZ = {"provider": "azure-keyvault"}
GCP = {"provider": "gcp-secretmanager"}
K8S = {"provider": "kubernetes"}
CONJUR = {"provider": "conjur"}


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"provider": "exec"}, "rotation[0].command: required"),
        ({**AZ, "secret_name": "x"}, "rotation[0].vault_url: required"),
        ({**AZ, "vault_url": "http://kv.example.test", "secret_name": "x"},
         "rotation[0].vault_url: must be an https:// URL"),
        ({**AZ, "vault_url": "https://kv.example.test"},
         "rotation[0].secret_name: required unless"),
        ({**AZ, "vault_url": "https://kv.example.test", "discover": True, "disable_old": "yes"},
         "rotation[0].disable_old: must be true or false"),
        ({**GCP, "secret": "x"}, "rotation[0].project: required"),
        ({**GCP, "project": "p"}, "rotation[0].secret: required unless"),
        ({**GCP, "project": "p", "secret": "x", "old_version": "delete"},
         "rotation[0].old_version: must be one of disable, destroy, keep"),
        ({**GCP, "project": "p", "secret": "x", "endpoint": "ftp://x"},
         "rotation[0].endpoint: must be an http:// or https:// URL"),
        ({**GCP, "project": "p", "secret": "x", "region": "x"},
         "rotation[0].region: unknown key for provider `gcp-secretmanager`"),
        (K8S, "rotation[0].secret: required unless `discover = true`"),
        ({**K8S, "secret": "just-a-name"}, "rotation[0].secret: must be `namespace/name`"),
        ({**K8S, "discover": True}, "rotation[0].namespaces: required with `discover = true`"),
        ({**K8S, "discover": True, "namespaces": ["Bad_NS"]},
         "rotation[0].namespaces: `Bad_NS` is not"),
        ({**K8S, "secret": "a/b", "restart": "yes"}, "rotation[0].restart: must be true or false"),
        ({**K8S, "secret": "a/b", "bogus": 1},
         "rotation[0].bogus: unknown key for provider `kubernetes`"),
        (CONJUR, "rotation[0].variable: required unless `discover = true`"),
        ({**CONJUR, "variable": "a", "url": "ftp://x"},
         "rotation[0].url: must be an http:// or https:// URL"),
        ({**CONJUR, "variable": "a", "namespaces": ["x"]},
         "rotation[0].namespaces: unknown key for provider `conjur`"),
    ],
)  # fmt: skip
def test_cli_invalid_rotation_config_exits_2(
    tmp_path: Path, keys: dict[str, Any], message: str
) -> None:
    files = {"app.env": f"T={rotation_token('cfg')}\n"}
    assert f"kg.toml: {message}" in config_error(rotation_project(tmp_path, files, **keys))


def test_cli_plan_flags(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from scanner.cli import main

    args = cli_project(
        tmp_path, '[[rotation]]\nrules = ["kgtest.*"]\nprovider = "exec"\ncommand = ["true"]\n'
    )
    plan = CliRunner().invoke(main, args)
    assert plan.exit_code == 1 and "keyguard: rotation plan: " in plan.stderr
    assert LEAK not in plan.output
    silent = CliRunner().invoke(main, [*args, "--no-rotation-plan"])
    assert silent.exit_code == 1 and "rotation" not in silent.stderr
    quiet = CliRunner().invoke(main, [*args, "--quiet"])
    assert quiet.exit_code == 1 and quiet.stderr == ""
    assert not (tmp_path / "state.json").exists() and not (tmp_path / "audit.jsonl").exists()


def test_cli_rotation_flags_without_entries_warn(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from scanner.cli import main

    args = cli_project(tmp_path, "")
    result = CliRunner().invoke(main, [*args, "--rotation-plan"])
    assert result.exit_code == 1
    assert "--rotation-plan: no [[rotation]] entries in the config" in result.stderr


def test_run_unregistered_provider_is_a_failure(tmp_path: Path) -> None:
    warnings: list[str] = []
    options = RotationOptions(state_file=tmp_path / "s.json")
    summary = run([finding()], config_with(EXEC), options, warnings.append, providers={})
    assert summary.failed == 1 and "no provider `exec` registered" in warnings[0]


def test_state_and_audit_files_planted_as_links_are_never_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a checkout that commits .keyguard-rotation-audit.jsonl -> ~/.bashrc had every audit record
    # (with its file name, which the checkout chooses: "$(cmd).env") appended to the shell's
    # startup file; the state file's fixed temporary name was written through the same way
    victim = tmp_path / "home" / ".bashrc"
    victim.parent.mkdir()
    victim.write_text("precious\n")
    work = tmp_path / "checkout"
    work.mkdir()
    monkeypatch.chdir(work)
    (work / ".keyguard-rotation-state.json.tmp").symlink_to(victim)
    (work / ".keyguard-rotation-audit.jsonl").symlink_to(victim)
    recorder = Recorder()

    def rotate() -> None:
        run(
            [finding(path="$(touch pwned).env")],
            config_with(EXEC),
            RotationOptions(rotate=True),
            print,
            providers={"exec": recorder},
            sleep=lambda s: None,
        )

    with pytest.raises(RotationStateError, match="cannot write rotation audit log"):
        rotate()
    assert recorder.calls == 0  # refused before any change
    (work / ".keyguard-rotation-audit.jsonl").unlink()
    rotate()
    assert victim.read_text() == "precious\n"
    assert (work / ".keyguard-rotation-state.json").is_file()
