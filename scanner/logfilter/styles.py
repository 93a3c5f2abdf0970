"""Redaction styles: replace secret spans in a text with a marker naming the rule.

Styles (``RedactStyle``):

- ``mask``: ``[REDACTED:rule-id]``
- ``hash``: ``[REDACTED:rule-id:<12 hex>]``, a short salted SHA-256 of the secret, so the same
  secret can be correlated across records without being revealed
- ``partial``: the first (at most) 4 characters of the secret, then ``[REDACTED:rule-id]``

Replacements never contain a record or field separator (``\\n``, ``\\t``): spans are cut at the
separators given to ``apply_spans``, so redaction never merges or splits records. A replacement
contains the word ``REDACTED``, which every rule's placeholder check rejects, so redacting a
redacted text again changes nothing (the ``Redactor`` also re-scans its output to a fixed point).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_SALT = "keyguard-redact-v1"
HASH_CHARS = 12
PARTIAL_KEEP = 4


class RedactStyle(enum.Enum):
    MASK = "mask"
    HASH = "hash"
    PARTIAL = "partial"

    @classmethod
    def parse(cls, text: str) -> RedactStyle:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(f"unknown redaction style {text!r} (mask, hash or partial)") from None


@dataclass(frozen=True, slots=True)
class Span:
    """Characters ``start:end`` of a text hold a secret found by ``rule_id``."""

    start: int
    end: int
    rule_id: str


@dataclass(frozen=True, slots=True)
class Redaction:
    """How secrets are replaced (built once from flags)."""

    style: RedactStyle = RedactStyle.MASK
    salt: str = DEFAULT_SALT

    def replacement(self, rule_id: str, secret: str) -> str:
        if self.style is RedactStyle.HASH:
            return f"[REDACTED:{rule_id}:{short_hash(secret, self.salt)}]"
        if self.style is RedactStyle.PARTIAL:
            keep = min(PARTIAL_KEEP, len(secret) // 3)
            return f"{secret[:keep]}[REDACTED:{rule_id}]"
        return f"[REDACTED:{rule_id}]"


def short_hash(secret: str, salt: str = DEFAULT_SALT) -> str:
    data = (salt + "\0" + secret).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:HASH_CHARS]


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping spans; overlapping ones are joined (the first rule names them)."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.end <= span.start:
            continue
        if out and span.start < out[-1].end:
            last = out[-1]
            out[-1] = Span(last.start, max(last.end, span.end), last.rule_id)
        else:
            out.append(span)
    return out


def _pieces(text: str, span: Span, separators: str) -> list[tuple[int, int]]:
    """``span`` cut at every separator character inside it (empty pieces dropped)."""
    pieces: list[tuple[int, int]] = []
    start = span.start
    for i in range(span.start, span.end):
        if text[i] in separators:
            if i > start:
                pieces.append((start, i))
            start = i + 1
    if span.end > start:
        pieces.append((start, span.end))
    return pieces


def apply_spans(text: str, spans: Iterable[Span], policy: Redaction, separators: str = "\n") -> str:
    """``text`` with every span replaced; separators inside a span are kept in place."""
    parts: list[str] = []
    pos = 0
    for span in merge_spans(spans):
        secret = text[span.start : span.end]
        replacement = policy.replacement(span.rule_id, secret)
        for start, end in _pieces(text, span, separators):
            parts.append(text[pos:start])
            parts.append(replacement)
            pos = end
    parts.append(text[pos:])
    return "".join(parts)
