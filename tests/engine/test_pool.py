"""The one worker pool: batching, inline vs forked workers, content-key dedupe."""

from __future__ import annotations

from pathlib import Path

import pytest

import scanner.engine.pool as pool
from scanner.blob import Blob
from scanner.engine.pool import BlobPool, batches
from scanner.extractors import Limits
from scanner.matcher import Matcher
from scanner.models import Origin
from scanner.rulebook.loader import load_ruleset
from testing.scan import ENGINES, build
from testing.tokens import github_token

TOKEN = github_token()


@pytest.fixture(scope="module")
def matcher(session_cache: Path) -> Matcher:
    return build(load_ruleset(only=["github.*"]), ENGINES[-1], session_cache)


def blob(name: str, text: str, key: str | None = None) -> Blob:
    return Blob.from_bytes(text.encode(), Origin(path=name), name, key=key)


def test_batches_split_by_count_and_bytes() -> None:
    blobs = [blob(f"f{i}", "x" * 10) for i in range(7)]
    assert [len(b) for b in batches(blobs, max_blobs=3, max_bytes=1 << 20)] == [3, 3, 1]
    assert [len(b) for b in batches(blobs, max_blobs=100, max_bytes=25)] == [3, 3, 1]
    assert list(batches([], 3, 10)) == []


def test_same_key_is_scanned_once_and_reported_at_each_place(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = pool.scan_blob

    def counting(b: Blob, *args: object, **kwargs: object) -> object:
        calls.append(b.origin.path)
        return real(b, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pool, "scan_blob", counting)
    items = [
        blob("a/.env", f"T={TOKEN}\n", key="k1"),
        blob("b/.env", f"T={TOKEN}\n", key="k1"),
        blob("c/.env", "nothing here\n", key="k2"),
        blob("d/.env", f"T={TOKEN}\n"),  # no key: always scanned
    ]
    with BlobPool(matcher, Limits(), jobs=1) as p:
        out = {b.origin.path: r.findings for b, r in p.scan(items)}
    assert calls == ["a/.env", "c/.env", "d/.env"]
    assert {path for path, found in out.items() if found} == {"a/.env", "b/.env", "d/.env"}
    assert out["b/.env"][0].origin.path == "b/.env"
    assert out["b/.env"][0].position == out["a/.env"][0].position


def test_forked_workers_give_the_same_results_as_inline(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [blob(f"d/f{i:03d}.txt", f"n={i}\n", key=f"k{i % 50}") for i in range(120)]
    items[77] = blob("d/f077.txt", f"T={TOKEN}\n", key="secret")
    items.append(blob("d/copy.txt", f"T={TOKEN}\n", key="secret"))

    def run(jobs: int) -> list[tuple[str, int]]:
        with BlobPool(matcher, Limits(), jobs=jobs) as p:
            return sorted((b.origin.path, len(r.findings)) for b, r in p.scan(items))

    inline = run(1)
    monkeypatch.setattr(pool, "PARALLEL_MIN_BYTES", 0)
    forked = run(2)
    assert forked == inline
    assert ("d/copy.txt", 1) in forked and ("d/f077.txt", 1) in forked
    assert len(forked) == len(items)
