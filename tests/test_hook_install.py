from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import scanner
from scanner.cli import main
from scanner.hooks import MARKER, hook_script
from testing.gitrepo import GitRepo, fake_token, git_repo, write_test_rules

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = git_repo(tmp_path)
    write_test_rules(repo.path)
    repo.write(".keyguard.toml", 'rules = ["kgtest-rules.toml"]\nonly = ["kgtest.*"]\n')
    repo.env["PYTHONPATH"] = str(PROJECT)
    repo.env["KEYGUARD_CACHE_DIR"] = str(repo.path.parent / "kg-cache")
    return repo


def install(repo: GitRepo, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["install-hook", str(repo.path), *args])
    return res.exit_code, res.stdout + res.stderr


def commit(repo: GitRepo, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    repo.stage(files)
    return repo.attempt("commit", "-q", "-m", "change")


def test_install_hook_blocks_secret_and_allows_clean_commit(repo: GitRepo) -> None:
    code, out = install(repo)
    assert code == 0, out
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    assert MARKER in hook.read_text() and os.access(hook, os.X_OK)
    blocked = commit(repo, {"app.env": f"TOKEN={fake_token(1)}\n"})
    assert blocked.returncode != 0
    assert "kgtest.token" in blocked.stdout + blocked.stderr
    assert fake_token(1) not in blocked.stdout + blocked.stderr
    repo.git("reset", "-q")
    ok = commit(repo, {"notes.txt": "nothing secret\n"})
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_install_hook_refuses_foreign_hook_unless_forced(repo: GitRepo) -> None:
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\necho mine\n")
    code, out = install(repo)
    assert code == 2 and "keyguard did not write it" in out
    assert hook.read_text() == "#!/bin/sh\necho mine\n"
    code, _ = install(repo, "--force")
    assert code == 0 and MARKER in hook.read_text()
    # Reinstalling over its own hook needs no --force.
    code, _ = install(repo)
    assert code == 0


def test_install_hook_honours_core_hookspath(repo: GitRepo) -> None:
    repo.git("config", "core.hooksPath", "githooks")
    code, _ = install(repo)
    assert code == 0
    assert MARKER in (repo.path / "githooks" / "pre-commit").read_text()


def test_install_hook_never_writes_through_a_planted_link(repo: GitRepo, tmp_path: Path) -> None:
    # core.hooksPath naming a tracked directory is common: a link committed there as the hook's
    # temporary file (or as the hook itself) made install-hook overwrite what it points at
    outside = tmp_path / "victim.txt"
    outside.write_text("precious\n")
    repo.git("config", "core.hooksPath", "githooks")
    hooks = repo.path / "githooks"
    hooks.mkdir()
    (hooks / ".pre-commit.keyguard-tmp").symlink_to(outside)
    (hooks / "pre-commit").symlink_to(outside)
    code, out = install(repo, "--force")
    assert code == 0, out
    assert outside.read_text() == "precious\n"
    hook = hooks / "pre-commit"
    assert not hook.is_symlink() and MARKER in hook.read_text()


def test_pre_push_hook_scans_only_pushed_commits(repo: GitRepo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    repo.commit("old secret", {"old.env": f"T={fake_token(2)}\n"})
    repo.git("push", "-q", "origin", "main")
    code, _ = install(repo, "--pre-push")
    assert code == 0
    assert MARKER in (repo.path / ".git" / "hooks" / "pre-push").read_text()
    repo.commit("clean", {"a.txt": "fine\n"})
    ok = repo.attempt("push", "-q", "origin", "main")
    assert ok.returncode == 0, ok.stderr
    repo.commit("new secret", {"new.env": f"T={fake_token(3)}\n"})
    bad = repo.attempt("push", "-q", "origin", "main")
    assert bad.returncode != 0
    output = bad.stdout + bad.stderr
    assert "new.env" in output and "old.env" not in output


def test_install_hook_outside_repo_exits_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["install-hook", str(tmp_path)])
    assert res.exit_code == 2 and "not a git repository" in res.stderr


def test_hook_script_uses_this_interpreter() -> None:
    text = hook_script(False)
    assert text.startswith("#!/bin/sh\n")
    assert sys.executable in text and "git --staged" in text
    assert "--pre-push" in hook_script(True)


def test_pre_push_revs_for_new_branch_update_and_delete(repo: GitRepo) -> None:
    from scanner.sources.git import ZERO_SHA
    from scanner.sources.gitlog import pre_push_revs
    from scanner.sources.gitopen import open_repo

    c1 = repo.commit("one", {"a": "1\n"})
    c2 = repo.commit("two", {"a": "2\n"})
    r = open_repo(str(repo.path))
    assert pre_push_revs(r, [f"refs/heads/x {c2} refs/heads/x {c1}"]) == [c2, "^" + c1]
    assert pre_push_revs(r, [f"refs/heads/x {c2} refs/heads/x {ZERO_SHA}"]) == [
        c2,
        "--not",
        "--remotes",
    ]
    unknown = "1234567890" * 4
    assert pre_push_revs(r, [f"refs/heads/x {c2} refs/heads/x {unknown}"])[-2:] == [
        "--not",
        "--remotes",
    ]
    assert pre_push_revs(r, [f"(delete) {ZERO_SHA} refs/heads/x {c1}"]) == []


def test_hook_sees_commit_all_temporary_index(repo: GitRepo) -> None:
    repo.commit("base", {"app.py": "x = 1\n"})
    code, _ = install(repo)
    assert code == 0
    repo.write("app.py", f"x = 1\ntoken = '{fake_token(4)}'\n")
    res = repo.attempt("commit", "-q", "-a", "-m", "all")
    assert res.returncode != 0
    assert "app.py" in res.stdout + res.stderr


def test_hook_falls_back_when_the_package_is_gone(tmp_path: Path) -> None:
    """The hook checks the package's file (no Python start to import it); without it, it tries
    a `keyguard` on PATH and then says it is missing."""
    script = hook_script(False).replace(
        str(Path(scanner.__file__).resolve()), str(tmp_path / "gone" / "__init__.py")
    )
    hook = tmp_path / "pre-commit"
    hook.write_text(script)
    env = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run(["sh", str(hook)], capture_output=True, text=True, env=env)
    assert done.returncode == 1
    assert "keyguard: not found" in done.stderr
