"""A scanned repository's configuration and ``.git`` are data: settings that change what git
prints, files that never end (``/dev/zero``) or never open (a FIFO) must neither hide a secret
from the scan nor stall it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from testing.gitrepo import (
    GitRepo,
    fake_token,
    git_repo,
    json_secrets,
    keyguard_git,
    write_test_rules,
)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    repo = git_repo(tmp_path, "hostile")
    write_test_rules(tmp_path)
    repo.commit("one", {"a.env": f"T={fake_token(1)}\n"})
    repo.commit("two", {"b.env": f"T={fake_token(2)}\n"})
    monkeypatch.chdir(tmp_path)
    return repo


@pytest.mark.parametrize("encoding", ["UTF-16", "UTF-32", "IBM037"])
def test_log_output_encoding_of_the_repository_hides_nothing(repo: GitRepo, encoding: str) -> None:
    # git re-encoded the log (field separators and all) and the history came out empty
    repo.git("config", "i18n.logOutputEncoding", encoding)
    result = keyguard_git(repo)
    assert result.exit_code == 1, result.output
    assert json_secrets(result) == {fake_token(1), fake_token(2)}


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_order_and_attributes_files_of_the_repository_are_not_read(
    repo: GitRepo, special: str
) -> None:
    # diff.orderFile=/dev/zero grew git log's memory without end; a FIFO never opened
    repo.stage({"c.env": f"T={fake_token(3)}\n"})
    if special == "fifo":
        special = str(repo.path.parent / "order")  # outside .git: not refused, not read
        os.mkfifo(special)
    repo.git("config", "diff.orderFile", special)
    repo.git("config", "core.attributesFile", special)
    for args in ((), ("--staged",)):
        result = keyguard_git(repo, *args)
        assert result.exit_code == 1, result.output
    assert json_secrets(result) == {fake_token(3)}


@pytest.mark.parametrize("target", ["/dev/stdin", "/dev/zero", "fifo", "nested"])
def test_config_including_what_git_must_not_read_is_refused(repo: GitRepo, target: str) -> None:
    # include.path=/dev/stdin: cat-file read keyguard's object requests as config, every blob
    # looked missing and the scan exited 0 with nothing found; a FIFO stalled it for ever
    git_dir = repo.path / ".git"
    if target == "fifo":  # outside .git (inside, the directory check refuses it first)
        target = str(repo.path.parent / "fifo")
        os.mkfifo(target)
    elif target == "nested":  # an included file that includes stdin, by a relative path
        (git_dir / "more.cfg").write_text("[include]\n\tpath = /dev/stdin\n")
        target = "more.cfg"
    repo.git("config", "--add", "include.path", "missing.cfg")  # skipped, as git skips it
    repo.git("config", "--add", "includeIf.gitdir:/.path", target)
    result = keyguard_git(repo)
    assert result.exit_code == 2, result.output
    assert "a repository may not make git read a FIFO, device or terminal" in result.stderr
    assert result.stderr.count("\n") == 1


def test_regular_included_config_is_honoured(repo: GitRepo) -> None:
    (repo.path / ".git" / "extra.cfg").write_text("[core]\n\tquotePath = true\n")
    repo.git("config", "include.path", "extra.cfg")
    result = keyguard_git(repo)
    assert result.exit_code == 1, result.output
    assert json_secrets(result) == {fake_token(1), fake_token(2)}


SPECIAL_PLACES = [
    "config",
    "HEAD",
    "packed-refs",
    "index",
    "shallow",
    "commondir",
    "info/attributes",
    "info/grafts",
    "objects/info/alternates",
    "refs/heads/evil",
    "loose object",
]


@pytest.mark.parametrize("place", SPECIAL_PLACES)
@pytest.mark.parametrize("args", [(), ("--staged",)])
def test_fifo_anywhere_in_the_git_directory_is_refused(
    repo: GitRepo, place: str, args: tuple[str, ...]
) -> None:
    # each of these stalled git, and keyguard with it, for ever
    git_dir = repo.path / ".git"
    if place == "loose object":
        blob = repo.git("rev-parse", "HEAD:a.env")
        place = f"objects/{blob[:2]}/{blob[2:]}"
    path = git_dir / place
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    result = keyguard_git(repo, *args)
    assert result.exit_code == 2, result.output
    assert f"{path} is a FIFO; not scanned: git would open it" in result.stderr


@pytest.mark.parametrize("target", ["/dev/stdin", "/proc/self/fd/0", "/dev/zero"])
def test_git_directory_links_to_process_files_and_devices_are_refused(
    repo: GitRepo, target: str
) -> None:
    # /dev/stdin as objects/info/alternates is git's own input: cat-file's object requests
    link = repo.path / ".git" / "objects" / "info" / "alternates"
    link.symlink_to(target)
    result = keyguard_git(repo)
    assert result.exit_code == 2, result.output
    assert f"{link} is a" in result.stderr


def test_in_proc_follows_links_by_name_not_through_proc(tmp_path: Path) -> None:
    from scanner.sources.gitspecial import in_proc

    (tmp_path / "hop").symlink_to("/dev/stdin")
    (tmp_path / "dir").symlink_to("/proc/self")
    (tmp_path / "plain").write_text("x")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert in_proc(tmp_path / "hop") and in_proc(tmp_path / "dir" / "fd" / "0")
    assert in_proc("/dev/fd/0") and in_proc("/proc/1/environ")
    assert not in_proc(tmp_path / "plain") and not in_proc(tmp_path / "loop")
    assert not in_proc("/dev/null")


def test_sockets_and_ordinary_symlinks_in_the_git_directory_are_fine(repo: GitRepo) -> None:
    import socket

    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(repo.path / ".git" / "fsmonitor--daemon.ipc"))
    (repo.path / ".git" / "description.link").symlink_to(repo.path / ".git" / "description")
    result = keyguard_git(repo)
    assert result.exit_code == 1, result.output
    assert json_secrets(result) == {fake_token(1), fake_token(2)}


def _literal_commit(repo: GitRepo, files: dict[str, str], author: bytes, message: bytes) -> str:
    """A commit written byte for byte (git commit refuses such names), made HEAD."""
    repo.stage(files)
    tree = repo.git("write-tree")
    parent = repo.git("rev-parse", "HEAD")
    body = b"tree %s\nparent %s\nauthor %s 1704067200 +0000\n" % (
        tree.encode(),
        parent.encode(),
        author,
    )
    body += b"committer C <c@e.invalid> 1704067200 +0000\n\n" + message + b"\n"
    sha = repo.git("hash-object", "-t", "commit", "-w", "--literally", "--stdin", input=body)
    repo.git("update-ref", "refs/heads/main", sha)
    return sha


def test_separator_bytes_in_author_and_subject_do_not_forge_provenance(repo: GitRepo) -> None:
    # the log was split into records at \x01 and into fields at \x1f: a name holding them
    # moved a finding to a commit id the author chose (here an innocent earlier commit)
    innocent = repo.git("rev-parse", "HEAD~1")
    forged = b"\x01" + innocent.encode() + b"\x1fInnocent\x1fi@e.invalid\x1f2020-01-01T00:00:00Z"
    evil = _literal_commit(
        repo, {"c.env": f"T={fake_token(3)}\n"}, b"Ev\x1fil" + forged + b" <e@e.invalid>", b"s"
    )
    also = _literal_commit(repo, {"d.env": f"T={fake_token(4)}\n"}, b"A <a@e>", b"x\x01y\x1fz")
    result = keyguard_git(repo)
    assert result.exit_code == 1, result.output
    by_secret = {f["secret"]: f["provenance"] for f in json.loads(result.stdout)["findings"]}
    assert by_secret[fake_token(3)]["commit"] == evil
    assert by_secret[fake_token(3)]["author"].startswith("Ev\x1fil\x01")
    assert by_secret[fake_token(4)]["commit"] == also
    assert by_secret[fake_token(4)]["summary"] == "x\x01y\x1fz"
    assert by_secret[fake_token(1)]["commit"] == innocent
