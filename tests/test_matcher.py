"""Pure parts of the matcher."""

from __future__ import annotations

import pytest

from scanner.matcher import Matcher, MatchPolicy, _is_code_reference
from scanner.models import Chunk, Origin
from scanner.rulebook.loader import load_ruleset

VALUE = "AcmeKeyGuardFakeValue"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Your Acme API key is {VALUE}. Keep it safe.", False),  # the end of a sentence
        (f"the key: {VALUE}.\n", False),
        (f"key = {VALUE}.attribute", True),  # attribute access
        (f"key = {VALUE}._private", True),
        (f"key = {VALUE}(1)", True),  # a call
        (f"key = {VALUE}[0]", True),  # an index
        (f"key = models.{VALUE}", True),  # an attribute of something
    ],
)
def test_code_references_and_sentence_ends(text: str, expected: bool) -> None:
    start = text.index(VALUE)
    assert _is_code_reference(text, start, start + len(VALUE), VALUE) is expected


def test_a_percent_encoded_secret_is_reported_once() -> None:
    matcher = Matcher.build(load_ruleset(), MatchPolicy(), "auto")
    text = "DATABASE_URL=postgres://app:Kq7%21vTz2%23mPw9xKg@db.internal:5432/app\n"
    found = matcher.scan(Chunk(text=text, origin=Origin(path=".env")))
    assert [(f.rule_id, f.secret.reveal()) for f in found] == [
        ("postgres.url-password", "Kq7%21vTz2%23mPw9xKg")
    ]
