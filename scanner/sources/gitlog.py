"""Git history as records: one ``git log --raw -z`` over the asked revisions, parsed into
(blob, path) introductions with the commit that first made each; the revisions a pre-push hook
must scan; HEAD's tree. Runs git through ``sources.git`` (hardened)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from scanner.models import SourceProblem
from scanner.sources.git import (
    SUBMODULE_MODE,
    SYMLINK_MODE,
    ZERO_SHA,
    Commit,
    Introduction,
    Repo,
    display_path,
    git_output,
    git_text,
)

# Fields end in NUL, the one byte no field can hold (git stops a name or subject there), so a
# name or subject holding \x01 or \x1f cannot start a record or a field of its own choosing.
_LOG_FORMAT = "%x01%H%x00%an%x00%ae%x00%aI%x00%s"
_HEADER_FIELDS = 5


def _parse_commit(fields: Sequence[bytes]) -> Commit:
    padded = [*fields, *[b""] * (_HEADER_FIELDS - len(fields))]
    sha, author, email, date, summary = (git_text(f) for f in padded[:_HEADER_FIELDS])
    return Commit(sha=sha.lstrip("\n\x01"), author=author, email=email, date=date, summary=summary)


def _paths_after(meta: bytes) -> int:
    """How many path tokens follow a ``--raw`` entry (two for a rename or copy)."""
    parts = meta.lstrip(b"\n")[1:].split()
    return 2 if len(parts) >= 5 and parts[4][:1] in (b"R", b"C") else 1


def _is_entry(token: bytes) -> bool:
    return token.lstrip(b"\n").startswith(b":")


def _parse_record(record: bytes) -> tuple[Commit, list[tuple[str, str, str, bytes]]]:
    """One commit record of ``git log --raw -z``: the header and its (mode, blob, status, path)."""
    tokens = record.split(b"\0")
    commit = _parse_commit(tokens[:_HEADER_FIELDS])
    entries: list[tuple[str, str, str, bytes]] = []
    i = _HEADER_FIELDS
    while i < len(tokens):
        meta = tokens[i].lstrip(b"\n")
        if not meta.startswith(b":"):
            i += 1
            continue
        parts = meta[1:].split()
        npaths = _paths_after(meta)
        if len(parts) < 5 or i + npaths >= len(tokens):
            break
        entries.append(
            (git_text(parts[1]), git_text(parts[3]), git_text(parts[4]), tokens[i + npaths])
        )
        i += 1 + npaths
    return commit, entries


def log_command(revs: Sequence[str]) -> list[str]:
    return [
        "log",
        "--raw",
        "-z",
        "--no-abbrev",
        "--no-renames",
        "--root",
        "--reverse",
        "--topo-order",
        "--diff-merges=first-parent",
        "--no-ext-diff",
        "--no-textconv",
        "--no-show-signature",
        "--no-color",
        "--no-mailmap",
        f"--format={_LOG_FORMAT}",
        *revs,
        "--",
    ]


def iter_log_records(
    repo: Repo, revs: Sequence[str], problems: list[SourceProblem]
) -> Iterator[bytes]:
    """Raw commit records, streamed from one ``git log`` process."""

    def stopped(message: str) -> None:
        problem = f"git log stopped early ({message}); history is partial"
        problems.append(SourceProblem(repo.given, problem))

    with git_output(repo.root, log_command(revs), stopped, repo.idle) as out:
        records = _RecordSplitter()
        while data := out.read(1 << 16):
            yield from records.feed(data)
        yield from records.feed(b"", final=True)


class _RecordSplitter:
    """NUL-separated tokens grouped into commit records by position: five header fields, then
    ``--raw`` entries (each with one or two paths) until a token that is not an entry."""

    def __init__(self) -> None:
        self.pending = b""
        self.record: list[bytes] = []
        self.expect = 0  # header fields or paths still to come

    def feed(self, data: bytes, final: bool = False) -> Iterator[bytes]:
        tokens = (self.pending + data).split(b"\0")
        self.pending = b"" if final else tokens.pop()
        for token in tokens:
            if self.expect:
                self.record.append(token)
                self.expect -= 1
            elif _is_entry(token):
                self.record.append(token)
                self.expect = _paths_after(token)
            elif token:  # the first field of the next commit
                if self.record:
                    yield b"\0".join(self.record)
                self.record = [token]
                self.expect = _HEADER_FIELDS - 1
        if final and self.record:
            yield b"\0".join(self.record)
            self.record = []


def iter_introductions(
    repo: Repo,
    revs: Sequence[str],
    problems: list[SourceProblem],
    only: set[str] | None = None,
) -> Iterator[Introduction]:
    """Every (blob, path) added or changed by the commits of ``revs``, once, oldest commit first
    (only the blobs in ``only``, when given; ``revs`` may carry ``--find-object`` options).

    Submodule links are reported once each (not descended) and symlinks are not read.
    """
    seen: set[tuple[str, bytes]] = set()
    submodules: set[bytes] = set()
    for record in iter_log_records(repo, revs, problems):
        commit, entries = _parse_record(record)
        for mode, blob, status, path in entries:
            if status.startswith("D") or blob == ZERO_SHA:
                continue
            if mode == SUBMODULE_MODE:
                if path not in submodules:
                    submodules.add(path)
                    problems.append(
                        SourceProblem(
                            display_path(path), "submodule; not descended (scan it separately)"
                        )
                    )
                continue
            if mode == SYMLINK_MODE or (only is not None and blob not in only):
                continue
            key = (blob, path)
            if key in seen:
                continue
            seen.add(key)
            yield Introduction(blob=blob, raw_path=path, mode=mode, commit=commit)


def pre_push_revs(repo: Repo, lines: Sequence[str]) -> list[str]:
    """Revisions a pre-push hook must scan, from the ``<local ref> <local sha> <remote ref>
    <remote sha>`` lines git writes to the hook's stdin: new commits only."""
    include: list[str] = []
    exclude: list[str] = []
    new_branch = False
    for line in lines:
        parts = line.split()
        if len(parts) != 4 or parts[1] == ZERO_SHA:
            continue
        include.append(parts[1])
        remote = parts[3]
        known = remote != ZERO_SHA and (
            repo.run(["cat-file", "-e", f"{remote}^{{commit}}"], check=False).returncode == 0
        )
        if known:
            exclude.append("^" + remote)
        else:
            new_branch = True
    if not include:
        return []
    return include + exclude + (["--not", "--remotes"] if new_branch else [])


def head_tree(repo: Repo) -> dict[bytes, str]:
    """Path → blob id of every file in HEAD's tree (empty before the first commit)."""
    if repo.head is None:
        return {}
    proc = repo.run(["ls-tree", "-r", "-z", "--full-tree", "HEAD"], check=False)
    out: dict[bytes, str] = {}
    for entry in proc.stdout.split(b"\0"):
        meta, sep, path = entry.partition(b"\t")
        if not sep:
            continue
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob":
            out[path] = git_text(parts[2])
    return out
