"""Files and directories: a deterministic walk honouring ``.gitignore`` and exclusions.

Symlinks met during the walk are not followed; FIFOs, sockets and devices are skipped with a
warning (and never opened, ``.gitignore`` and ``.git/info/exclude`` included: see
``scanner.safeio``); unreadable directories are reported and the walk goes on. Safetensors and
GGUF files are exempt from ``max_file_size``: only their header is read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from scanner.blob import Blob
from scanner.ignore import IgnoreMatcher, load_ignore_file
from scanner.models import Origin, SourceProblem
from scanner.safeio import open_regular

ALWAYS_SKIP_DIRS = frozenset({".git", ".hg", ".svn"})
CONFIG_IN_SKIPPED_DIRS: dict[str, str] = {".git": "config", ".hg": "hgrc"}
"""The one file of a skipped version-control directory that is still scanned: the repository's
own settings, where a remote URL with a token in it (``https://user:token@host``) or an
``http.extraHeader`` is written. Objects, packs and logs are history: ``keyguard git`` reads
them."""


@dataclass(frozen=True, slots=True)
class FileTarget:
    path: str  # a plain string: a walk of many files builds no ``Path`` objects
    display: str
    size: int


@dataclass(frozen=True, slots=True)
class WalkOptions:
    use_ignore: bool = True
    exclude: IgnoreMatcher | None = None
    max_file_size: int = 100 * 1024 * 1024


def iter_targets(
    paths: Sequence[str], options: WalkOptions
) -> Iterator[FileTarget | SourceProblem]:
    for given in paths:
        path = Path(given)
        try:
            st = path.stat()
        except FileNotFoundError:
            if path.is_symlink():
                yield SourceProblem(given, "broken symlink; skipped")
            else:
                yield SourceProblem(given, "no such file or directory", kind="missing")
            continue
        except OSError as exc:
            yield SourceProblem(given, f"cannot access ({exc.strerror})")
            continue
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(path, given, options)
        else:
            yield from _one_file(given, given, st, options)


# Formats of which only a bounded header is read (``scanner.extractors.headers``): a 4 GiB
# shard is as cheap to check as a 4 KiB one, so --max-file-size does not apply to them.
HEADER_ONLY_SUFFIXES = (".safetensors", ".gguf")


def is_header_only(path: str, st: os.stat_result) -> bool:
    """A safetensors or GGUF file whose first bytes confirm the format."""
    if not path.lower().endswith(HEADER_ONLY_SUFFIXES):
        return False
    try:
        with open_regular(path) as fh:
            head = fh.read(16)
    except OSError:
        return False
    if head.startswith(b"GGUF"):
        return True
    if len(head) >= 10 and head[8:9] == b"{":
        length = int.from_bytes(head[:8], "little")
        return 0 < length <= st.st_size - 8
    return False


def _one_file(
    path: str, display: str, st: os.stat_result, options: WalkOptions
) -> Iterator[FileTarget | SourceProblem]:
    if not stat.S_ISREG(st.st_mode):
        yield SourceProblem(display, "not a regular file (FIFO, socket or device); skipped")
        return
    if st.st_size > options.max_file_size and not is_header_only(path, st):
        yield SourceProblem(display, f"larger than --max-file-size ({st.st_size} bytes); skipped")
        return
    yield FileTarget(path, display, st.st_size)


def _real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.lstat().st_mode)
    except OSError:
        return False


def _ignore_file(path: Path, display: str) -> tuple[IgnoreMatcher | None, SourceProblem | None]:
    matcher, problem = load_ignore_file(path)
    return matcher, (SourceProblem(display, problem) if problem else None)


def _walk(root: Path, given: str, options: WalkOptions) -> Iterator[FileTarget | SourceProblem]:
    ignores: list[tuple[str, IgnoreMatcher]] = []
    git_dir = root / ".git"
    if options.use_ignore and _real_dir(git_dir) and _real_dir(git_dir / "info"):
        exclude = git_dir / "info" / "exclude"
        matcher, problem = _ignore_file(exclude, os.path.join(given, ".git", "info", "exclude"))
        if problem:
            yield problem
        if matcher:
            ignores.append(("", matcher))
    yield from _walk_dir(str(root), "", given, options, ignores)


def _ignored(
    rel: str, is_dir: bool, options: WalkOptions, ignores: list[tuple[str, IgnoreMatcher]]
) -> bool:
    if options.exclude is not None and options.exclude.decision(rel, is_dir):
        return True
    result: bool | None = None
    for base, matcher in ignores:
        sub = rel[len(base) + 1 :] if base else rel
        decision = matcher.decision(sub, is_dir)
        if decision is not None:
            result = decision
    return bool(result)


def _walk_dir(
    directory: str,
    rel_dir: str,
    given: str,
    options: WalkOptions,
    ignores: list[tuple[str, IgnoreMatcher]],
) -> Iterator[FileTarget | SourceProblem]:
    display_dir = os.path.join(given, rel_dir) if rel_dir else given
    try:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield SourceProblem(display_dir, f"cannot list directory ({exc.strerror}); skipped")
        return
    local = ignores
    if options.use_ignore and any(e.name == ".gitignore" for e in entries):
        # read like git: not through a symlink, never a FIFO or device, bounded
        matcher, problem = _ignore_file(
            Path(directory, ".gitignore"), os.path.join(display_dir, ".gitignore")
        )
        if problem:
            yield problem
        if matcher:
            local = [*ignores, (rel_dir, matcher)]
    base = os.path.join(given, "")  # + rel: ``os.path.join(given, rel)`` without a call
    for entry in entries:
        rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
        display = base + rel
        try:
            if entry.is_symlink():
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            if is_dir and entry.name in ALWAYS_SKIP_DIRS:
                yield from _vcs_config(entry.path, f"{rel}/", base + rel, options)
                continue
            if _ignored(rel, is_dir, options, local):
                continue
            if is_dir:
                yield from _walk_dir(entry.path, rel, given, options, local)
                continue
            st = entry.stat(follow_symlinks=False)
        except OSError as exc:
            yield SourceProblem(display, f"cannot access ({exc.strerror}); skipped")
            continue
        yield from _one_file(entry.path, display, st, options)


def _vcs_config(
    directory: str, rel_dir: str, display_dir: str, options: WalkOptions
) -> Iterator[FileTarget | SourceProblem]:
    """The settings file of a version-control directory (``.git/config``), if it is a regular
    file and not excluded; nothing else in the directory is read."""
    name = CONFIG_IN_SKIPPED_DIRS.get(os.path.basename(directory))
    if name is None:
        return
    path = os.path.join(directory, name)
    try:
        st = os.lstat(path)
    except OSError:
        return  # no settings file (a bare ``.git`` file of a worktree points elsewhere)
    if not stat.S_ISREG(st.st_mode):
        return
    if options.exclude is not None and options.exclude.decision(rel_dir + name, False):
        return
    yield from _one_file(path, f"{display_dir}/{name}", st, options)


@dataclass(frozen=True, slots=True)
class FilesSource:
    """Files and directories as blobs (read by whoever scans them), walk problems as items.

    ``walk`` lists every file first (a progress bar then knows the total); ``stream`` walks
    while the files found so far are being scanned (the walk then costs no time of its own)."""

    targets: Iterable[FileTarget | SourceProblem]

    @classmethod
    def walk(cls, paths: Sequence[str], options: WalkOptions) -> FilesSource:
        return cls(tuple(iter_targets(paths, options)))

    @classmethod
    def stream(cls, paths: Sequence[str], options: WalkOptions) -> FilesSource:
        return cls(iter_targets(paths, options))

    @property
    def files(self) -> int:
        """How many files a ``walk`` found (0 for a ``stream``: not known in advance)."""
        if not isinstance(self.targets, tuple):
            return 0
        return sum(1 for t in self.targets if isinstance(t, FileTarget))

    def items(self) -> Iterator[Blob | SourceProblem]:
        for target in self.targets:
            if isinstance(target, SourceProblem):
                yield target
            else:
                yield Blob.from_path(target.path, Origin(path=target.display), target.size)
