"""The org scan's state: what each repository was scanned up to, and each blob's outcome.

One SQLite file. No secret and no finding is stored: per blob id only whether it was scanned
clean or had findings (findings are rebuilt by re-scanning those few blobs), per repository
its tips and the ids of its blobs with findings. Everything is keyed by a digest of the rules,
the limits and keyguard's version: when any changes, earlier outcomes are dropped.

Writes are committed per finished task, so an interrupted run keeps every completed batch; a
repository's tips are recorded only once all its blobs and its attribution are done.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from scanner.__about__ import __version__
from scanner.errors import UserError
from scanner.extractors import Limits
from scanner.rulebook.compile import Ruleset

SCHEMA_VERSION = "1"
CLEAN = 0
FINDINGS = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (
    sha TEXT PRIMARY KEY, status INTEGER NOT NULL, path TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS repos (
    name TEXT PRIMARY KEY, location TEXT NOT NULL, revs TEXT NOT NULL, tips TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS repo_findings (
    name TEXT NOT NULL, sha TEXT NOT NULL, PRIMARY KEY (name, sha)
);
"""


def default_state_path(env: dict[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/keyguard/org.sqlite`` (``~/.local/state`` when unset)."""
    env = dict(os.environ) if env is None else env
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "keyguard" / "org.sqlite"


def scan_digest(ruleset: Ruleset, limits: Limits, decode_depth: int) -> str:
    """What a blob's outcome depends on besides its content."""
    h = hashlib.sha256()
    for part in (__version__, repr([r.spec for r in ruleset]), repr(limits), str(decode_depth)):
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


class StateStore:
    """The SQLite state; use as a context manager (closes the connection)."""

    def __init__(self, path: Path, digest: str) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30.0)
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise UserError(f"{path}: cannot open the org state ({exc})") from None
        self._check(digest)

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()

    @property
    def clones(self) -> Path:
        """Where clone URLs are mirrored: next to the state file."""
        return self.path.with_suffix(".clones")

    def _check(self, digest: str) -> None:
        rows = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if rows.get("schema") not in (None, SCHEMA_VERSION):
            raise UserError(f"{self.path}: org state from another keyguard version; remove it")
        if rows.get("digest") != digest:
            self.reset(digest)

    def reset(self, digest: str) -> None:
        """Forget every outcome (``--full``, or rules / limits / version changed)."""
        with self._db:
            self._db.execute("DELETE FROM blobs")
            self._db.execute("DELETE FROM repos")
            self._db.execute("DELETE FROM repo_findings")
            self._db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [("schema", SCHEMA_VERSION), ("digest", digest)],
            )

    def statuses(self, shas: Iterable[str]) -> dict[str, tuple[int, str]]:
        """The recorded outcome (and the path it was scanned at) of each of ``shas``."""
        out: dict[str, tuple[int, str]] = {}
        chunk: list[str] = []

        def run() -> None:
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT sha, status, path FROM blobs WHERE sha IN ({marks})"
            for sha, status, path in self._db.execute(sql, chunk):
                out[sha] = (status, path)
            chunk.clear()

        for sha in shas:
            chunk.append(sha)
            if len(chunk) >= 500:
                run()
        if chunk:
            run()
        return out

    def blob_count(self) -> int:
        """How many blob outcomes are recorded."""
        row = self._db.execute("SELECT COUNT(*) FROM blobs").fetchone()
        return int(row[0])

    def record_blobs(self, outcomes: Iterable[tuple[str, int, str]]) -> None:
        """(blob id, CLEAN or FINDINGS, the path it was scanned at) of finished blobs."""
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO blobs VALUES (?, ?, ?)", list(outcomes))

    def repo(self, name: str, location: str, revs: str) -> tuple[tuple[str, ...], set[str]]:
        """The tips recorded for a repository (empty when its location or revisions changed)
        and the ids of its blobs with findings."""
        row = self._db.execute(
            "SELECT location, revs, tips FROM repos WHERE name = ?", (name,)
        ).fetchone()
        if row is None or row[0] != location or row[1] != revs:
            return (), set()
        shas = self._db.execute("SELECT sha FROM repo_findings WHERE name = ?", (name,))
        return tuple(t for t in row[2].split("\n") if t), {r[0] for r in shas}

    def record_repo(
        self, name: str, location: str, revs: str, tips: tuple[str, ...], findings: set[str]
    ) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO repos VALUES (?, ?, ?, ?)",
                (name, location, revs, "\n".join(tips)),
            )
            self._db.execute("DELETE FROM repo_findings WHERE name = ?", (name,))
            self._db.executemany(
                "INSERT INTO repo_findings VALUES (?, ?)", [(name, s) for s in sorted(findings)]
            )
