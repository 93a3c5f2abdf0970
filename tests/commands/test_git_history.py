from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from testing.gitrepo import GitRepo, cli_args, fake_token


def run_git(repo: GitRepo, rules: Path, *extra: str) -> tuple[int, dict, str]:
    runner = CliRunner()
    result = runner.invoke(main, ["git", str(repo.path), "-f", "json", *cli_args(rules), *extra])
    out = result.stdout
    doc = json.loads(out) if out.strip().startswith("{") else {}
    return result.exit_code, doc, result.stderr


def test_history_deleted_secret_reported_with_introducing_commit(
    repo: GitRepo, rules: Path
) -> None:
    token = fake_token(1)
    c1 = repo.commit("add config", {"app/config.env": f"A=1\nTOKEN={token}\n"})
    repo.commit("edit elsewhere", {"app/config.env": f"A=2\nTOKEN={token}\n"})
    repo.commit("remove config", remove=("app/config.env",))
    code, doc, _ = run_git(repo, rules)
    assert code == 1
    [f] = doc["findings"]
    assert f["path"] == "app/config.env"
    assert f["line"] == 2
    prov = f["provenance"]
    assert prov["commit"] == c1
    assert prov["author"] == "Keyguard Test"
    assert prov["email"] == "test@keyguard.invalid"
    assert prov["summary"] == "add config"
    assert prov["date"].startswith("2024-01-01T00:00:01")
    assert prov["in_head"] == "false"
    assert token not in json.dumps(doc)


def test_history_secret_still_in_head_and_changed_secret(repo: GitRepo, rules: Path) -> None:
    old, new = fake_token(2), fake_token(3)
    c1 = repo.commit("one", {"s.py": f"x = '{old}'\n"})
    c2 = repo.commit("rotate", {"s.py": f"x = '{new}'\n"})
    code, doc, _ = run_git(repo, rules, "--show-secrets")
    assert code == 1
    by_secret = {f["secret"]: f["provenance"] for f in doc["findings"]}
    assert by_secret[old]["commit"] == c1 and by_secret[old]["in_head"] == "false"
    assert by_secret[new]["commit"] == c2 and by_secret[new]["in_head"] == "true"


def test_history_all_branches_by_default_and_branch_option(repo: GitRepo, rules: Path) -> None:
    repo.commit("base", {"README": "hello\n"})
    repo.git("checkout", "-q", "-b", "feature")
    c_feat = repo.commit("feature secret", {"f.txt": f"k={fake_token(4)}\n"})
    repo.git("checkout", "-q", "main")
    code, doc, _ = run_git(repo, rules)
    assert code == 1
    assert [f["provenance"]["commit"] for f in doc["findings"]] == [c_feat]
    code, doc, _ = run_git(repo, rules, "--branch", "main")
    assert code == 0 and doc["findings"] == []
    code, doc, _ = run_git(repo, rules, "--branch", "feature")
    assert code == 1 and len(doc["findings"]) == 1


def test_history_since_scans_only_new_commits(repo: GitRepo, rules: Path) -> None:
    repo.commit("old secret", {"a.txt": f"k={fake_token(5)}\n"})
    base = repo.git("rev-parse", "HEAD")
    c_new = repo.commit("new secret", {"b.txt": f"k={fake_token(6)}\n"})
    code, doc, _ = run_git(repo, rules, "--since", base)
    assert code == 1
    assert [(f["path"], f["provenance"]["commit"]) for f in doc["findings"]] == [("b.txt", c_new)]


def test_history_same_blob_at_two_paths_is_reported_at_both(repo: GitRepo, rules: Path) -> None:
    content = f"k={fake_token(7)}\n"
    c1 = repo.commit("one", {"a.txt": content})
    c2 = repo.commit("copy", {"b/copy.txt": content})
    code, doc, _ = run_git(repo, rules)
    got = sorted((f["path"], f["provenance"]["commit"]) for f in doc["findings"])
    assert got == [("a.txt", c1), ("b/copy.txt", c2)]


def test_history_merge_conflict_resolution_blob_is_scanned(repo: GitRepo, rules: Path) -> None:
    repo.commit("base", {"f.txt": "base\n"})
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side", {"f.txt": "side\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main", {"f.txt": "main\n"})
    repo.git("merge", "-q", "side", check=False)
    repo.write("f.txt", f"resolved k={fake_token(8)}\n")
    merge = repo.commit("merge side", {"f.txt": f"resolved k={fake_token(8)}\n"})
    code, doc, _ = run_git(repo, rules)
    assert [f["provenance"]["commit"] for f in doc["findings"]] == [merge]


def test_history_text_and_sarif_carry_provenance(repo: GitRepo, rules: Path) -> None:
    c1 = repo.commit("add", {"x.env": f"T={fake_token(9)}\n"})
    runner = CliRunner()
    res = runner.invoke(main, ["git", str(repo.path), *cli_args(rules)])
    assert res.exit_code == 1
    assert c1 in res.stdout and "in_head=true" in res.stdout
    res = runner.invoke(main, ["git", str(repo.path), "-f", "sarif", *cli_args(rules)])
    doc = json.loads(res.stdout)
    run = doc["runs"][0]
    [result] = run["results"]
    assert result["properties"]["provenance"]["commit"] == c1
    assert run["versionControlProvenance"][0]["revisionId"] == repo.git("rev-parse", "HEAD")
    res = runner.invoke(main, ["git", str(repo.path), "-f", "github", *cli_args(rules)])
    assert res.stdout.startswith("::error file=x.env,line=1,")


def test_history_fail_on_above_rule_severity_exits_zero(repo: GitRepo, rules: Path) -> None:
    repo.commit("add", {"x.env": f"T={fake_token(10)}\n"})
    code, doc, _ = run_git(repo, rules, "--fail-on", "critical")
    assert code == 0 and len(doc["findings"]) == 1


def test_history_parallel_workers_match_serial(
    repo: GitRepo, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanner.engine.pool as pool

    files = {f"d/f{i:03d}.txt": f"n={i}\n" for i in range(80)}
    files["d/f040.txt"] = f"T={fake_token(11)}\n"
    c1 = repo.commit("many", files)
    serial = run_git(repo, rules, "--jobs", "1")
    monkeypatch.setattr(pool, "PARALLEL_MIN_BYTES", 0)
    parallel = run_git(repo, rules, "--jobs", "2")
    assert parallel[0] == serial[0] == 1
    assert parallel[1]["findings"] == serial[1]["findings"]
    assert parallel[1]["findings"][0]["provenance"]["commit"] == c1
    assert parallel[1]["stats"]["files"] == 80
