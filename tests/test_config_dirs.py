"""Where a project config is looked for: the scanned tree and its parents, not wherever the
user happens to stand (``scanner.config.config_dirs``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.config import config_dirs
from testing.tokens import github_token


def test_no_directory_scanned_means_the_current_directory(tmp_path: Path) -> None:
    assert config_dirs((), tmp_path) == [tmp_path]


def test_subdirectory_of_cwd_walks_up_to_cwd(tmp_path: Path) -> None:
    sub = tmp_path / "src" / "pkg"
    sub.mkdir(parents=True)
    assert config_dirs((sub,), tmp_path) == [sub, tmp_path / "src", tmp_path]


def test_walk_stops_at_the_repository_root_below_cwd(tmp_path: Path) -> None:
    repo = tmp_path / "vendor" / "lib"
    (repo / ".git").mkdir(parents=True)
    (repo / "src").mkdir()
    assert config_dirs((repo / "src",), tmp_path) == [repo / "src", repo]


def test_tree_outside_cwd_walks_up_to_its_repository_root(tmp_path: Path) -> None:
    project, other = tmp_path / "project", tmp_path / "checkout"
    project.mkdir()
    (other / ".git").mkdir(parents=True)
    (other / "app").mkdir()
    assert config_dirs((other / "app",), project) == [other / "app", other]


def test_tree_outside_cwd_and_any_repository_is_searched_alone(tmp_path: Path) -> None:
    project, other = tmp_path / "project", tmp_path / "download" / "pkg"
    project.mkdir()
    other.mkdir(parents=True)
    assert config_dirs((other,), project) == [other]


def test_the_current_directory_itself(tmp_path: Path) -> None:
    assert config_dirs((tmp_path,), tmp_path) == [tmp_path]


def _leaky(root: Path) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "app.env").write_text(f"GITHUB_TOKEN={github_token()}\n")
    return root


def test_projects_excludes_do_not_apply_to_another_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".keyguard.toml").write_text('exclude = ["tests/"]\n')
    other = _leaky(tmp_path / "download")
    monkeypatch.chdir(project)
    assert CliRunner().invoke(main, ["scan", str(other)]).exit_code == 1
    # the same tree inside the project is excluded by the project's config
    _leaky(project / "sub")
    assert CliRunner().invoke(main, ["scan", "sub"]).exit_code == 0


def test_the_scanned_trees_own_config_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = _leaky(tmp_path / "download")
    (other / ".keyguard.toml").write_text('exclude = ["tests/"]\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert CliRunner().invoke(main, ["scan", str(other)]).exit_code == 0
