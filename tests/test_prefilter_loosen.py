"""Prefilter pattern loosening: every match of the original still matches the loose form."""

from __future__ import annotations

import re

import pytest

from scanner.prefilter import KEEP_LOW, loosen


@pytest.mark.parametrize(
    ("pattern", "loose"),
    [
        (r"AKIA[A-Z2-7]{16}", r"AKIA[A-Z2-7]{16,}"),
        (r"x{2,8}", r"x{2,8}"),  # small repeats are kept
        (r"x{3}", r"x{3}"),
        (r"[a-f0-9]{40,64}", rf"[a-f0-9]{{{KEEP_LOW},}}"),
        (r"a\{100\}", r"a\{100\}"),  # escaped braces are literals
        (r"y{10,}", r"y{10,}"),
    ],
)
def test_loosen(pattern: str, loose: str) -> None:
    assert loosen(pattern) == loose


def test_every_original_match_matches_the_loose_form() -> None:
    pattern = r"\b(sk_live_[0-9a-zA-Z]{24,99})\b"
    text = "key sk_live_" + "Ab9" * 20 + " end"
    original = re.search(pattern, text)
    assert original is not None
    assert re.search(loosen(pattern), text) is not None
