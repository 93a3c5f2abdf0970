"""Small rule files for tests: one ``[[rules]]`` table from keyword arguments."""

from __future__ import annotations

import json


def rule_toml(
    rule_id: str,
    pattern: str,
    *,
    keywords: list[str],
    examples: list[str],
    negatives: list[str],
    name: str = "Test rule",
    description: str = "A synthetic rule used by the tests.",
    **extra: object,
) -> str:
    """A ``[[rules]]`` table; ``pattern`` is written as a TOML literal string (no escaping), the
    other values as TOML basic strings, numbers or booleans (``extra``: min_entropy=3.0, ...)."""
    lines = [
        "[[rules]]",
        f"id = {json.dumps(rule_id)}",
        f"name = {json.dumps(name)}",
        f"description = {json.dumps(description)}",
        f"keywords = {json.dumps(keywords)}",
        f"pattern = '''{pattern}'''",
        *(f"{key} = {json.dumps(value)}" for key, value in extra.items()),
        f"examples = {json.dumps(examples)}",
        f"negative_examples = {json.dumps(negatives)}",
    ]
    return "\n".join(lines) + "\n"


TEST_TOKEN_RULE = rule_toml(
    "test.token",
    r"\b(kgt_[A-Za-z0-9]{24})\b",
    keywords=["kgt_"],
    examples=["kgt_Fk7Qz2Lm9Wx4Rt6Yp3Nb8Vc1"],
    negatives=["kgt_short"],
    name="Test token",
    min_entropy=3.0,
)
"""``kgt_`` + 24 base62: the token the log-filter tests plant."""
