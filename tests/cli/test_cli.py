"""The exit-code contract and CLI behaviour (click CliRunner)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import scanner
from scanner.cli import main
from testing.tokens import AWS_SECRET, aws_key_id, github_token

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def leaky(tmp_path: Path) -> Path:
    (tmp_path / "app.env").write_text(f"GITHUB_TOKEN={github_token()}\n")
    (tmp_path / "clean.py").write_text("print('hello')\n")
    return tmp_path


def test_exit_0_when_clean(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    code, out, _ = run("scan", str(tmp_path))
    assert code == 0
    assert "0 finding(s)" in out


def test_exit_1_with_findings_and_secret_masked(leaky: Path) -> None:
    code, out, _ = run("scan", str(leaky))
    assert code == 1
    assert "github.pat-classic" in out
    assert github_token() not in out


def test_show_secrets_reveals(leaky: Path) -> None:
    code, out, _ = run("scan", str(leaky), "--show-secrets", "-f", "json")
    assert code == 1
    assert json.loads(out)["findings"][0]["secret"] == github_token()


def test_fail_on_threshold(leaky: Path) -> None:
    assert run("scan", str(leaky), "--fail-on", "critical")[0] == 0
    assert run("scan", str(leaky), "--fail-on", "high")[0] == 1


def test_public_identifiers_are_reported_only_with_min_severity_info(tmp_path: Path) -> None:
    # a Stripe publishable key: info, the floor is low by default
    key = "pk_live_51KgFakeQ7vLm2Xw9Tz4Rk8Pn3Bc6Hj1Vy5Sd0Fg"
    (tmp_path / "web.env").write_text(f"STRIPE_PK={key}\n")
    code, out, _ = run("scan", str(tmp_path), "-f", "json")
    assert code == 0 and json.loads(out)["findings"] == []
    code, out, _ = run("scan", str(tmp_path), "-f", "json", "--min-severity", "info")
    assert code == 1
    assert [f["rule_id"] for f in json.loads(out)["findings"]] == ["stripe.publishable-key-live"]


def test_exit_2_for_missing_path(tmp_path: Path) -> None:
    code, _, err = run("scan", str(tmp_path / "nope"))
    assert code == 2
    assert "nope" in err and "no such file" in err


def test_exit_2_for_bad_flag() -> None:
    assert run("scan", ".", "--format", "xml")[0] == 2
    assert run("scan", ".", "--fail-on", "urgent")[0] == 2


@pytest.mark.parametrize(
    ("flag", "name", "text", "named"),
    [
        ("--config", "bad.toml", "disable = 'not-a-list'\n", "disable"),
        ("--rules", "rules.toml", "[[rules]]\nid = 'x.y'\nname = 'n'\n", "x.y"),
    ],
    ids=["config", "malformed-rule-file"],
)
def test_exit_2_for_a_bad_file_naming_it(
    leaky: Path, flag: str, name: str, text: str, named: str
) -> None:
    """The message names the file and the key or rule at fault."""
    (leaky / name).write_text(text)
    code, _, err = run("scan", str(leaky), flag, str(leaky / name))
    assert code == 2
    assert name in err and named in err


def test_exit_3_for_internal_error(leaky: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected failure")

    monkeypatch.setattr("scanner.commands.scan.scan_paths", boom)
    code, _, err = run("scan", str(leaky))
    assert code == 3
    assert "internal error" in err and "--debug" in err
    assert len(err.strip().splitlines()) == 1


def test_config_disables_rule_and_allows_values(leaky: Path) -> None:
    (leaky / ".keyguard.toml").write_text('disable = ["github.*", "generic.*"]\n')
    # the Aho-Corasick engine: a rule subset of its own would cost a Hyperscan compile here,
    # and which rules run is decided before either engine is built
    config = str(leaky / ".keyguard.toml")
    code, out, _ = run("scan", str(leaky), "--config", config, "--engine", "aho-corasick")
    assert code == 0, out


def test_pyproject_tool_section_is_read(leaky: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (leaky / "pyproject.toml").write_text('[tool.keyguard]\nallow = { paths = ["app\\\\.env$"] }\n')
    monkeypatch.chdir(leaky)
    code, out, _ = run("scan", ".")
    assert code == 0, out


def test_inline_allow_and_audit_flag(tmp_path: Path) -> None:
    token = github_token()
    (tmp_path / "a.py").write_text(f"TOKEN = '{token}'  # keyguard:allow\n")
    (tmp_path / "b.yaml").write_text(f"# keyguard:allow-next-line\ntoken: {token}\n")
    assert run("scan", str(tmp_path))[0] == 0
    code, out, _ = run("scan", str(tmp_path), "--ignore-inline-allow", "-f", "json")
    assert code == 1
    assert len(json.loads(out)["findings"]) == 2


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and scanner.__version__ in out
    for args in (["--help"], ["scan", "--help"], ["rules", "--help"], ["rules", "check", "--help"]):
        assert run(*args)[0] == 0


def test_python_dash_m_scanner_runs(leaky: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scanner", "scan", str(leaky), "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 1
    assert "github.pat-classic" in proc.stdout


def test_demo_is_found() -> None:
    code, out, _ = run("scan", str(ROOT / "fixtures" / "demo"), "-f", "json")
    assert code == 1
    rules = {f["rule_id"] for f in json.loads(out)["findings"]}
    assert {"github.pat-classic", "aws.access-key-id", "aws.secret-access-key"} <= rules
    assert "anthropic.api-key" in rules
    assert aws_key_id() not in out and AWS_SECRET not in out


def test_self_scan_config_excludes_test_material() -> None:
    """The project's own config keeps rule examples and fixtures out of a self-scan."""
    code, out, _ = run("scan", str(ROOT), "--config", str(ROOT / ".keyguard.toml"), "-f", "json")
    paths = {f["path"] for f in json.loads(out)["findings"]}
    assert not any(p.startswith(str(ROOT / d)) for p in paths for d in ("rules", "tests"))
    assert code == 0, paths


