"""A deadline for test bodies that could block (a scan reading a FIFO or a device): the test
fails with TimeoutError instead of hanging the suite."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the suite) when the body blocks, e.g. on a FIFO."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"blocked for {seconds}s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
