"""Writing the files keyguard owns in places a scanned tree may control.

Hooks (``core.hooksPath`` often names a tracked directory), baselines and the rotation state
and audit log (by default in the working directory, usually a checkout) are written where a
repository can have committed a symlink. A write through one lands wherever it points
(``~/.bashrc``, ``~/.ssh/authorized_keys``), and an audit record holding a file name such as
``$(cmd).env`` runs ``cmd`` from a shell's startup file. So:

- ``replace_file`` writes a fresh temporary file next to the target (``mkstemp``: a new name,
  created exclusively, never a link followed) and renames it over the target (a link there is
  replaced, not written through);
- ``append_text`` appends only to a regular file or a new one (``O_NOFOLLOW``: a symlink is
  refused, never followed; a FIFO is refused without blocking).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from scanner.safeio import UnsafeFileError, kind_of

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def replace_file(path: Path, text: str, mode: int = 0o644) -> None:
    """``path`` holds ``text`` (UTF-8, ``\\n`` line ends), whole, with permissions ``mode``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def append_text(path: Path, text: str) -> None:
    """Append ``text`` to the regular file ``path`` (created, ``0600``, when missing)."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _NONBLOCK | _CLOEXEC
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeFileError(path, "a symlink; not written") from None
        raise
    with os.fdopen(fd, "a", encoding="utf-8", newline="\n") as fh:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UnsafeFileError(path, f"{kind_of(mode)}; not written")
        os.set_blocking(fd, True)
        fh.write(text)