def test_public_api_is_pinned() -> None:
    public = sorted(n for n in dir(scanner) if not n.startswith("_") and n[0].isupper())
    assert sorted(n for n in scanner.__all__ if n[0].isupper()) == public


def test_every_copy_of_a_fixture_value_is_reported_unless_collapsed(tmp_path: Path) -> None:
    fixtures = tmp_path / "tests"
    fixtures.mkdir()
    token = github_token()
    (fixtures / "test_client.py").write_text(f"A = '{token}'\nB = '{token}'\nC = '{token}'\n")
    code, out, _ = run("scan", str(tmp_path), "-f", "json", "--engine", "aho-corasick")
    assert code == 1
    assert [f["line"] for f in json.loads(out)["findings"]] == [1, 2, 3]
    code, out, _ = run(
        "scan", str(tmp_path), "-f", "json", "--engine", "aho-corasick", "--collapse-copies"
    )
    assert code == 1
    report = json.loads(out)
    assert [f["line"] for f in report["findings"]] == [1]
    assert report["stats"]["suppressed_by"] == {"repeated fixture": 2}, report["stats"]


@pytest.mark.parametrize("engine", ["hyperscan", "aho-corasick"])
@pytest.mark.parametrize(
    "how", [("--disable-rule", "*"), ("--only-rule", "no-such.rule"), ("config",)]
)
def test_exit_2_when_no_rule_is_selected(
    leaky: Path, engine: str, how: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hyperscan could not compile an empty database: an internal error (exit 3), even from a
    # `disable = ["*"]` in a config of the scanned tree; Aho-Corasick found nothing (exit 0)
    if engine == "hyperscan":
        pytest.importorskip("hyperscan")
    if how == ("config",):
        (leaky / ".keyguard.toml").write_text('disable = ["*"]\n')
        how = ()
    monkeypatch.chdir(leaky)
    code, _, err = run("scan", str(leaky), "--engine", engine, *how)
    assert code == 2, err
    assert "no rules selected: nothing to scan for" in err
    assert err.count("\n") <= 2 and "internal error" not in err
