"""docs/verification.md lists every verifier of the pack with its exact call (the "## Verifiers"
section is generated: scripts/verifier-docs)."""

from __future__ import annotations

from pathlib import Path

from scanner.verify.providers.doctable import HEADING, render, replace_section
from scanner.verify.registry import CODE_VERIFIERS
from tests.verify.providers.conftest import pack_specs

DOC = Path(__file__).resolve().parents[3] / "docs" / "verification.md"


def test_doc_table_is_current() -> None:
    specs = pack_specs()
    text = DOC.read_text(encoding="utf-8")
    section = render(specs, CODE_VERIFIERS)
    assert replace_section(text, section) == text, "stale: run scripts/verifier-docs"
    verified = {s.id for s in specs if s.verify is not None} | set(CODE_VERIFIERS)
    for rule_id in verified:
        assert f"| `{rule_id}` |" in text, rule_id
    for spec in specs:
        if spec.verify is not None:  # the exact URL and the secret's place are in the row
            row = next(line for line in text.splitlines() if line.startswith(f"| `{spec.id}` |"))
            assert spec.verify.url in row and "{secret}" in row, spec.id


def test_replace_section() -> None:
    section = f"{HEADING}\n\nnew table\n"
    doc = "# Title\n\nintro\n\n## Verifiers\n\nold table\n\n## Later\n\ntext\n"
    assert replace_section(doc, section) == (
        "# Title\n\nintro\n\n## Verifiers\n\nnew table\n\n## Later\n\ntext\n"
    )
    assert replace_section("# Title\n", section) == "# Title\n\n" + section
    at_end = "# T\n\n## Verifiers\n\nold\n"
    assert replace_section(at_end, section) == "# T\n\n" + section
