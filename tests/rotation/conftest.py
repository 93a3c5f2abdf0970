"""Rotation tests scan with one synthetic test rule only (``kgtest.*``); the real servers the
provider tests run against start once per test module that asks for them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.servers import BaoServer, bao_dev_server, moto_server, only_test_rules


@pytest.fixture(autouse=True)
def _only_test_rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    only_test_rules(monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server (AWS APIs) for the module."""
    with moto_server(tmp_path_factory.mktemp("moto")) as url:
        yield url


@pytest.fixture(scope="module")
def bao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaoServer]:
    """An OpenBao dev server (KV v2 at ``secret/``) for the module."""
    with bao_dev_server(tmp_path_factory.mktemp("bao")) as server:
        yield server
