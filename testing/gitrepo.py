"""Git fixtures for tests: a repository with a pinned identity and a commit helper.

Everything runs the real ``git`` binary; dates are pinned so that commit ids are reproducible.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from testing.rules import token_rule

if TYPE_CHECKING:
    from click.testing import Result

IDENTITY = {
    "GIT_AUTHOR_NAME": "Keyguard Test",
    "GIT_AUTHOR_EMAIL": "test@keyguard.invalid",
    "GIT_COMMITTER_NAME": "Keyguard Test",
    "GIT_COMMITTER_EMAIL": "test@keyguard.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}

TEST_RULES = token_rule(
    "kgtest.token",
    "kgtest_",
    "[A-Za-z0-9]{24}",
    "t = kgtest_FakeKeyGuard0Token1Body2",
    name="keyguard test token",
    description="A synthetic token used by keyguard's own git tests.",
)


def fake_token(n: int) -> str:
    """A distinct synthetic token for the ``kgtest.token`` rule (``TEST_RULES``)."""
    return f"kgtest_FakeKeyGuard{n % 1000:03d}Qz7Wx3VbM"


def write_test_rules(directory: Path) -> Path:
    path = directory / "kgtest-rules.toml"
    path.write_text(TEST_RULES, encoding="utf-8")
    return path


@dataclass
class GitRepo:
    path: Path
    tick: int = 0
    env: dict[str, str] = field(default_factory=dict)

    def git(self, *args: str, check: bool = True, input: bytes | None = None) -> str:
        out = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=self.env,
            input=input,
            capture_output=True,
            check=False,
        )
        if check and out.returncode != 0:
            raise AssertionError(
                f"git {' '.join(args)} failed: {out.stderr.decode(errors='replace')}"
            )
        return out.stdout.decode("utf-8", "replace").strip()

    def attempt(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``git args`` as a user runs it (hooks run): the outcome, whatever the exit status."""
        return subprocess.run(
            ["git", *args], cwd=self.path, env=self.env, capture_output=True, text=True, check=False
        )

    def write(self, relpath: str, content: str | bytes) -> Path:
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_bytes(content)
        return target

    def stage(
        self, files: Mapping[str, str | bytes] | None = None, *, remove: tuple[str, ...] = ()
    ) -> None:
        for relpath, content in (files or {}).items():
            self.write(relpath, content)
            self.git("add", "--", relpath)
        for relpath in remove:
            self.git("rm", "-q", "--", relpath)

    def commit(
        self,
        message: str,
        files: Mapping[str, str | bytes] | None = None,
        *,
        remove: tuple[str, ...] = (),
        author: str = "Keyguard Test",
        email: str = "test@keyguard.invalid",
    ) -> str:
        """Stage ``files`` (path → content) and ``remove``, commit, and return the commit id."""
        self.stage(files, remove=remove)
        self.tick += 1
        date = f"2024-01-01T00:{self.tick // 60:02d}:{self.tick % 60:02d}+00:00"
        self.env.update(
            GIT_AUTHOR_DATE=date,
            GIT_COMMITTER_DATE=date,
            GIT_AUTHOR_NAME=author,
            GIT_AUTHOR_EMAIL=email,
        )
        self.git("commit", "-q", "--allow-empty", "--no-verify", "-m", message)
        return self.git("rev-parse", "HEAD")


def git_repo(tmp_path: Path, name: str = "repo", branch: str = "main") -> GitRepo:
    """A fresh repository at ``tmp_path/name`` with a pinned identity and no hooks."""
    path = tmp_path / name
    path.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **IDENTITY}
    repo = GitRepo(path=path, env=env)
    repo.git("init", "-q", "-b", branch)
    repo.git("config", "user.name", IDENTITY["GIT_AUTHOR_NAME"])
    repo.git("config", "user.email", IDENTITY["GIT_AUTHOR_EMAIL"])
    repo.git("config", "commit.gpgsign", "false")
    repo.git("config", "core.autocrlf", "false")
    return repo


def cli_args(rules: Path) -> list[str]:
    """CLI flags that run only the ``kgtest.token`` rule (quick to build, independent of
    the built-in rule pack's progress)."""
    return ["--rules", str(rules), "--only-rule", "kgtest.*", "--engine", "aho-corasick"]


def git_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The argument lists of every git run keyguard makes from now on (``run_git`` spied on,
    still run, in every module that calls it): tests count and inspect them."""
    from scanner.sources import git as gitsrc
    from scanner.sources import gitopen

    seen: list[list[str]] = []
    real = gitsrc.run_git

    def spy(cwd: Path, args: list[str], **kw: object) -> subprocess.CompletedProcess[bytes]:
        seen.append(list(args))
        return real(cwd, args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(gitsrc, "run_git", spy)
    monkeypatch.setattr(gitopen, "run_git", spy)
    return seen


def keyguard_git(repo: GitRepo, *args: str, seconds: float = 60) -> Result:
    """``keyguard git REPO ARGS`` with the test rules written beside the repository (by
    ``write_test_rules``), JSON output with the secrets shown; a hang fails the test."""
    from click.testing import CliRunner

    from scanner.cli import main
    from testing.timeouts import deadline

    rules = repo.path.parent / "kgtest-rules.toml"
    argv = ["git", str(repo.path), *args, *cli_args(rules), "-f", "json", "--show-secrets"]
    with deadline(seconds):
        return CliRunner().invoke(main, argv)


def json_secrets(result: Result) -> set[str]:
    """The secrets of a JSON report's findings."""
    return {f["secret"] for f in json.loads(result.stdout)["findings"]}
