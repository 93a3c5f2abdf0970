"""End to end with the real pre-commit framework: a temp repo whose .pre-commit-config.yaml points
at a committed copy of this project (the working tree may hold uncommitted work, so the hook repo
is a fresh git repository holding a copy of the files a build needs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testing.gitrepo import GitRepo, fake_token, git_repo, write_test_rules

PROJECT = Path(__file__).resolve().parent.parent


def _hook_repo(tmp_path: Path) -> tuple[Path, str]:
    dest = tmp_path / "keyguard-src"
    dest.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_rules")
    for name in ("scanner", "rules"):
        shutil.copytree(PROJECT / name, dest / name, ignore=ignore)
    for name in ("pyproject.toml", ".pre-commit-hooks.yaml", "README.md", "LICENSE"):
        if (PROJECT / name).is_file():
            shutil.copy2(PROJECT / name, dest / name)
    if not (dest / "README.md").exists():
        (dest / "README.md").write_text("# keyguard\n")
    repo = GitRepo(path=dest, env=git_repo(tmp_path, "unused").env)
    repo.git("init", "-q", "-b", "main")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "keyguard snapshot")
    return dest, repo.git("rev-parse", "HEAD")


@pytest.mark.slow
def test_precommit_framework_blocks_staged_secret_and_passes_clean_change(tmp_path: Path) -> None:
    hook_src, rev = _hook_repo(tmp_path)
    work = git_repo(tmp_path, "work")
    write_test_rules(work.path)
    work.write(".keyguard.toml", 'rules = ["kgtest-rules.toml"]\nonly = ["kgtest.*"]\n')
    work.write(
        ".pre-commit-config.yaml",
        f"repos:\n- repo: {hook_src}\n  rev: {rev}\n  hooks:\n  - id: keyguard\n",
    )
    work.commit(
        "setup",
        {"README": "hello\n"},
    )
    env = dict(work.env)
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env.pop("PYTHONPATH", None)
    # pre-commit installs keyguard into a fresh environment with the machine's own pip
    # settings (the registry and any local mirrors pip.conf names), as a user's would
    work.env = env
    pc = [sys.executable, "-m", "pre_commit"]
    subprocess.run([*pc, "install"], cwd=work.path, env=env, check=True, capture_output=True)

    def commit(files: dict[str, str]) -> subprocess.CompletedProcess[str]:
        work.stage(files)
        return work.attempt("commit", "-m", "change")

    token = fake_token(1)
    blocked = commit({"settings.env": f"DEBUG=1\nTOKEN={token}\n"})
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert "keyguard (secrets in staged changes)" in output and "Failed" in output
    assert "settings.env" in output and "kgtest.token" in output
    assert token not in output
    assert work.git("rev-list", "--count", "HEAD") == "1"

    work.git("reset", "-q")
    (work.path / "settings.env").unlink()
    clean = commit({"notes.txt": "a harmless change\n"})
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "keyguard (secrets in staged changes)" in clean.stdout + clean.stderr
    assert work.git("rev-list", "--count", "HEAD") == "2"
    assert os.path.exists(work.path / ".git" / "hooks" / "pre-commit")
