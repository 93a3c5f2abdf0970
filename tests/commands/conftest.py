"""Git command tests: a fresh repository and the small test rule file, per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.gitrepo import GitRepo, git_repo, write_test_rules


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return git_repo(tmp_path)


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    return write_test_rules(tmp_path)
