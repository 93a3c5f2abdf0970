"""The index against HEAD for the staged check: which files a commit would change (added,
modified, renamed, with their blob ids) and which lines it adds, both from one ``git
diff-index`` run (``staged_diff``).

For a patch git reads the ``.gitattributes`` of every directory on the way to each changed path
in the work tree (a FIFO there stalls it for ever; ``/dev/zero`` behind a device node never
ends). The patches are asked of the index with an empty directory as the work tree
(``_patch``): git then reads the attributes the index holds (blobs: never a FIFO), which are
the ones the commit will carry. Nothing else about the comparison changes: ``--cached``
compares the index with HEAD and never looks at the work tree."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import SourceError
from scanner.models import SourceProblem
from scanner.sources import git as gitsrc
from scanner.sources.git import (
    EMPTY_TREE,
    SUBMODULE_MODE,
    SYMLINK_MODE,
    ZERO_SHA,
    GitPath,
    Repo,
    display_path,
    error_line,
    git_text,
)

_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True, slots=True)
class StagedFile(GitPath):
    """A file the index adds or changes: its blob, the blob it replaces, status and mode."""

    raw_path: bytes
    blob: str
    old_blob: str
    status: str
    mode: str


def _diff_base(repo: Repo) -> str:
    return "HEAD" if repo.head is not None else EMPTY_TREE


_PATCH_OPTIONS = (
    "-U0",
    "-M",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)


def staged_diff(
    repo: Repo, problems: list[SourceProblem]
) -> tuple[list[StagedFile], dict[bytes, set[int]]]:
    """``staged_changes`` and ``staged_added_lines`` from one ``git diff-index`` run: its raw
    records, then its patch (``split_patch_with_raw``). The patch also covers submodules (the
    raw records must: they become problems), whose lines nothing reads. Should that run fail
    or read otherwise, the two runs of their own, which report a failure as they always did."""
    proc = _patch(
        repo,
        [
            "diff-index",
            "--cached",
            "--patch-with-raw",
            "-z",
            "--no-abbrev",
            *_PATCH_OPTIONS,
            _diff_base(repo),
            "--",
        ],
    )
    parts = split_patch_with_raw(proc.stdout) if proc.returncode == 0 else None
    if parts is None:
        return staged_changes(repo, problems), staged_added_lines(repo)
    raw, patch = parts
    return parse_raw(raw, problems), parse_added_lines(patch)


def split_patch_with_raw(out: bytes) -> tuple[bytes, bytes] | None:
    """``diff-index --patch-with-raw -z`` output as (raw records, patch). The raw records
    (``:meta\\0path\\0``, two paths for a rename or copy) come first, then one NUL, then the
    patch, exactly as ``-p`` alone writes it (a patch may hold NULs: a file git reads as text
    can have one past its first 8000 bytes, so the records are walked, not split). None when
    the output does not read so."""
    pos = 0
    while out.startswith(b":", pos):
        end = out.find(b"\0", pos)
        if end < 0:
            return None
        fields = out[pos + 1 : end].split()
        status = fields[4] if len(fields) > 4 else b"?"
        for _ in range(2 if status[:1] in (b"R", b"C") else 1):
            end = out.find(b"\0", end + 1)
            if end < 0:
                return None
        pos = end + 1
    if not out:
        return b"", b""
    if not pos or not out.startswith(b"\0", pos):  # every raw record has its patch part
        return None
    return out[:pos], out[pos + 1 :]


def staged_changes(repo: Repo, problems: list[SourceProblem]) -> list[StagedFile]:
    """Files the index adds or changes against HEAD (deletions and unmerged entries excluded)."""
    proc = repo.run(
        [
            "diff-index",
            "--cached",
            "--raw",
            "-z",
            "--no-abbrev",
            "-M",
            _diff_base(repo),
            "--",
        ],
        check=False,
    )
    if proc.returncode != 0:
        raise SourceError(f"{repo.given}: cannot read the index ({error_line(proc.stderr)})")
    return parse_raw(proc.stdout, problems)


def parse_raw(raw: bytes, problems: list[SourceProblem]) -> list[StagedFile]:
    """``diff-index --raw -z`` records as staged files; submodules and unmerged paths become
    ``problems``, deletions and symlinks are left out."""
    out: list[StagedFile] = []
    unmerged: set[bytes] = set()
    tokens = raw.split(b"\0")
    i = 0
    while i < len(tokens):
        meta = tokens[i]
        if not meta.startswith(b":"):
            i += 1
            continue
        parts = git_text(meta[1:]).split()
        status = parts[4] if len(parts) > 4 else "?"
        npaths = 2 if status[:1] in ("R", "C") else 1
        path = tokens[i + npaths] if i + npaths < len(tokens) else b""
        i += 1 + npaths
        if status.startswith("U"):
            unmerged.add(path)
            continue
        if status.startswith("D") or parts[3] == ZERO_SHA:
            continue
        mode = parts[1]
        if mode == SUBMODULE_MODE:
            problems.append(SourceProblem(display_path(path), "submodule; not descended"))
            continue
        if mode == SYMLINK_MODE:
            continue
        out.append(StagedFile(path, parts[3], parts[2], status, mode))
    for path in sorted(unmerged):
        problems.append(
            SourceProblem(display_path(path), "unmerged (merge in progress); resolve and stage it")
        )
    return out


def unquote_path(raw: bytes) -> bytes:
    """Undo git's C-style quoting of a path (``"a\\tb\\303\\251"``)."""
    if not (raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2):
        return raw
    body = raw[1:-1]
    out = bytearray()
    i = 0
    simple = {
        ord("n"): 10,
        ord("t"): 9,
        ord("r"): 13,
        ord("a"): 7,
        ord("b"): 8,
        ord("f"): 12,
        ord("v"): 11,
    }
    while i < len(body):
        c = body[i]
        if c != 0x5C or i + 1 >= len(body):
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1]
        if 0x30 <= nxt <= 0x37 and i + 4 <= len(body):
            out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        else:
            out.append(simple.get(nxt, nxt))
            i += 2
    return bytes(out)


