"""What every verifier produces for a finding: a ``Plan`` (a request to make, keyed for the
cache by fingerprints only) or, when there is nothing to ask, the ``Verification`` directly."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from scanner.models import Finding, Verification
from scanner.verify.http import HostPin, HttpClient

Check = Callable[[HttpClient], Verification]


@dataclass(frozen=True, slots=True)
class Plan:
    verifier: str  # shown in reports; part of the cache key
    key: str  # fingerprints of every secret the check sends (never the secrets)
    run: Check


class CodeVerifier(Protocol):
    """A verifier written as code (signatures, multi-part credentials). ``pins`` are the only
    hosts it may send to; ``plan`` pairs ``finding`` with parts found in the same file or blob
    (``peers``, which include ``finding``)."""

    @property
    def name(self) -> str: ...

    @property
    def pins(self) -> tuple[HostPin, ...]: ...

    def plan(self, finding: Finding, peers: Sequence[Finding]) -> Plan | Verification: ...


def nearest(finding: Finding, peers: Iterable[Finding], rule_ids: Iterable[str]) -> Finding | None:
    """The peer of one of ``rule_ids`` closest to ``finding`` (by line, then column)."""
    wanted = frozenset(rule_ids)
    best: tuple[int, int, str] | None = None
    found: Finding | None = None
    for peer in peers:
        if peer.rule_id not in wanted or peer is finding:
            continue
        distance = (
            abs(peer.position.line - finding.position.line),
            abs(peer.position.column - finding.position.column),
            peer.fingerprint,
        )
        if best is None or distance < best:
            best, found = distance, peer
    return found
