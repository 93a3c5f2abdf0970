"""FIFOs and devices in a git directory, found before git is run on it.

git opens what it finds in ``.git`` (``HEAD``, ``packed-refs``, the index, loose refs and
objects, ``objects/info/alternates``, ``info/attributes``, ``shallow``, ``commondir``, ...)
without checking what it is: a FIFO there stalls every git command for ever, ``/dev/zero``
grows it without end, and a symlink to ``/dev/stdin`` makes ``git cat-file --batch`` read
keyguard's object requests as that file. A git directory from a tarball or a vendored
checkout may hold any of them. ``check_special_files`` walks the directory (symlinks followed,
each directory once) and refuses it at the first FIFO or device, or symlink into ``/proc``
(``/dev/stdin`` leads there: git's own input, whatever it is in this process); sockets (an
fsmonitor daemon's) are left alone, git does not open them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from scanner.errors import SourceError
from scanner.safeio import kind_of

MAX_LINKS = 40


def in_proc(path: str | Path) -> bool:
    """Whether ``path`` leads into ``/proc``, by its name or through a symlink on the way
    (``/dev/stdin``): a file there is what the process opening it sees, so what it is in this
    process says nothing of what git would read (``os.path.realpath`` follows ``/proc``'s
    links to this process's files instead)."""
    pending = list(Path(os.path.abspath(path)).parts[1:])
    current = "/"
    links = 0
    while pending:
        part = pending.pop(0)
        if part == "..":
            current = os.path.dirname(current)
            continue
        candidate = os.path.join(current, part)
        if candidate == "/proc" or candidate.startswith("/proc/"):
            return True
        if not os.path.islink(candidate):
            current = candidate
            continue
        links += 1
        if links > MAX_LINKS:  # a loop: nothing can be opened through it
            return False
        target = Path(os.readlink(candidate))
        if target.is_absolute():
            current = "/"
            pending = list(target.parts[1:]) + pending
        else:
            pending = list(target.parts) + pending
    return False


def check_special_files(git_dir: Path, where: str) -> None:
    """``SourceError`` naming the first FIFO or device under ``git_dir``."""
    found = _first_special(git_dir)
    if found is not None:
        path, what = found
        raise SourceError(
            f"{where}: {path} is {what}; not scanned: git would open it (a repository may not "
            "make git read a FIFO or device)"
        )


def _first_special(top: Path) -> tuple[str, str] | None:
    stack = [os.fspath(top)]
    seen: set[tuple[int, int]] = set()
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:  # unreadable, or gone: git meets the same
            continue
        with entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False) and not entry.is_symlink():
                    stack.append(entry.path)
                    continue
                if entry.is_file(follow_symlinks=False):
                    continue
                try:
                    info = os.stat(entry.path)  # a symlink: what git opens through it
                except OSError:  # dangling or looping: git cannot open it either
                    continue
                mode = info.st_mode
                if in_proc(entry.path):
                    return entry.path, "a link into /proc (the input of whatever opens it)"
                if stat.S_ISDIR(mode):
                    if (info.st_dev, info.st_ino) not in seen:
                        seen.add((info.st_dev, info.st_ino))
                        stack.append(entry.path)
                elif not (stat.S_ISREG(mode) or stat.S_ISSOCK(mode)):
                    return entry.path, kind_of(mode)
    return None
