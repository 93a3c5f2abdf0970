"""The org state: where it lives, when it is dropped, and a broken state file."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.org.state import default_state_path
from testing.gitrepo import cli_args
from testing.orgrepos import Org, invoke, org_cli, report


def test_default_location_follows_xdg_state_home(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")}
    assert default_state_path(env) == tmp_path / "xdg" / "keyguard" / "org.sqlite"
    del env["XDG_STATE_HOME"]
    assert default_state_path(env) == Path.home() / ".local" / "state" / "keyguard" / "org.sqlite"


def test_without_state_option_the_default_file_is_used(
    org: Org, rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    args = ["org", str(org.manifest(["base0"])), *cli_args(rules), "-f", "json"]
    first = invoke(args)
    assert first.exit_code == 1, first.output
    assert (tmp_path / "xdg" / "keyguard" / "org.sqlite").is_file()
    again = report(invoke(args))["org"]
    assert again["unchanged"] == 1 and again["blobs_scanned"] == 0


def test_changed_rules_drop_the_recorded_outcomes(org: Org, rules: Path, tmp_path: Path) -> None:
    state = tmp_path / "s.sqlite"
    manifest = org.manifest(["base0"])
    first = report(org_cli(manifest, rules, state, "-f", "json"))
    rules.write_text(rules.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    assert report(org_cli(manifest, rules, state, "-f", "json"))["org"]["unchanged"] == 1
    assert first["findings"] and {f["severity"] for f in first["findings"]} != {"low"}
    rules.write_text(rules.read_text(encoding="utf-8") + 'severity = "low"\n', encoding="utf-8")
    after = report(org_cli(manifest, rules, state, "-f", "json"))
    assert after["org"]["unchanged"] == 0
    assert after["org"]["blobs_scanned"] == first["org"]["blobs_scanned"]
    assert {f["severity"] for f in after["findings"]} == {"low"}


def test_a_state_file_that_is_not_sqlite_is_a_user_error(
    org: Org, rules: Path, tmp_path: Path
) -> None:
    state = tmp_path / "s.sqlite"
    state.write_bytes(b"this is not a database, just text " * 100)
    result = org_cli(org.manifest(["base0"]), rules, state, "-f", "json")
    assert result.exit_code == 2
    assert f"{state}: cannot open the org state" in result.stderr
    assert result.stderr.count("\n") == 1
