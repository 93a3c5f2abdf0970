"""Per-host token buckets: at most ``rate`` requests a second to one host, bursts of ``burst``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    stamp: float


@dataclass
class HostLimiter:
    """Blocks in ``acquire(host)`` until the host's bucket holds a token. ``clock`` and ``sleep``
    are injectable for tests."""

    rate: float
    burst: float = 1.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self, host: str) -> float:
        """Take a token for ``host``; returns the seconds waited."""
        if self.rate <= 0:
            return 0.0
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                bucket = self._buckets.setdefault(host, _Bucket(self.burst, now))
                bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
                bucket.stamp = now
                if bucket.tokens >= 1.0:
                    bucket.tokens -= 1.0
                    return waited
                delay = (1.0 - bucket.tokens) / self.rate
            self.sleep(delay)
            waited += delay
