"""Small rule files for tests: one ``[[rules]]`` table from keyword arguments; what a rule's
pattern captures."""

from __future__ import annotations

import json

import pytest
import regex


def captured(pattern: regex.Pattern[str], text: str) -> str | None:
    """The key body (group 1) ``pattern`` captures in ``text`` (``None``: no match)."""
    m = pattern.search(text)
    return None if m is None else m.group(1)


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


def token_rule(rule_id: str, prefix: str, body: str, example: str, **fields: object) -> str:
    """A rule for synthetic tokens: ``prefix`` (letters and ``_``, the keyword) then ``body``
    (a regex: ``[A-Za-z0-9]{24}``), the whole token the secret. ``example`` is a text holding
    one; ``prefix + "short"`` is the negative example. ``fields``: as ``rule_toml``'s."""
    return rule_toml(
        rule_id,
        rf"\b({prefix}{body})\b",
        keywords=[prefix],
        examples=[example],
        negatives=[f"{prefix}short"],
        **fields,  # type: ignore[arg-type]
    )


TEST_TOKEN_RULE = token_rule(
    "test.token",
    "kgt_",
    "[A-Za-z0-9]{24}",
    "kgt_Fk7Qz2Lm9Wx4Rt6Yp3Nb8Vc1",
    name="Test token",
    min_entropy=3.0,
)
"""``kgt_`` + 24 base62: the token the log-filter tests plant."""


def builtin_rules_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands load only the rule files a test gives them, not the built-in rules (the test
    then does not depend on the built-in rules being edited)."""
    import functools

    import scanner.commands.common as common
    from scanner.rulebook.loader import load_ruleset

    monkeypatch.setattr(common, "load_ruleset", functools.partial(load_ruleset, builtin=False))