def staged_added_lines(repo: Repo) -> dict[bytes, set[int]]:
    """Per staged path, the line numbers (in the staged file) that the change adds or changes."""
    proc = _patch(
        repo,
        [
            "diff-index",
            "--cached",
            "-p",
            *_PATCH_OPTIONS,
            "--ignore-submodules=all",
            _diff_base(repo),
            "--",
        ],
    )
    return parse_added_lines(proc.stdout)


# paths git takes from the environment, relative to where it runs: a hook's GIT_INDEX_FILE
# (``git commit`` names its ``.git/index.lock`` so), made absolute for a run elsewhere
_PATH_VARIABLES = (
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
)


def _patch(repo: Repo, args: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    """``git args`` (a ``--cached`` patch) run in an empty directory that is also its work
    tree, so that git reads no file of the real one (see the module docstring)."""
    root = repo.root.absolute()
    env = {"GIT_DIR": str(root / repo.git_dir)}
    for name in _PATH_VARIABLES:
        value = os.environ.get(name)
        if value:
            env[name] = os.pathsep.join(str(root / part) for part in value.split(os.pathsep))
    with _empty_directory() as empty:
        env["GIT_WORK_TREE"] = str(empty)
        return gitsrc.run_git(empty, args, check=False, idle=repo.idle, env=env, where=repo.root)


@contextmanager
def _empty_directory() -> Iterator[Path]:
    """An empty directory of this user's for as long as the block runs: one kept in the
    temporary directory for the next run (``rmdir`` cost 3.5 ms on a journalled disk, more
    than git's run), else a new one. ``tempfile`` is not used: importing it (``shutil`` and
    the compression modules) cost 16 ms on the pre-commit path."""
    bases = dict.fromkeys(filter(None, (os.environ.get("TMPDIR"), "/tmp", "/var/tmp")))
    for base in bases if os.name == "posix" else ():
        kept = Path(base, f"keyguard-{os.getuid()}-empty")
        if _private_and_empty(kept, os.getuid()):
            yield kept
            return
    name = f"keyguard-attrs-{os.getpid()}-{time.monotonic_ns()}"
    for base in bases:
        path = Path(base, name)
        try:
            path.mkdir(mode=0o700)
        except OSError:  # not writable, or missing
            continue
        try:
            yield path
        finally:
            path.rmdir()
        return
    raise SourceError("no directory for the staged patch could be made in $TMPDIR or /tmp")


def _private_and_empty(path: Path, uid: int) -> bool:
    """Whether ``path`` is (or has just been made) an empty directory that only ``uid`` can
    change: what another user made there, or anything put in it, is not used."""
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError:
        return False
    try:
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid or st.st_mode & 0o077:
            return False
        with os.scandir(path) as entries:
            return next(entries, None) is None
    except OSError:
        return False


def parse_added_lines(patch: bytes) -> dict[bytes, set[int]]:
    out: dict[bytes, set[int]] = {}
    current: set[int] | None = None
    for line in patch.split(b"\n"):
        if line.startswith(b"diff --git "):
            current = None
        elif line.startswith(b"+++ ") and current is None:
            target = line[4:].rstrip(b"\r")
            if target == b"/dev/null":
                continue
            target = unquote_path(target)
            if target.startswith(b"b/"):
                target = target[2:]
            current = out.setdefault(target, set())
        elif line.startswith(b"@@ ") and current is not None:
            m = _HUNK.match(line)
            if m:
                start = int(m.group(1))
                count = int(m.group(2)) if m.group(2) is not None else 1
                current.update(range(start, start + count))
    return out
