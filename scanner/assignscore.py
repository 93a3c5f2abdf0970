"""Scoring a generic candidate: how much the assigned value looks like a credential for the
kind of name it is assigned to, adjusted for the assignment's syntax and the file, and the
confidence that score gives. Pure (``tests/test_generic_context.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.assignsyntax import Assignment
from scanner.filekind import FileContext
from scanner.models import Confidence
from scanner.nameshape import Kind, NameInfo
from scanner.valueforms import names_itself
from scanner.valuekinds import is_hex_digest, is_uuid, is_weak_value, weak_words
from scanner.valuemeasure import is_interleaved
from scanner.valueshape import is_described_password, value_verdict


@dataclass(frozen=True, slots=True)
class Assessment:
    """A generic candidate that survived, with its value span and confidence."""

    value: str
    start: int
    end: int
    score: float
    confidence: Confidence
    kind: Kind


MIN_LENGTH: dict[Kind, int] = {
    Kind.PASSWORD: 6,
    Kind.SECRET: 8,
    Kind.TOKEN: 12,
    Kind.KEY: 16,
    Kind.AUTH: 12,
}
MAX_LENGTH = 200
DROP_BELOW = 0.3
MEDIUM_FROM = 0.5
HIGH_FROM = 0.7


def confidence_of(score: float) -> Confidence | None:
    if score < DROP_BELOW:
        return None
    if score >= HIGH_FROM:
        return Confidence.HIGH
    if score >= MEDIUM_FROM:
        return Confidence.MEDIUM
    return Confidence.LOW


def is_out_of_length(value: str, kind: Kind) -> bool:
    """Whether ``value_score`` turns ``value`` down by its length alone, whatever its shape:
    cheap, so callers check it before anything else (``key=user:48628`` in a log line)."""
    n = len(value)
    return n > MAX_LENGTH or n < (4 if kind is Kind.PASSWORD else MIN_LENGTH[kind])


def value_score(
    value: str, info: NameInfo, quoted: bool, code: bool, config: bool = False
) -> float | None:
    """How much the value itself looks like a credential for a name of this kind, in
    [-0.3, 0.4]; None when it is not one at all."""
    kind = info.kind
    verdict = value_verdict(value, kind, quoted, code, config)
    if not verdict.ok:
        return None
    n = verdict.length
    if n < MIN_LENGTH[kind] and not (kind is Kind.PASSWORD and n >= 4 and verdict.classes >= 3):
        return None
    if n > MAX_LENGTH:
        return None
    score = 0.0
    h, classes, words = verdict.entropy, verdict.classes, verdict.words
    if kind is Kind.PASSWORD:
        if classes >= 3:
            score += 0.15
        elif classes == 2:
            score += 0.05
        elif value.isalpha() and value.islower():
            score -= 0.15  # a single lower-case word: "welcome", "secret"
        else:
            score -= 0.05
        if n >= 10:
            score += 0.05
        if n < 8:
            score -= 0.05
        if is_weak_value(value):
            score -= 0.15
        if words >= 0.95 and not any(c.isdigit() for c in value):
            score -= 0.05
    else:
        uuid = is_uuid(value)
        if not uuid:
            if classes == 1 and not (is_hex_digest(value) or n >= 32):
                return None  # one class: a word, a number
            if h < 2.8 or (n >= 20 and h < 3.2):
                return None
            if words >= 0.7 and classes <= 2 and h < 4.2 and not is_interleaved(value):
                return None  # mostly words: an identifier, a sentence, a message id
            if words >= 0.5 and classes <= 2 and h < 3.5:
                return None  # cachedvol112233, release_2024_01
        if h >= 4.0:
            score += 0.1
        elif h >= 3.5:
            score += 0.05
        if classes >= 3:
            score += 0.05
        if uuid:
            score += 0.05
        if n >= 24:
            score += 0.05
        if words >= 0.5 and not (n >= 32 and h >= 4.5):
            score -= 0.1  # (long high-entropy base64 spells letter runs by chance)
        if is_weak_value(value):
            score -= 0.15
    weak = weak_words(value)
    score -= min(0.25, 0.12 * weak)
    return score


# How strongly a name of each kind says "this value is a credential".
_BASE: dict[Kind, float] = {
    Kind.PASSWORD: 0.45,
    Kind.SECRET: 0.43,
    Kind.TOKEN: 0.4,
    Kind.KEY: 0.3,
    Kind.AUTH: 0.3,
}


def finish(
    a: Assignment, info: NameInfo, fc: FileContext, code: bool, in_string: bool, line_len: int
) -> Assessment | None:
    """The assessment of a parsed assignment: None when the value is not a credential or
    scores below ``DROP_BELOW``."""
    quoted = bool(a.quote)
    if is_out_of_length(a.value, info.kind):
        return None
    if names_itself(a.name, a.value):
        return None
    if info.tokens == ("key",) and is_uuid(a.value):
        return None  # <key>52bdb99d-...</key>, "key": "<uuid>": a record's id
    if fc.test and is_described_password(a.value):
        return None  # a test spelling its password from describing words: a stand-in
    if fc.test and info.kind is Kind.PASSWORD and weak_words(a.value):
        return None  # P@ssw0rd-for-tests, Test123!: a test's password that says it is one
    vs = value_score(a.value, info, quoted, code, fc.kind == "config")
    if vs is None:
        return None
    score = _BASE[info.kind] + vs
    if quoted:
        score += 0.05
    elif fc.kind in ("unknown", "markup") and not in_string:
        score -= 0.05
    if a.form in ("xml", "flag") or (in_string and not quoted and a.op == "="):
        score += 0.05
    if a.form == "compare":
        score -= 0.05
    if fc.test:
        score -= 0.1
    if fc.kind == "markup":
        score -= 0.05
    if line_len > 1000:  # a minified line: names and values are code
        if not quoted or vs < 0.1:
            return None
        score -= 0.15
    conf = confidence_of(score)
    if conf is None:
        return None
    return Assessment(a.value, a.start, a.end, round(score, 3), conf, info.kind)
