"""One value copied over and over in test, example or documentation files is one shared
fixture (a test module's password on every other line, a specification's test key in every case
file of a directory, a vendor's public demo credentials in every example script), not as many
leaks.

In such files a value is reported at its first line only, and when it is in ``REPEAT_FILES`` or
more such files of one directory, in the first of those files only. Occurrences anywhere else
are all kept: a real credential pasted into a config file and its tests is still reported in
the config file, and the same value in files of different directories in each of them. Pure
(``tests/test_assessment_repeats.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from scanner.models import Finding

REPEAT_FILES = 3
"""In how many test, example or documentation files of one directory a value is a fixture
shared among them."""

REPEATED = "repeated fixture"
"""The suppression source that counts the copies left out (``ScanStats.suppressed_by``)."""


def _directory(display: str) -> str:
    return display.replace("\\", "/").rpartition("/")[0]


def collapse_repeats(findings: Sequence[Finding]) -> tuple[list[Finding], int]:
    """``findings`` without the later copies of a value in test, example or documentation
    files, and how many were left out."""
    if not findings:
        return [], 0
    from scanner.filekind import file_context  # the confirm stage's: loaded with a finding

    fixture: dict[str, bool] = {}
    for f in findings:
        display = f.origin.display
        if display not in fixture:
            fixture[display] = file_context(display).test
    # the first line of each value in each fixture file, in path and line order
    first_line: dict[tuple[str, str], int] = {}
    for f in sorted((f for f in findings if fixture[f.origin.display]), key=Finding.sort_key):
        first_line.setdefault((f.secret.digest(), f.origin.display), f.position.line)
    files: dict[tuple[str, str], list[str]] = {}
    for digest, display in first_line:
        files.setdefault((digest, _directory(display)), []).append(display)
    kept: list[Finding] = []
    for f in findings:
        display = f.origin.display
        if fixture[display]:
            digest = f.secret.digest()
            shared = files[digest, _directory(display)]
            if len(shared) >= REPEAT_FILES and display != shared[0]:
                continue
            if f.position.line != first_line[digest, display]:
                continue
        kept.append(f)
    return kept, len(findings) - len(kept)
