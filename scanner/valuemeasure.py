"""Measures of a value's text for the generic rules: entropy, character classes, how much of it
word-like runs cover, how many CamelCase words it is made of, and whether a part of it looks
like key material rather than a name. Pure functions (``tests/test_value_shape.py``)."""

from __future__ import annotations

import math
import re
from collections import Counter


def shannon_entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum((c / n) * math.log2(c / n) for c in Counter(value).values())


def char_classes(value: str) -> int:
    """How many of lower, upper, digit, symbol the value uses."""
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


def _mixes_case_and_digits(text: str) -> bool:
    """Lower-case letters, upper-case letters and digits, all three."""
    return (
        any(c.isdigit() for c in text)
        and any(c.isupper() for c in text)
        and any(c.islower() for c in text)
    )


_WORD_RUN = re.compile(r"[A-Z]?[a-z]{2,}|[A-Z]{2,}(?![a-z])")
# six consonants in a row: no English word spells that (``OTKQZWZMYER`` in a drawn key)
_UNSPELLABLE = re.compile(r"[b-df-hj-np-tv-xzB-DF-HJ-NP-TV-XZ]{6}")


def word_coverage(value: str) -> float:
    """Share of the value covered by word-like letter runs (``Summer2024!`` → 0.55). A run
    that no word spells (six consonants in a row) is no word: upper-case and base-32 keys are
    letter runs too (``YQEN5H2W2OTKQZWZMYER`` → 0.2)."""
    if not value:
        return 0.0
    runs = _WORD_RUN.findall(value)
    return sum(len(w) for w in runs if not _UNSPELLABLE.search(w)) / len(value)


_LETTERS_DIGITS = re.compile(r"[A-Za-z]+|[0-9]+")


def is_interleaved(value: str) -> bool:
    """Letters and digits alternate throughout, as in random base-36 keys
    (``zjmopd1gfzjcg3macocnv6csav0b2ch2``), not in names with a number or two
    (``cachedvol112233``, ``release_2024_01``, ``user1profile``): at least four digit runs
    among short letter runs, one change of kind every eight characters or more."""
    runs = _LETTERS_DIGITS.findall(value)
    digit_runs = sum(1 for r in runs if r[0].isdigit())
    if digit_runs < 4 or len(runs) - 1 < len(value) / 8:
        return False
    return max(len(r) for r in runs) <= 12


_CAMEL_PART = re.compile(r"[A-Z][a-z]+|[A-Z]+(?![a-z])|[a-z]+|[0-9]+")
_VOWEL = re.compile(r"[aeiouyAEIOUY]")


def camel_words(value: str) -> int:
    """How many capitalised words a CamelCase name is made of (``ServerlessV2PlatformVersions``
    → 3, ``Ipv6CidrAssociations`` → 3), or 0 when the value is not such a name: only letters
    and digits, short acronyms and digit groups between the words, words covering most of it."""
    core = value.rstrip(".")
    if not core.isalnum() or not core.isascii() or len(core) > 80:
        return 0
    parts = _CAMEL_PART.findall(core)
    words = [p for p in parts if len(p) >= 3 and p[0].isupper() and p[1:].islower()]
    if len(words) < 2:
        return 0
    fragments = 0
    for p in parts:
        if p in words or (p.islower() and len(p) >= 2 and p is parts[0]):
            continue
        if len(p) > 4:
            return 0  # a long acronym or digit run: not a name
        fragments += 1
    if fragments > len(words):
        return 0  # jF7HW0PnylGtmZdonOicGfTIFw: more stray letters and digits than words
    if fragments and sum(1 for w in words if _VOWEL.search(w)) < 2:
        return 0  # ZWbkmADcjHyh: stray capitals between "words" without vowels (Wbkm, Dcj)
    # a leading lower-case word counts (``encryptionKeySha256``) unless other lower-case runs
    # stand alone after digits or capitals, as in random strings (``hruJbvG8ajxEgMpyQoqd``)
    stray = any(p.islower() for p in parts[1:])
    lead = len(parts[0]) if parts[0].islower() and len(parts[0]) >= 3 and not stray else 0
    if lead + sum(len(w) for w in words) < 0.6 * len(core):
        return 0
    return len(words)


_DIGIT_INSIDE = re.compile(r"[0-9][A-Za-z]")


def is_random_part(part: str) -> bool:
    """A dotted or path part that is key material rather than a name: mixed case and digits
    interleaved (``Mh57CEnSlMwMpTZ``), not ``v1``, ``Tensor`` or ``SECRET_KEY``."""
    if len(part) < 8 or not _mixes_case_and_digits(part):
        return False
    if camel_words(part) >= 2:
        return False  # V1SecretVolumeSource, AvgPool2d: a class name
    if word_coverage(part) >= 0.8 and not _DIGIT_INSIDE.search(part):
        return False  # pciBridge0, UseATSForHBOnVMFS5: words and acronyms, a setting name
    kinds = ["d" if c.isdigit() else "u" if c.isupper() else "l" for c in part]
    changes = sum(a != b for a, b in zip(kinds, kinds[1:], strict=False))
    return changes >= 0.3 * len(part)


def looks_random(segment: str) -> bool:
    """A path segment or file stem that looks like key material rather than a name."""
    return (
        len(segment) >= 12 and _mixes_case_and_digits(segment) and shannon_entropy(segment) >= 3.5
    )


def _step(a: str, b: str) -> int | None:
    """How ``b`` counts on from ``a``: 1 up, -1 down, 0 the same, None not at all. Digits wrap
    (``9`` then ``0``); letters count within one case."""
    if a.isdigit() and b.isdigit():
        return {0: 0, 1: 1, 9: -1}.get((int(b) - int(a)) % 10)
    if a.isascii() and b.isascii() and a.isalpha() and b.isalpha() and a.islower() == b.islower():
        d = ord(b) - ord(a)
        return d if -1 <= d <= 1 else None
    return None


COUNTING_RUN = 4
"""The shortest run of counting characters that ``counting_share`` counts."""


def counting_share(value: str) -> float:
    """The share of the value's letters and digits that stand in runs of ``COUNTING_RUN`` or
    more characters counting up (``1234``, ``abcd``), down (``9876``) or staying the same
    (``0000``): ``abcdef123456``, ``1234abcd-1234-abcd-1234-abcd1234abcd`` are typed along a
    keyboard, where a drawn key holds such a run about once in 60**3 places."""
    alnum = sum(c.isalnum() for c in value)
    if not alnum:
        return 0.0
    covered = 0
    i, n = 0, len(value)
    while i < n:
        j, step = i, None
        while j + 1 < n:
            s = _step(value[j], value[j + 1])
            if s is None or (step is not None and s != step):
                break
            step, j = s, j + 1
        length = j - i + 1
        if length >= COUNTING_RUN:
            covered += length
            i = j + 1
        else:
            i += 1
    return covered / alnum
