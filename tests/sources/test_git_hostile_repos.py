"""A scanned repository's configuration and ``.git`` are data: settings that change what git
prints, files that never end (``/dev/zero``) or never open (a FIFO) must neither hide a secret
from the scan nor stall it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scanner.cli import main
from testing.gitrepo import GitRepo, cli_args, fake_token, git_repo, write_test_rules


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    repo = git_repo(tmp_path, "hostile")
    write_test_rules(tmp_path)
    repo.commit("one", {"a.env": f"T={fake_token(1)}\n"})
    repo.commit("two", {"b.env": f"T={fake_token(2)}\n"})
    monkeypatch.chdir(tmp_path)
    return repo


def keyguard(repo: GitRepo, *args: str) -> Result:
    rules = repo.path.parent / "kgtest-rules.toml"
    argv = ["git", str(repo.path), *args, *cli_args(rules), "-f", "json", "--show-secrets"]
    return CliRunner().invoke(main, argv)


def secrets(result: Result) -> set[str]:
    return {f["secret"] for f in json.loads(result.stdout)["findings"]}


@pytest.mark.parametrize("encoding", ["UTF-16", "UTF-32", "IBM037"])
def test_log_output_encoding_of_the_repository_hides_nothing(repo: GitRepo, encoding: str) -> None:
    # git re-encoded the log (field separators and all) and the history came out empty
    repo.git("config", "i18n.logOutputEncoding", encoding)
    result = keyguard(repo)
    assert result.exit_code == 1, result.output
    assert secrets(result) == {fake_token(1), fake_token(2)}


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_order_and_attributes_files_of_the_repository_are_not_read(
    repo: GitRepo, special: str
) -> None:
    # diff.orderFile=/dev/zero grew git log's memory without end; a FIFO never opened
    repo.stage({"c.env": f"T={fake_token(3)}\n"})
    if special == "fifo":
        special = str(repo.path / ".git" / "order")
        os.mkfifo(special)
    repo.git("config", "diff.orderFile", special)
    repo.git("config", "core.attributesFile", special)
    for args in ((), ("--staged",)):
        result = keyguard(repo, *args)
        assert result.exit_code == 1, result.output
    assert secrets(result) == {fake_token(3)}


@pytest.mark.parametrize("target", ["/dev/stdin", "/dev/zero", "fifo", "nested"])
def test_config_including_what_git_must_not_read_is_refused(repo: GitRepo, target: str) -> None:
    # include.path=/dev/stdin: cat-file read keyguard's object requests as config, every blob
    # looked missing and the scan exited 0 with nothing found; a FIFO stalled it for ever
    git_dir = repo.path / ".git"
    if target == "fifo":
        target = str(git_dir / "fifo")
        os.mkfifo(target)
    elif target == "nested":  # an included file that includes stdin, by a relative path
        (git_dir / "more.cfg").write_text("[include]\n\tpath = /dev/stdin\n")
        target = "more.cfg"
    repo.git("config", "--add", "include.path", "missing.cfg")  # skipped, as git skips it
    repo.git("config", "--add", "includeIf.gitdir:/.path", target)
    result = keyguard(repo)
    assert result.exit_code == 2, result.output
    assert "a repository may not make git read a FIFO, device or terminal" in result.stderr
    assert result.stderr.count("\n") == 1


def test_config_fifo_is_refused_before_git_reads_it(repo: GitRepo) -> None:
    config = repo.path / ".git" / "config"
    config.unlink()
    os.mkfifo(config)
    result = keyguard(repo, "--staged")
    assert result.exit_code == 2, result.output
    assert f"git would read {config} (a FIFO; not opened)" in result.stderr


def test_regular_included_config_is_honoured(repo: GitRepo) -> None:
    (repo.path / ".git" / "extra.cfg").write_text("[core]\n\tquotePath = true\n")
    repo.git("config", "include.path", "extra.cfg")
    result = keyguard(repo)
    assert result.exit_code == 1, result.output
    assert secrets(result) == {fake_token(1), fake_token(2)}
