"""The scanned repository's git configuration must not run anything.

A repository (a downloaded archive with its ``.git``, a vendored checkout) sets every
program-running knob git has to a marker command; scanning it (history, staged, install-hook)
must leave no marker. Positive controls run plain ``git`` in the same repository to show each
trap does fire when git is not hardened.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scanner.cli import main
from scanner.sources.git import SAFE_CONFIG, git_argv, git_env
from testing.gitrepo import GitRepo, git_repo, write_test_rules

FAKE_SIG = [
    "-----BEGIN PGP SIGNATURE-----",
    "",
    "iQEzBAABCAAdFiEEkeyguardkeyguardkeyguardkeyguardFAAAAAAAAAoJEAAAAAAAAAAA",
    "=abcd",
    "-----END PGP SIGNATURE-----",
]


def marker_script(tmp_path: Path) -> tuple[Path, Path]:
    markers = tmp_path / "markers"
    markers.mkdir()
    traps = tmp_path / "traps"
    traps.mkdir()
    return traps, markers


def trap(traps: Path, name: str) -> str:
    """A program that leaves ``markers/<name>`` when run (git runs some of them without a
    shell, so each trap is its own script)."""
    script = traps / f"{name}.sh"
    script.write_text(f'#!/bin/sh\ntouch "{traps.parent / "markers" / name}"\nexit 1\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def hostile_repo(tmp_path: Path) -> tuple[GitRepo, Path]:
    script, markers = marker_script(tmp_path)
    repo = git_repo(tmp_path, "hostile")
    write_test_rules(repo.path)
    one = repo.commit("one", {"a.txt": "hello\n", ".gitattributes": "* diff=kg filter=kg\n"})
    repo.commit("two", {"a.txt": "hello again\n"})
    # the same change as a signed commit: `log --show-signature` would run gpg.program
    tree = repo.git("rev-parse", "HEAD^{tree}")
    who = "Keyguard Test <test@keyguard.invalid> 1704067200 +0000"
    sig = "\n ".join(FAKE_SIG)
    body = f"tree {tree}\nparent {one}\nauthor {who}\ncommitter {who}\ngpgsig {sig}\n\nsigned\n"
    signed = repo.git("hash-object", "-t", "commit", "-w", "--stdin", input=body.encode())
    repo.git("update-ref", "refs/heads/main", signed)
    repo.stage({"b.txt": "staged\n"})
    settings = {
        "core.fsmonitor": trap(script, "fsmonitor"),
        "core.pager": trap(script, "pager"),
        "pager.log": trap(script, "pager-log"),
        "core.sshCommand": trap(script, "ssh"),
        "core.askPass": trap(script, "askpass"),
        "core.editor": trap(script, "editor"),
        "core.hooksPath": str(tmp_path / "hooks"),
        "credential.helper": f"!{trap(script, 'credential')}",
        "diff.external": trap(script, "external-diff"),
        "diff.kg.textconv": trap(script, "textconv"),
        "diff.kg.command": trap(script, "diff-driver"),
        "filter.kg.clean": trap(script, "clean"),
        "filter.kg.smudge": trap(script, "smudge"),
        "gpg.program": trap(script, "gpg"),
        "gpg.openpgp.program": trap(script, "gpg-openpgp"),
        "log.showSignature": "true",
        "alias.log": f"!{trap(script, 'alias')}",
        "protocol.ext.allow": "always",
        "remote.origin.url": f"ext::sh -c {trap(script, 'ext')}",
        "remote.origin.promisor": "true",
        "remote.origin.partialclonefilter": "blob:none",
        "core.repositoryformatversion": "1",
        "extensions.partialClone": "origin",
    }
    for key, value in settings.items():
        repo.git("config", key, value)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in ("pre-commit", "post-checkout", "post-index-change", "reference-transaction"):
        hook = hooks / name
        hook.write_text(f"#!/bin/sh\n{trap(script, 'hook-' + name)}\n")
        hook.chmod(0o755)
    return repo, markers


def fired(markers: Path) -> list[str]:
    return sorted(os.listdir(markers))


def keyguard(*args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--rules", "kgtest-rules.toml", "--only-rule",
                                     "kgtest.*", "-j", "1", "--no-color"])  # fmt: skip


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[GitRepo, Path]:
    repo, markers = hostile_repo(tmp_path)
    monkeypatch.chdir(repo.path)
    return repo, markers


@pytest.mark.parametrize(
    "args",
    [
        ["git", "."],
        ["git", "--staged"],
        ["git", "--staged", "--whole-files"],
        ["git", ".", "--branch", "main"],
        ["git", ".", "-f", "sarif"],
        ["scan", "."],
    ],
    ids=["history", "staged", "staged-whole", "branch", "sarif", "scan"],
)
def test_scanning_runs_nothing_the_repository_configures(
    hostile: tuple[GitRepo, Path], args: list[str]
) -> None:
    _, markers = hostile
    result = keyguard(*args)
    assert result.exit_code in (0, 1), result.output
    assert fired(markers) == []


def test_missing_object_does_not_lazy_fetch(hostile: tuple[GitRepo, Path]) -> None:
    from scanner.sources.gitcat import CatFile
    from scanner.sources.gitopen import open_repo

    repo, markers = hostile
    missing = "1234567890123456789012345678901234567890"
    found = dict(CatFile(open_repo(str(repo.path))).contents([missing]))
    assert found == {missing: None}
    assert fired(markers) == []


def test_install_hook_runs_nothing(hostile: tuple[GitRepo, Path], tmp_path: Path) -> None:
    repo, markers = hostile
    result = CliRunner().invoke(main, ["install-hook", str(repo.path)])
    # git was asked where hooks go (the repository's core.hooksPath is honoured for that one
    # question): a foreign pre-commit hook is there, so keyguard refuses; nothing ran
    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'hooks' / 'pre-commit'}: a pre-commit hook already exists" in result.output
    assert fired(markers) == []


def test_the_traps_fire_without_hardening(hostile: tuple[GitRepo, Path]) -> None:
    """Positive control: plain git in the same repository does run the configured programs."""
    repo, markers = hostile
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_CONFIG")}
    for args in (
        ["status"],
        ["log", "-1", "-p"],
        ["cat-file", "-p", "1234567890123456789012345678901234567890"],
    ):
        with contextlib.suppress(subprocess.TimeoutExpired):
            subprocess.run(
                ["git", *args],
                cwd=repo.path,
                env=env,
                capture_output=True,
                stdin=subprocess.DEVNULL,
                timeout=30,
            )
    got = set(fired(markers))
    assert {"fsmonitor", "gpg-openpgp", "clean", "hook-post-index-change"} <= got, got
    assert {"textconv", "diff-driver"} & got, got
    assert "ext" in got, got  # the lazy fetch of a missing object ran the ext:: transport


def test_every_git_invocation_goes_through_git_argv() -> None:
    """No module spawns ``git`` directly: the hardened prefix cannot be forgotten."""
    root = Path(__file__).resolve().parents[2] / "scanner"
    offenders = []
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for needle in ('["git",', "['git',", '("git",'):
            if needle in text and path.name != "git.py":
                offenders.append(f"{path.relative_to(root)}: {needle}")
    assert offenders == []
    argv = git_argv(["log"])
    assert argv[0] == "git" and argv[-1] == "log"
    for key, value in SAFE_CONFIG:
        assert f"{key}={value}" in argv
    assert "--no-pager" in argv and "--no-replace-objects" in argv


def test_git_env_drops_caller_programs_and_sets_safe_defaults() -> None:
    env = git_env({"GIT_SSH_COMMAND": "x", "GIT_EXTERNAL_DIFF": "y", "PATH": os.environ["PATH"]})
    assert "GIT_SSH_COMMAND" not in env and "GIT_EXTERNAL_DIFF" not in env
    for key, value in {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_ALLOW_PROTOCOL": "",
    }.items():
        assert env[key] == value
    assert subprocess.run(["git", "--version"], env=env, capture_output=True).returncode == 0
