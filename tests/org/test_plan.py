"""Work units sized by content: a monorepo splits into batches, small repositories share one."""

from __future__ import annotations

from pathlib import Path

from scanner.org.manifest import RepoSpec
from scanner.org.plan import Planned, batches
from scanner.org.repos import Where
from testing.orgrepos import Org, org_cli, report


def _where(name: str) -> Where:
    return Where(RepoSpec(name, f"/srv/{name}"), "/tmp/clones")


def test_a_monorepo_is_split_and_small_repositories_share_a_batch() -> None:
    mono, tiny = _where("mono"), [_where(f"tiny{i}") for i in range(50)]
    blobs = [Planned(f"m{i:04d}", 100_000, f"f{i}", mono) for i in range(100)]  # 10 MB
    blobs += [Planned(f"t{i:04d}", 200, "README", w) for i, w in enumerate(tiny)]  # 10 kB
    plan = list(batches(blobs, max_bytes=1_000_000, max_blobs=1000))
    sizes = [sum(len(items) for _, items in batch) for batch in plan]
    assert sum(sizes) == 150
    mono_batches = [b for b in plan if any(w == mono for w, _ in b)]
    assert len(mono_batches) == 10  # about a megabyte each
    last = plan[-1]
    assert len(last) == 50 and {w.spec.name for w, _ in last} == {w.spec.name for w in tiny}
    assert all(len({w for w, _ in batch}) == len(batch) for batch in plan)  # one group a repo


def test_blob_count_bounds_a_batch_of_empty_files() -> None:
    blobs = [Planned(f"e{i}", 0, f"e{i}", _where("empty")) for i in range(25)]
    assert [len(b[0][1]) for b in batches(blobs, max_bytes=1 << 30, max_blobs=10)] == [10, 10, 5]


def test_batch_size_option_sets_the_work_unit(org: Org, rules: Path, tmp_path: Path) -> None:
    manifest = org.manifest(["base0"])
    whole = report(org_cli(manifest, rules, tmp_path / "a.sqlite", "-f", "json"))["org"]
    split = org_cli(manifest, rules, tmp_path / "b.sqlite", "-f", "json", "--batch-size", "1")
    small = report(split)["org"]
    assert whole["batches"] == 1
    assert small["batches"] == small["blobs_scanned"] == whole["blobs_scanned"] > 1
    assert (
        report(split)["findings"]
        == report(org_cli(manifest, rules, tmp_path / "c.sqlite", "-f", "json"))["findings"]
    )
