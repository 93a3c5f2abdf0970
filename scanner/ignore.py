"""``.gitignore`` semantics for the directory walk: patterns, negation, anchoring, dir-only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def translate_glob(pattern: str) -> str:
    """A gitignore glob (without leading ``/`` and trailing ``/``) → a regex for a rel path."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern[i : i + 3] == "**/":
                out.append("(?:.*/)?")
                i += 3
                continue
            if pattern[i : i + 2] == "**":
                out.append(".*")
                i += 2
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def parse_ignore_line(line: str) -> IgnoreRule | None:
    line = line.rstrip("\n").rstrip("\r")
    if not line.strip() or line.startswith("#"):
        return None
    if not line.endswith("\\ "):
        line = line.rstrip(" ")
    negate = line.startswith("!")
    if negate or line.startswith(("\\!", "\\#")):
        line = line[1:]
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    body = translate_glob(line)
    regex = ("^" if anchored else "^(?:.*/)?") + body + "(?:/.*)?$"
    return IgnoreRule(re.compile(regex, re.DOTALL), negate, dir_only)


class IgnoreMatcher:
    """Rules from one ``.gitignore``-style file, matched against paths relative to its dir."""

    def __init__(self, rules: list[IgnoreRule]) -> None:
        self.rules = rules

    @classmethod
    def from_lines(cls, lines: list[str]) -> IgnoreMatcher:
        return cls([r for r in map(parse_ignore_line, lines) if r is not None])

    @classmethod
    def from_file(cls, path: Path) -> IgnoreMatcher | None:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        matcher = cls.from_lines(text.splitlines())
        return matcher if matcher.rules else None

    def decision(self, rel: str, is_dir: bool) -> bool | None:
        """True ignored, False re-included, None no rule applies."""
        result: bool | None = None
        for rule in self.rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.match(rel):
                result = not rule.negate
        return result
