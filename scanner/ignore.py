"""``.gitignore`` semantics for the directory walk, by ``pathspec.GitIgnoreSpec``.

Ignore files come from the scanned tree, so they are read like git reads them: a symlinked
``.gitignore`` is not followed (git stopped following them in 2.32), a FIFO, socket or device is
never opened, and a file above ``IGNORE_FILE_LIMIT`` is not read (see ``scanner.safeio``).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pathspec

from scanner.safeio import UnsafeFileError, read_bounded

IGNORE_FILE_LIMIT = 1 << 20
_SURROGATES = re.compile("[\ud800-\udfff]")


class IgnoreMatcher:
    """Rules from one ``.gitignore``-style file, matched against paths relative to its dir."""

    def __init__(self, spec: pathspec.GitIgnoreSpec, count: int) -> None:
        self.spec = spec
        self.count = count

    def __bool__(self) -> bool:
        return self.count > 0

    @classmethod
    def from_lines(cls, lines: list[str]) -> IgnoreMatcher:
        """Compile ``lines``; a line git would not accept (``\\``, a bad range) is skipped."""
        patterns: list[Any] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # re's FutureWarning for ``[[`` in a pattern
            for line in lines:
                try:
                    one = pathspec.GitIgnoreSpec.from_lines([line])
                except Exception:  # noqa: BLE001 - pathspec or re rejected this line
                    continue
                patterns.extend(p for p in one.patterns if p.include is not None)
        return cls(pathspec.GitIgnoreSpec(patterns), len(patterns))

    @classmethod
    def from_file(cls, path: Path) -> IgnoreMatcher | None:
        matcher, _ = load_ignore_file(path)
        return matcher

    def decision(self, rel: str, is_dir: bool) -> bool | None:
        """True ignored, False re-included, None no rule applies."""
        if not rel.isascii():
            # bytes that are not UTF-8 (surrogate-escaped in ``rel``) match as U+FFFD, the way
            # the ignore file itself was decoded; pathspec's engines need valid text
            rel = _SURROGATES.sub("\ufffd", rel)
        result = self.spec.check_file(rel + "/" if is_dir else rel)
        return result.include


def load_ignore_file(path: Path) -> tuple[IgnoreMatcher | None, str | None]:
    """The rules of ``path`` (None when absent or empty), and a problem worth a warning."""
    try:
        data = read_bounded(path, IGNORE_FILE_LIMIT)
    except FileNotFoundError:
        return None, None
    except UnsafeFileError as exc:
        return None, exc.reason
    except OSError as exc:
        return None, f"cannot read ({exc.strerror}); not used"
    matcher = IgnoreMatcher.from_lines(data.decode("utf-8", "replace").splitlines())
    return (matcher if matcher else None), None
