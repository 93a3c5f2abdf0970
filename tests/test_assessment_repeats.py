"""A value copied over and over in test, example or documentation files is reported once."""

from __future__ import annotations

from scanner.assessment_repeats import REPEAT_FILES, REPEATED, collapse_repeats
from scanner.engine.results import BlobResult, finish
from scanner.models import Finding
from testing.findings import make_finding

DEMO = "Kg7FakeDemoSecretQz8xT9pL4wRm"
OTHER = "Kg7FakeOtherSecretVb2Nc5Kd3Hw"


def _at(path: str, secret: str = DEMO, line: int = 1, rule: str = "generic.api-key") -> Finding:
    return make_finding(rule, secret, path=path, line=line)


def _places(findings: list[Finding]) -> list[str]:
    return [f"{f.origin.display}:{f.position.line}" for f in findings]


def test_a_value_in_many_example_files_is_kept_at_its_first_place_only() -> None:
    copies = [_at(f"sdk/examples/step_{i}.py", line=3) for i in range(REPEAT_FILES + 2)]
    again = _at("sdk/examples/step_0.py", line=9)
    kept, dropped = collapse_repeats([*reversed(copies), again])
    assert _places(kept) == ["sdk/examples/step_0.py:3"]
    assert dropped == len(copies)


def test_a_test_module_reports_its_fixture_value_at_the_first_line() -> None:
    lines = [_at("tests/test_backend.py", line=n) for n in (40, 12, 77)]
    both = _at("tests/test_backend.py", line=12, rule="redis.url-password")
    other = _at("tests/test_backend.py", OTHER, line=50)
    kept, dropped = collapse_repeats([*lines, both, other])
    assert _places(kept) == [
        "tests/test_backend.py:12",
        "tests/test_backend.py:12",
        "tests/test_backend.py:50",
    ]
    assert dropped == 2


def test_copies_outside_test_example_and_doc_paths_are_all_kept() -> None:
    fixtures = [_at(f"lib/tests/fixtures/case_{i}.json") for i in range(REPEAT_FILES)]
    config = [_at("deploy/settings.py"), _at("deploy/settings.py", line=30), _at("deploy/prod.env")]
    kept, dropped = collapse_repeats([*config, *fixtures])
    assert _places(kept) == [
        "deploy/settings.py:1",
        "deploy/settings.py:30",
        "deploy/prod.env:1",
        "lib/tests/fixtures/case_0.json:1",
    ]
    assert dropped == REPEAT_FILES - 1


def test_a_value_in_fewer_fixture_files_is_reported_in_each() -> None:
    few = [_at(f"tests/test_client_{i}.py") for i in range(REPEAT_FILES - 1)]
    others = [_at(f"docs/page_{i}.md", OTHER) for i in range(REPEAT_FILES)]
    kept, dropped = collapse_repeats([*few, *others])
    assert _places(kept) == [
        "tests/test_client_0.py:1",
        "tests/test_client_1.py:1",
        "docs/page_0.md:1",
    ]
    assert dropped == REPEAT_FILES - 1


def test_copies_in_fixture_files_of_different_directories_are_kept_in_each() -> None:
    spread = [_at(f"examples/s{i:02d}/c0001/snippet.env") for i in range(REPEAT_FILES + 1)]
    kept, dropped = collapse_repeats(spread)
    assert _places(kept) == _places(spread)
    assert dropped == 0


def test_finish_counts_the_copies_left_out() -> None:
    copies = [_at(f"spec/cases/case_{i}.yaml") for i in range(REPEAT_FILES + 1)]
    result = finish(
        BlobResult(findings=copies), len(copies), "aho-corasick", 0.0, [], all_copies=False
    )
    assert _places(list(result.findings)) == ["spec/cases/case_0.yaml:1"]
    assert dict(result.stats.suppressed_by) == {REPEATED: REPEAT_FILES}
    assert result.stats.suppressed == REPEAT_FILES
