"""Image test fixtures: the built-in rules switched off, and a rules file holding only the
synthetic ``kgtest.token`` rule the image tests plant tokens for."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.rules import builtin_rules_off, token_rule

RULE = token_rule(
    "kgtest.token",
    "kgtest_",
    "[A-Za-z0-9]{20,40}",
    "t = kgtest_Fake0Key1Guard2Token3Ab4C",
    name="keyguard image test token",
    description="A synthetic token used by the image tests.",
)


@pytest.fixture(autouse=True)
def _only_test_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    builtin_rules_off(monkeypatch)


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A rules file with ``RULE`` alone (``kgtest_`` and 20 to 40 letters and digits)."""
    path = tmp_path / "kgtest-rules.toml"
    path.write_text(RULE, encoding="utf-8")
    return path
