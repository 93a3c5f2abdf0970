"""bench/ab.py: paired runs of two source trees (a tiny command, no corpus)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kg_bench_ab", ROOT / "bench/ab.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ab = _load()


def _second_tree(tmp_path: Path) -> Path:
    other = tmp_path / "other"
    other.mkdir()
    (other / "scanner").symlink_to(ROOT / "scanner")
    return other


def test_each_tree_runs_the_same_number_of_timed_rounds(tmp_path: Path) -> None:
    trees = [ROOT, _second_tree(tmp_path)]
    results, loads = ab.compare(trees, ["--version"], 3, tmp_path)
    assert list(results) == trees
    assert all(len(rows) == 3 for rows in results.values())
    assert all(wall > 0 and cpu > 0 for rows in results.values() for wall, cpu in rows)
    assert len(loads) == 6
    lines = ab.table(results)
    assert len(lines) == 4 and str(trees[1]) in lines[3]


def test_a_failing_command_stops_the_run(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="exited 2"):
        ab.run_once(ROOT, ["--no-such-option"], tmp_path)
