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


PSK = "5e0c9a7f2b8d4e1a6c3f9b0d7e2a5c8f1b4d6e9a0c3f7b2d5e8a1c4f6b9d0e3a"


def psk_rule_entry(**extra: object) -> dict[str, object]:
    """A rule entry (a parsed TOML table) for a hex key that is a whole ``.psk`` file: a rule
    known by its path, with no keywords."""
    entry: dict[str, object] = {
        "id": "kgtest.psk-file",
        "name": "test PSK file",
        "description": "a hex key that is the whole file",
        "paths": [r"\.psk$"],
        "pattern": r"\A\s*([0-9a-f]{32,128})\s*\z",
        "examples": [{"text": PSK + "\n", "secret": PSK, "path": "etc/agent.psk"}],
        "negative_examples": ["# openssl rand -hex 32\n"],
    }
    entry.update(extra)
    return entry
