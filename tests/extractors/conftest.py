"""Extractor tests scan with the small rule file of ``testing.artifacts`` from a temporary cwd."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.artifacts import isolate_rules


@pytest.fixture
def rules(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.chdir(tmp_path)
    return isolate_rules(monkeypatch, tmp_path_factory.mktemp("rules"))
