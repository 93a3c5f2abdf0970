"""Fixtures of the log filter tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.logfilter import RULES


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "test-rules.toml"
    path.write_text(RULES, encoding="utf-8")
    return path
