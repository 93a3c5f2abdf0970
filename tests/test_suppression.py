"""Pure parts of the suppressions: the marker the audit looks for, the ignore files found."""

from __future__ import annotations

import os
from pathlib import Path

from scanner import filters, suppression


def test_the_audit_looks_for_the_matchers_marker() -> None:
    """``suppression`` spells the marker itself (so ``filters`` loads only with a finding):
    it must be the one the matcher honours, and find the next-line form too."""
    assert suppression.INLINE_ALLOW == filters.ALLOW_MARKER
    assert suppression._has_marker(f"x = 1  # {filters.ALLOW_NEXT_LINE_MARKER}")
    assert not suppression._has_marker("x = 1  # keyguard: allow")


def test_ignore_files_are_regular_files_found_once(tmp_path: Path) -> None:
    root, sub, other = tmp_path / "root", tmp_path / "root" / "sub", tmp_path / "other"
    for d in (sub, other):
        d.mkdir(parents=True)
    (root / ".keyguardignore").write_text("0" * 32 + "\n")
    os.symlink(root / ".keyguardignore", other / ".keyguardignore")  # never followed
    os.mkfifo(sub / ".keyguardignore")  # never opened
    found = suppression.find_ignore_files([root, sub, other, root])
    assert found == [root / ".keyguardignore"]
    assert suppression.find_ignore_files([]) == []
    assert suppression.ignore_file_filters([]) == []
