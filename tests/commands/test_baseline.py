from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.baseline import Baseline, BaselineEntry, parse_baseline, parse_ignore
from scanner.cli import main
from scanner.errors import BaselineError
from testing.gitrepo import GitRepo, cli_args, fake_token


def invoke(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.stdout, res.stderr


def findings(stdout: str) -> list[dict]:
    return json.loads(stdout)["findings"]


def test_baseline_create_hides_findings_in_scan(tmp_path: Path, rules: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    token = fake_token(1)
    (src / "a.env").write_text(f"T={token}\n")
    out = tmp_path / "kg-baseline.json"
    code, _, err = invoke("baseline", "create", str(src), "-o", str(out), *cli_args(rules))
    assert code == 0, err
    text = out.read_text()
    doc = json.loads(text)
    assert doc["version"] == 1
    assert doc["source"] == {"kind": "scan", "paths": [str(src)]}
    [entry] = doc["findings"]
    assert set(entry) == {"fingerprint", "path", "rule_id"}
    assert entry["rule_id"] == "kgtest.token"
    assert token not in text and '"line"' not in text
    assert text == json.dumps(doc, indent=2, sort_keys=True) + "\n"
    code, stdout, _ = invoke(
        "scan", str(src), "-f", "json", "--baseline", str(out), *cli_args(rules)
    )
    assert code == 0 and findings(stdout) == []
    # A new secret is still reported.
    (src / "b.env").write_text(f"T={fake_token(2)}\n")
    code, stdout, _ = invoke(
        "scan", str(src), "-f", "json", "--baseline", str(out), *cli_args(rules)
    )
    assert code == 1 and [Path(f["path"]).name for f in findings(stdout)] == ["b.env"]


def test_baseline_ignores_line_moves(tmp_path: Path, rules: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.env").write_text(f"T={fake_token(3)}\n")
    out = tmp_path / "b.json"
    invoke("baseline", "create", str(src), "-o", str(out), *cli_args(rules))
    (src / "a.env").write_text(f"# moved down\n\nT={fake_token(3)}\n")
    code, stdout, _ = invoke(
        "scan", str(src), "-f", "json", "--baseline", str(out), *cli_args(rules)
    )
    assert code == 0 and findings(stdout) == []


def test_baseline_git_history_and_update_prunes(repo: GitRepo, tmp_path: Path, rules: Path) -> None:
    repo.commit("one", {"a.txt": f"T={fake_token(4)}\n", "b.txt": f"T={fake_token(5)}\n"})
    out = tmp_path / "hist.json"
    code, _, err = invoke(
        "baseline", "create", "--git", str(repo.path), "-o", str(out), *cli_args(rules)
    )
    assert code == 0, err
    assert len(json.loads(out.read_text())["findings"]) == 2
    code, stdout, _ = invoke(
        "git", str(repo.path), "-f", "json", "--baseline", str(out), *cli_args(rules)
    )
    assert code == 0 and findings(stdout) == []
    # History keeps both secrets: nothing to prune yet.
    code, _, err = invoke("baseline", "update", str(out), *cli_args(rules))
    assert code == 0 and "kept 2, removed 0" in err


def test_baseline_update_prunes_fixed_findings(tmp_path: Path, rules: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.env").write_text(f"T={fake_token(6)}\n")
    (src / "b.env").write_text(f"T={fake_token(7)}\n")
    out = tmp_path / "b.json"
    invoke("baseline", "create", str(src), "-o", str(out), *cli_args(rules))
    (src / "b.env").write_text("T=rotated\n")
    code, _, err = invoke("baseline", "update", str(out), *cli_args(rules))
    assert code == 0 and "kept 1, removed 1" in err
    [entry] = json.loads(out.read_text())["findings"]
    assert entry["path"].endswith("a.env")


def test_keyguardignore_in_scan_root_and_repo_root(
    repo: GitRepo, tmp_path: Path, rules: Path
) -> None:
    repo.commit("one", {"a.txt": f"T={fake_token(8)}\n", "b.txt": f"T={fake_token(9)}\n"})
    code, stdout, _ = invoke("git", str(repo.path), "-f", "json", *cli_args(rules))
    by_path = {f["path"]: f["fingerprint"] for f in findings(stdout)}
    (repo.path / ".keyguardignore").write_text(
        f"# accepted test fixtures\n{by_path['a.txt']}  # fixture token\n\n"
    )
    code, stdout, _ = invoke("git", str(repo.path), "-f", "json", *cli_args(rules))
    assert code == 1 and [f["path"] for f in findings(stdout)] == ["b.txt"]
    code, stdout, _ = invoke("scan", str(repo.path), "-f", "json", *cli_args(rules))
    assert [Path(f["path"]).name for f in findings(stdout)] == ["b.txt"]


def test_bad_baseline_and_ignore_files_exit_2(repo: GitRepo, tmp_path: Path, rules: Path) -> None:
    repo.commit("one", {"a.txt": "x\n"})
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, _, err = invoke("git", str(repo.path), "--baseline", str(bad), *cli_args(rules))
    assert code == 2 and "not a keyguard baseline" in err
    code, _, err = invoke(
        "git", str(repo.path), "--baseline", str(tmp_path / "none.json"), *cli_args(rules)
    )
    assert code == 2 and "baseline file not found" in err
    (repo.path / ".keyguardignore").write_text("not-a-fingerprint\n")
    code, _, err = invoke("git", str(repo.path), *cli_args(rules))
    assert code == 2 and ".keyguardignore:1:" in err


def test_parse_baseline_rejects_unknown_version() -> None:
    with pytest.raises(BaselineError, match="version 2 is not supported"):
        parse_baseline('{"version": 2, "findings": []}', "b.json")


def test_baseline_dumps_sorted_and_normalized() -> None:
    b = Baseline(
        frozenset(
            {BaselineEntry("z.txt", "r.b", "f" * 32), BaselineEntry("a.txt", "r.a", "e" * 32)}
        ),
        {"kind": "scan", "paths": ["."]},
    )
    doc = json.loads(b.dumps())
    assert [e["path"] for e in doc["findings"]] == ["a.txt", "z.txt"]
    again = parse_baseline(b.dumps(), "x")
    assert again.entries == b.entries


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", set()),
        ("# only a comment\n", set()),
        ("A" * 32 + "\n", {"a" * 32}),
        ("b" * 64 + "   # digest form\n", {"b" * 64}),
    ],
)
def test_parse_ignore(text: str, expected: set[str]) -> None:
    assert parse_ignore(text, "x") == expected
