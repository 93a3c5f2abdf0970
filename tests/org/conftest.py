"""Org scan fixtures: an organisation of repositories, the test rules, a real Dask cluster."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.gitrepo import write_test_rules
from testing.orgrepos import Cluster, Org, make_org, start_cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    pytest.importorskip("distributed", reason="the org cluster tests need keyguard[dask]")
    c = start_cluster(tmp_path_factory.mktemp("dask"))
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    return write_test_rules(tmp_path)


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Org:
    """3 bases with 2 forks each (9 repositories), shared by a module's read-only tests."""
    env = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path_factory.mktemp("orghome"))}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return make_org(tmp_path_factory.mktemp("org"))
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
