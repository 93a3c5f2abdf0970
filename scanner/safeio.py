"""Opening files that a scanned tree controls: regular files only, bounded reads, no surprises.

A scanned tree is hostile data. A FIFO named ``.gitignore`` would block ``open()`` forever, a
``.gitignore`` symlinked to ``/dev/zero`` would be read until memory runs out, and a symlink to a
file outside the tree would silently change what is scanned. ``open_regular`` therefore:

- looks at the path with ``lstat`` first and refuses anything that is not a regular file (a
  symlink is refused unless ``follow_symlinks``; FIFOs, sockets and devices always are), so a
  device is never even opened;
- opens with ``O_NOFOLLOW | O_NONBLOCK`` and checks the opened descriptor again with ``fstat``
  (the path may have been swapped in between);
- ``read_bounded`` refuses a file larger than its cap instead of reading it.

Errors are ``UnsafeFileError`` (an ``OSError``, so existing ``except OSError`` handlers treat it
as an unreadable file) with a short reason for the warning.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

CONFIG_FILE_LIMIT = 1 << 20  # config, ignore and baseline files: 1 MiB is far more than enough
BASELINE_LIMIT = 64 << 20
RULE_FILE_LIMIT = 8 << 20

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class UnsafeFileError(OSError):
    """The path is not a regular file we may open (FIFO, device, socket, symlink, too large)."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(errno.EINVAL, reason, str(path))
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.filename}: {self.reason}"


_KINDS: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISLNK, "a symlink"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISDIR, "a directory"),
)


def kind_of(mode: int) -> str:
    """What a file of ``mode`` is, in words for an error message."""
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def open_regular(path: Path | str, *, follow_symlinks: bool = False) -> BinaryIO:
    """``open(path, "rb")`` for a regular file only (see the module docstring)."""
    fd = _open_regular_fd(path, follow_symlinks)
    try:
        if _NONBLOCK:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _open_regular_fd(path: Path | str, follow_symlinks: bool) -> int:
    """A descriptor open on the regular file ``path``, checked before and after opening."""
    st = os.stat(path, follow_symlinks=follow_symlinks)
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeFileError(path, f"{kind_of(st.st_mode)}; not opened")
    flags = os.O_RDONLY | _NONBLOCK | _CLOEXEC | _BINARY
    if not follow_symlinks:
        flags |= _NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeFileError(path, "a symlink; not opened") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFileError(path, f"{kind_of(st.st_mode)}; not opened")
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_up_to(path: Path | str, limit: int, *, follow_symlinks: bool = False) -> bytes:
    """At most ``limit + 1`` bytes of the regular file ``path`` (more than ``limit``: it is
    larger). Read straight from the descriptor, without a buffered file object: the scan
    reads every small file this way. A regular file never blocks, ``O_NONBLOCK`` or not."""
    fd = _open_regular_fd(path, follow_symlinks)
    try:
        parts: list[bytes] = []
        want = limit + 1
        while want > 0:
            part = os.read(fd, want)
            if not part:
                break
            parts.append(part)
            want -= len(part)
    finally:
        os.close(fd)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_bounded(path: Path | str, limit: int, *, follow_symlinks: bool = False) -> bytes:
    """The content of the regular file ``path``; ``UnsafeFileError`` when above ``limit`` bytes."""
    data = read_up_to(path, limit, follow_symlinks=follow_symlinks)
    if len(data) > limit:
        raise UnsafeFileError(path, f"larger than {limit} bytes; not read")
    return data


def read_text_bounded(path: Path | str, limit: int, *, follow_symlinks: bool = False) -> str:
    """``read_bounded`` decoded as UTF-8 (``UnicodeDecodeError`` when it is not)."""
    return read_bounded(path, limit, follow_symlinks=follow_symlinks).decode("utf-8")


def read_user_file(path: Path | str, limit: int) -> bytes:
    """A file the caller named on the command line: symlinks followed and pipes allowed
    (``--config <(...)``), devices refused, read bounded."""
    st = os.stat(path)
    if stat.S_ISREG(st.st_mode):
        return read_bounded(path, limit, follow_symlinks=True)
    if not stat.S_ISFIFO(st.st_mode):
        raise UnsafeFileError(path, f"{kind_of(st.st_mode)}; not opened")
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise UnsafeFileError(path, f"larger than {limit} bytes; not read")
    return data


def is_regular_file(path: Path, *, follow_symlinks: bool = False) -> bool:
    """True for a regular file (not following a symlink unless asked); never raises."""
    try:
        return stat.S_ISREG(os.stat(path, follow_symlinks=follow_symlinks).st_mode)
    except (OSError, ValueError):
        return False
