"""Rotation tests scan with one synthetic test rule only (``kgtest.*``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.servers import only_test_rules


@pytest.fixture(autouse=True)
def _only_test_rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    only_test_rules(monkeypatch, tmp_path)
