"""Byte streams for the log filter: a file descriptor (stdin, a pipe, a file) or a followed file.

Readers hand out raw bytes as soon as some are available (``read`` returns ``None`` when the
input is idle for ``timeout`` seconds and ``b""`` at end of input), so the filter can batch
busy input into large blocks and still answer each record at once when the input is quiet.
Framing into records happens in ``scanner.logfilter.framing``; nothing here decodes text.
"""

from __future__ import annotations

import os
import select
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from scanner.logfilter.options import BLOCK_SIZE


class ByteSource(Protocol):
    name: str

    def read(self, timeout: float) -> bytes | None:
        """Available bytes; ``None`` when nothing came within ``timeout``; ``b""`` at the end."""
        ...

    def close(self) -> None: ...


class FdSource:
    """Reads a file descriptor: stdin, a pipe or a regular file, until end of input."""

    def __init__(self, fd: int, name: str = "<stdin>", block_size: int = BLOCK_SIZE) -> None:
        self.fd = fd
        self.name = name
        self.block_size = block_size
        self._selectable = True

    def _ready(self, timeout: float) -> bool:
        if not self._selectable:
            return True
        try:
            readable, _, _ = select.select([self.fd], [], [], max(timeout, 0.0))
        except (OSError, ValueError):
            self._selectable = False  # not a selectable descriptor: plain blocking reads
            return True
        return bool(readable)

    def read(self, timeout: float) -> bytes | None:
        if not self._ready(timeout):
            return None
        return os.read(self.fd, self.block_size)

    def close(self) -> None:
        pass


@dataclass(slots=True)
class _Open:
    fd: int
    dev: int
    ino: int
    pos: int = 0


class FollowSource:
    """Follows a growing file by name, like ``tail -F``: waits for it to appear, reads to its
    end, then polls; when the name points at a new file (rotation) the old one is read to its
    end first; when the file shrinks (truncation) reading restarts at its beginning.
    ``from_end`` starts at the current end of the file instead of its beginning.
    """

    def __init__(
        self,
        path: Path,
        poll: float = 0.2,
        from_end: bool = False,
        block_size: int = BLOCK_SIZE,
    ) -> None:
        self.path = path
        self.name = str(path)
        self.poll = poll
        self.block_size = block_size
        self._from_end = from_end
        self._file: _Open | None = None

    def _open(self) -> _Open | None:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None
        st = os.fstat(fd)
        opened = _Open(fd, st.st_dev, st.st_ino)
        if self._from_end:
            opened.pos = os.lseek(fd, 0, os.SEEK_END)
            self._from_end = False
        return opened

    def _read_current(self) -> bytes:
        assert self._file is not None
        data = os.read(self._file.fd, self.block_size)
        self._file.pos += len(data)
        return data

    def read(self, timeout: float) -> bytes | None:
        if self._file is None:
            self._file = self._open()
            if self._file is None:
                self._from_end = False  # a file created later is read from its start
                time.sleep(min(timeout, self.poll))
                return None
        data = self._read_current()
        if data:
            return data
        if self._check_rotation():
            return self.read(0.0)
        time.sleep(max(min(timeout, self.poll), 0.0))
        return None

    def _check_rotation(self) -> bool:
        """True when the current file was replaced or truncated (the caller reads again)."""
        assert self._file is not None
        try:
            st = os.stat(self.path)
        except OSError:
            return False  # moved away and not yet recreated: keep the old file
        if (st.st_dev, st.st_ino) != (self._file.dev, self._file.ino):
            os.close(self._file.fd)
            self._file = self._open()
            return self._file is not None
        if st.st_size < self._file.pos:
            os.lseek(self._file.fd, 0, os.SEEK_SET)
            self._file.pos = 0
            return True
        return False

    def close(self) -> None:
        if self._file is not None:
            os.close(self._file.fd)
            self._file = None
