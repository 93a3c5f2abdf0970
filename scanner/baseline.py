"""Baselines and ``.keyguardignore``: accepted findings that scans hide.

A baseline is a JSON file::

    {
      "findings": [
        {"fingerprint": "<32 hex>", "path": "src/settings.py", "rule_id": "aws.access-key-id"}
      ],
      "source": {"kind": "scan", "paths": ["."]},
      "tool": "keyguard",
      "version": 1
    }

Entries are keyed by (path, rule id, secret fingerprint): no line numbers (so edits elsewhere in
a file do not invalidate it), no secret values, sorted with sorted keys (so merges rarely
conflict). ``source`` records what was scanned, for ``keyguard baseline update``.

``.keyguardignore`` lists fingerprints (or full SHA-256 digests) one per line; ``#`` starts a
comment, on its own line or after the fingerprint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.errors import BaselineError
from scanner.models import Finding
from scanner.safeio import (
    BASELINE_LIMIT,
    CONFIG_FILE_LIMIT,
    UnsafeFileError,
    read_bounded,
    read_user_file,
)
from scanner.safewrite import replace_file

BASELINE_VERSION = 1
DEFAULT_BASELINE = ".keyguard-baseline.json"
_HEX = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{64})$")


def normalize_path(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


@dataclass(frozen=True, slots=True, order=True)
class BaselineEntry:
    path: str
    rule_id: str
    fingerprint: str

    @classmethod
    def for_finding(cls, finding: Finding) -> BaselineEntry:
        return cls(normalize_path(finding.origin.display), finding.rule_id, finding.fingerprint)

    def record(self) -> dict[str, str]:
        return {"fingerprint": self.fingerprint, "path": self.path, "rule_id": self.rule_id}


@dataclass(frozen=True, slots=True)
class Baseline:
    entries: frozenset[BaselineEntry] = frozenset()
    source: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_findings(cls, findings: Iterable[Finding], source: Mapping[str, Any]) -> Baseline:
        return cls(frozenset(BaselineEntry.for_finding(f) for f in findings), dict(source))

    def __contains__(self, finding: object) -> bool:
        return isinstance(finding, Finding) and BaselineEntry.for_finding(finding) in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def pruned(self, findings: Iterable[Finding]) -> Baseline:
        """Only the entries still found (fixed secrets drop out); nothing is added."""
        still = {BaselineEntry.for_finding(f) for f in findings}
        return Baseline(self.entries & still, self.source)

    def dumps(self) -> str:
        doc = {
            "version": BASELINE_VERSION,
            "tool": "keyguard",
            "source": dict(self.source),
            "findings": [e.record() for e in sorted(self.entries)],
        }
        return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def parse_baseline(text: str, name: str) -> Baseline:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{name}: not a keyguard baseline (invalid JSON: {exc.msg})") from None
    except RecursionError:
        raise BaselineError(f"{name}: not a keyguard baseline (nested too deeply)") from None
    except (ValueError, OverflowError) as exc:  # a 5,000-digit number
        raise BaselineError(f"{name}: not a keyguard baseline ({_one_line(exc)})") from None
    if not isinstance(doc, dict) or "version" not in doc or "findings" not in doc:
        raise BaselineError(f"{name}: not a keyguard baseline (needs `version` and `findings`)")
    doc = upgrade(doc, name)
    items = doc["findings"]
    if not isinstance(items, list):
        raise BaselineError(f"{name}: `findings` must be a list")
    entries: set[BaselineEntry] = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("path", "rule_id", "fingerprint")
        ):
            raise BaselineError(
                f"{name}: findings[{i}] needs string `path`, `rule_id` and `fingerprint`"
            )
        entries.add(
            BaselineEntry(normalize_path(item["path"]), item["rule_id"], item["fingerprint"])
        )
    source = doc.get("source")
    return Baseline(frozenset(entries), source if isinstance(source, dict) else {})


def upgrade(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """Bring an older baseline document to the current version (there is only version 1 yet)."""
    version = doc.get("version")
    if version == BASELINE_VERSION:
        return doc
    raise BaselineError(
        f"{name}: baseline version {version!r} is not supported (this keyguard writes "
        f"version {BASELINE_VERSION}; recreate it with `keyguard baseline create`)"
    )


def _read_text(path: Path, read: Callable[[Path], bytes], what: str) -> str:
    """``read(path)`` as UTF-8 text; any failure a ``BaselineError`` naming the file."""
    try:
        return read(path).decode("utf-8")
    except UnsafeFileError as exc:
        reason = exc.reason
    except OSError as exc:
        reason = str(exc.strerror)
    except UnicodeDecodeError:
        reason = "not UTF-8"
    raise BaselineError(f"{path}: cannot read {what} ({reason})")


def load_baseline(path: Path) -> Baseline:
    """A baseline the caller named (``--baseline``): symlinks followed, size bounded."""

    def read(named: Path) -> bytes:
        try:
            return read_user_file(named, BASELINE_LIMIT)
        except FileNotFoundError:
            raise BaselineError(f"{named}: baseline file not found") from None

    return parse_baseline(_read_text(path, read, "baseline"), str(path))


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def write_baseline(path: Path, baseline: Baseline) -> None:
    try:
        if path.parent != Path(""):
            path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, baseline.dumps())
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write baseline ({exc.strerror})") from None


def parse_ignore(text: str, name: str) -> frozenset[str]:
    """Fingerprints from ``.keyguardignore`` text; a malformed line is an error naming it."""
    out: set[str] = set()
    for lineno, line in enumerate(text.splitlines(), 1):
        value = line.split("#", 1)[0].strip().lower()
        if not value:
            continue
        if not _HEX.match(value):
            raise BaselineError(
                f"{name}:{lineno}: expected a finding fingerprint (32 or 64 hex digits), "
                "optionally followed by # comment"
            )
        out.add(value)
    return frozenset(out)


def load_ignore(path: Path) -> frozenset[str]:
    """An in-tree ``.keyguardignore``: a regular file (no symlink, FIFO or device), bounded."""
    text = _read_text(path, lambda p: read_bounded(p, CONFIG_FILE_LIMIT), "ignore file")
    return parse_ignore(text, str(path))


def is_ignored(finding: Finding, fingerprints: frozenset[str]) -> bool:
    return finding.fingerprint in fingerprints or finding.secret.digest() in fingerprints
