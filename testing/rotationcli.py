"""Rotation tests' project builder (a scanned folder, a one-entry rotation config, the CLI) and
the secrets the discovery tests plant in a store."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from scanner.cli import main
from testing.servers import rotation_scan_args, rotation_token


def toml_value(value: Any) -> str:
    """``value`` as TOML: JSON scalars and arrays are TOML too; dicts become inline tables."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def rotation_project(tmp_path: Path, files: Mapping[str, str], **keys: Any) -> list[str]:
    """CLI args that scan ``tmp_path/src`` holding ``files`` (name -> text) with the test rule
    and one ``[[rotation]]`` entry of ``keys`` (``rules`` defaults to the test rule)."""
    src = tmp_path / "src"
    src.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (src / name).write_text(text, encoding="utf-8")
    entry = {"rules": ["kgtest.*"], **keys}
    lines = ["[[rotation]]", *(f"{k} = {toml_value(v)}" for k, v in entry.items())]
    return rotation_scan_args(tmp_path, src, "\n".join(lines) + "\n")


def keyguard(args: list[str], *extra: str) -> Result:
    return CliRunner().invoke(main, [*args, *extra])


def config_error(args: list[str]) -> str:
    """The stderr of a run whose rotation config is rejected (asserted: exit status 2)."""
    result = keyguard(args)
    assert result.exit_code == 2, result.output
    return result.stderr


def read_audit(tmp_path: Path) -> tuple[str, list[dict[str, Any]]]:
    """The text and the records of ``tmp_path/audit.jsonl``, the audit log the project writes."""
    text = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    return text, [json.loads(line) for line in text.splitlines()]


def plan_changes_nothing(args: list[str], tmp_path: Path, action: str) -> Result:
    """A plan run (no ``--rotate``) of ``args``: it names ``action``, says nothing changed and
    writes neither the state file nor the audit log (asserted, with exit status 1: findings)."""
    plan = keyguard(args)
    assert plan.exit_code == 1, plan.output
    assert action in plan.stderr, plan.stderr
    assert "nothing changed (add --rotate to apply)" in plan.stderr
    assert not (tmp_path / "state.json").exists() and not (tmp_path / "audit.jsonl").exists()
    return plan


def rotated(args: list[str], count: int = 1) -> Result:
    """A ``--rotate`` run of ``args`` that rotates ``count`` targets (asserted, with exit
    status 1: findings)."""
    done = keyguard(args, "--rotate")
    assert done.exit_code == 1, done.output
    assert f"rotation: {count} rotated" in done.stderr, done.stderr
    return done


def rerun_skipped(args: list[str]) -> Result:
    """A second ``--rotate`` run of ``args``: the state file has the target as rotated, so it
    is skipped (asserted, with exit status 1: findings)."""
    again = keyguard(args, "--rotate")
    assert again.exit_code == 1, again.output
    assert "skipped: already rotated at" in again.stderr, again.stderr
    return again


def assert_not_revealed(tmp_path: Path, result: Result, *values: str) -> None:
    """None of ``values`` is in the audit log or in the output of ``result``."""
    text, _ = read_audit(tmp_path)
    for value in values:
        assert value not in text and value not in result.output


def retry_errors(tmp_path: Path) -> list[str]:
    """The ``error`` of each ``retry`` record of the audit log, in order."""
    return [r["error"] for r in read_audit(tmp_path)[1] if r["event"] == "retry"]


def rotation_failed(args: list[str]) -> Result:
    """A ``--rotate --fail-on-rotation-error`` run in which a rotation fails (asserted: exit
    status 4)."""
    result = keyguard(args, "--rotate", "--fail-on-rotation-error")
    assert result.exit_code == 4, result.output
    return result


def one_target_failed(args: list[str], tmp_path: Path, *in_stderr: str) -> Result:
    """A ``--rotate --fail-on-rotation-error`` run in which one target fails while the others
    rotate (asserted: exit status 4, each of ``in_stderr`` in its stderr, and no state file,
    since not every target is done and the next run tries again)."""
    result = rotation_failed(args)
    for text in in_stderr:
        assert text in result.stderr, result.stderr
    assert not (tmp_path / "state.json").exists()
    return result


def plant_locked_and_open(put: Callable[[str, str], object], tag: str) -> str:
    """Store, through ``put(name, value)``, one leaked value in both ``locked`` and ``open`` (a
    permission test then denies writes to ``locked``), and return it."""
    leak = rotation_token(tag)
    put("locked", leak)
    put("open", leak)
    return leak


def plant_holders(put: Callable[[str, str], object], tag: str) -> str:
    """Store, through ``put(name, value)``, the secrets a discovery test starts from, and
    return the leaked value: ``a-plain`` holds it, ``c-json`` holds it in field ``api_key``
    (beside ``user = "svc"``), ``b-decoy`` and ``d-decoy`` hold other tokens, ``e-old`` held it
    in an earlier version only."""
    leak = rotation_token(f"{tag}-disc")
    put("a-plain", leak)
    put("b-decoy", rotation_token(f"{tag}-decoy-1"))
    put("c-json", json.dumps({"user": "svc", "api_key": leak}))
    put("d-decoy", json.dumps({"api_key": rotation_token(f"{tag}-decoy-2")}))
    put("e-old", leak)
    put("e-old", rotation_token(f"{tag}-now"))  # held the value once, not any more
    return leak


def assert_field_rotated(stored: str, leak: str) -> None:
    """``stored`` (a JSON object) has a new 40-character ``api_key`` and its ``user`` kept."""
    data = json.loads(stored)
    assert data["user"] == "svc" and data["api_key"] != leak and len(data["api_key"]) == 40
