"""The files a repository's config includes, checked before git is run on it.

git follows ``include.path`` and ``includeIf.<condition>.path`` of the repository's own config
(``config`` and ``config.worktree`` of its git directory, the config of a linked worktree's
common directory) into any file and reads it as more config. ``/dev/stdin`` there made
``git cat-file --batch`` read keyguard's object requests as config, so every blob looked
missing and the history was scanned as empty (exit 0); ``/dev/tty`` reads the terminal and a
FIFO never opens. ``check_includes`` refuses a repository whose config includes anything but a
regular file (or a missing one, which git skips); the command-line overrides of ``git_argv``
cannot switch includes off.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from scanner.errors import SourceError
from scanner.safeio import read_bounded
from scanner.sources.git import git_argv, git_env
from scanner.sources.gitspecial import in_proc

MAX_DEPTH = 10
"""How deep git itself follows includes."""
CONFIG_LIMIT = 16 << 20
"""A repository config larger than this is refused rather than read."""
_INCLUDE_KEYS = r"^include(if\..*)?\.path$"
_REFUSED = "not scanned: a repository may not make git read a FIFO, device or terminal"


def check_includes(git_dir: Path, where: str) -> None:
    """``SourceError`` when a config git reads for the repository at ``git_dir`` is not a
    regular file, or includes one that is not."""
    configs = [git_dir / "config", git_dir / "config.worktree"]
    common = common_dir(git_dir, where)
    if common is not None:
        configs.append(common / "config")
    for config in configs:
        _check(config, where, 0)


def common_dir(git_dir: Path, where: str) -> Path | None:
    """The common directory a linked worktree's ``commondir`` names (None for others)."""
    pointer = git_dir / "commondir"
    if not os.path.lexists(pointer):
        return None
    text = _read(pointer, where).decode("utf-8", "surrogateescape").strip()
    return git_dir / text if text else None


def _read(path: Path, where: str) -> bytes:
    try:
        return read_bounded(path, CONFIG_LIMIT, follow_symlinks=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SourceError(f"{where}: git would read {path} ({reason}); {_REFUSED}") from None


def _check(config: Path, where: str, depth: int) -> None:
    if not os.path.exists(config):  # git skips a missing config or include
        return
    if in_proc(config):  # /dev/stdin is git's input, whatever it is here
        raise SourceError(f"{where}: git would read {config}; {_REFUSED}")
    if b"include" not in _read(config, where).lower():
        return
    if depth >= MAX_DEPTH:
        raise SourceError(f"{where}: git config includes nested deeper than {MAX_DEPTH}")
    for target in _include_paths(config):
        path = Path(target)
        _check(path if path.is_absolute() else config.parent / path, where, depth + 1)


def _include_paths(config: Path) -> list[str]:
    """The include paths ``config`` names (``~`` expanded), read by git without following
    them; git looks for no repository meanwhile (``GIT_DIR`` names none)."""
    args = ["config", "--file", str(config), "--no-includes", "--type=path", "-z"]
    env = {**git_env(), "GIT_DIR": os.devnull}
    proc = subprocess.run(
        git_argv([*args, "--get-regexp", _INCLUDE_KEYS]),
        cwd=config.parent,
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    entries = proc.stdout.split(b"\0")
    return [os.fsdecode(e.partition(b"\n")[2]) for e in entries if b"\n" in e]
