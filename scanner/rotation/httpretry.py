"""The urllib3 ``Retry`` policy of the HTTP-based providers (``kubernetes``, ``conjur``).

Retried inside the HTTP client: connection errors, read timeouts, 429 and 502/503/504, for every
method (the writes these providers send are safe to repeat: a resourceVersion-checked update or
setting the same new value again). ``Retry-After`` is honoured but capped at the entry's timeout.
When the retries are spent the last response is returned, so the provider sees its status.
"""

from __future__ import annotations

from typing import Any

from urllib3.util.retry import Retry

from scanner.rotation.config import RotationEntry

RETRY_STATUSES = frozenset({429, 502, 503, 504})


class CappedRetry(Retry):
    """``Retry`` whose ``Retry-After`` wait never exceeds ``retry_after_cap`` seconds."""

    retry_after_cap: float = 30.0

    def get_retry_after(self, response: Any) -> float | None:
        wait = super().get_retry_after(response)
        return None if wait is None else min(wait, self.retry_after_cap)

    def new(self, **kw: Any) -> CappedRetry:
        made = super().new(**kw)
        assert isinstance(made, CappedRetry)
        made.retry_after_cap = self.retry_after_cap
        return made


def retry_policy(entry: RotationEntry) -> CappedRetry:
    """``entry.retries`` retries, waiting ``entry.backoff`` doubled each time (urllib3 retries
    the first one at once)."""
    policy = CappedRetry(
        total=entry.retries,
        connect=entry.retries,
        read=entry.retries,
        status=entry.retries,
        other=0,
        allowed_methods=None,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=entry.backoff,
        backoff_max=max(entry.backoff * 8, 1.0),
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )
    policy.retry_after_cap = entry.timeout
    return policy
