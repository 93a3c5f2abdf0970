"""Verification results cached by verifier and fingerprint in ``scanner.cache``'s JSON store, so
that re-runs do not ask providers again. Only ``live`` and ``invalid`` are cached (``unknown``
and ``error`` are asked again next time); entries expire after ``ttl`` seconds. Entries hold
the status and detail, never a secret (the key digests fingerprints)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from scanner.cache import Cache, cache_key
from scanner.models import Verification, VerifyStatus

KIND = "verify"
CACHED = frozenset({VerifyStatus.LIVE, VerifyStatus.INVALID})


@dataclass(frozen=True, slots=True)
class ResultStore:
    cache: Cache
    ttl: float
    clock: Callable[[], float] = time.time

    @staticmethod
    def key(verifier: str, fingerprints: str) -> str:
        return cache_key("verify-1", verifier, fingerprints)

    def load(self, verifier: str, fingerprints: str) -> Verification | None:
        if self.ttl <= 0:
            return None
        entry = self.cache.load_json(KIND, self.key(verifier, fingerprints))
        if not isinstance(entry, dict):
            return None
        at, status, detail = entry.get("at"), entry.get("status"), entry.get("detail")
        if not isinstance(at, int | float) or not isinstance(detail, str):
            return None
        now = self.clock()
        if not at <= now + 60 or now - at > self.ttl:
            return None
        try:
            outcome = VerifyStatus(status)
        except ValueError:
            return None
        if outcome not in CACHED or entry.get("verifier") != verifier:
            return None
        return Verification(outcome, verifier, detail + " (cached)")

    def save(self, fingerprints: str, result: Verification) -> None:
        if self.ttl <= 0 or result.status not in CACHED:
            return
        entry = {
            "at": self.clock(),
            "status": result.status.value,
            "verifier": result.verifier,
            "detail": result.detail,
        }
        self.cache.store_json(KIND, self.key(result.verifier, fingerprints), entry)
