"""Pure helpers at the end of a scan: rebase, dedupe, suppressions, merge."""

from __future__ import annotations

import pickle

from scanner.engine.results import (
    BlobResult,
    ScanResult,
    apply_filters,
    dedupe,
    finish,
    merge_results,
    rebase,
)
from scanner.models import Finding, Origin, ScanStats, SourceProblem
from testing.findings import make_finding


def finding(path: str, line: int = 1) -> Finding:
    return make_finding("x.y", "s3cr3t-value", path=path, line=line)


def test_rebase_keeps_the_inner_members_and_takes_the_new_place() -> None:
    old = Origin("img.tar", ("layer1",), (("layer", "1"),))
    new = Origin("img.tar", ("layer7",), (("layer", "7"),))
    f = make_finding(
        "x.y",
        "s3cr3t-value",
        path="img.tar",
        members=("layer1", "app/model.zip", "cfg.env"),
        detail=(("layer", "1"), ("cell", "3")),
    )
    moved = rebase(f, old, new)
    assert moved.origin.members == ("layer7", "app/model.zip", "cfg.env")
    assert moved.origin.detail == (("layer", "7"), ("cell", "3"))
    assert moved.position == f.position and moved.secret.reveal() == "s3cr3t-value"


def test_dedupe_keeps_one_per_place_rule_and_position() -> None:
    a, b, c = finding("a"), finding("a"), finding("a", line=2)
    assert dedupe([a, b, c]) == [a, c]


def test_filters_count_what_they_drop() -> None:
    kept, dropped = apply_filters(
        [finding("a"), finding("b")], [lambda f: "allow" if f.origin.path == "a" else None]
    )
    assert [f.origin.path for f in kept] == ["b"] and dropped == 1


def test_finish_sorts_and_counts() -> None:
    total = BlobResult(findings=[finding("b"), finding("a"), finding("a")], bytes=10, chunks=2)
    result = finish(total, 2, "aho-corasick", 0.0, [])
    assert [f.origin.path for f in result.findings] == ["a", "b"]
    assert (result.stats.files, result.stats.bytes, result.stats.chunks) == (2, 10, 2)


def test_merge_results_adds_stats_and_resorts() -> None:
    one = ScanResult((finding("b"),), ScanStats(files=1, bytes=5, engine="x"))
    two = ScanResult((finding("a"),), ScanStats(files=2, bytes=7, suppressed=1))
    merged = merge_results(one, two)
    assert [f.origin.path for f in merged.findings] == ["a", "b"]
    assert (merged.stats.files, merged.stats.bytes, merged.stats.suppressed) == (3, 12, 1)
    assert merged.stats.engine == "x"


def test_merge_without_findings_for_sources_that_attribute_them() -> None:
    total = BlobResult()
    total.merge(BlobResult(findings=[finding("a")], bytes=3), findings=False)
    assert total.findings == [] and total.bytes == 3


def test_a_blob_result_crosses_processes_whole() -> None:
    result = BlobResult(
        findings=[finding("a.py", line=3)],
        problems=[SourceProblem("b.bin", "binary content skipped", kind="skip")],
        bytes=120,
        chunks=2,
        skipped=1,
    )
    back = pickle.loads(pickle.dumps(result))
    assert back == result
    assert back is not result and back.findings == result.findings
