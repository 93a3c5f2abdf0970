"""A repository's findings: each blob finding at every path that blob came in at.

The same rules as ``keyguard git`` (``commands.git``): a finding is reported once per (path,
member, rule, secret), from the oldest commit that put it there, with the commit, author,
email, date, summary and whether HEAD still holds it; a rule's path allow list applies at each
path. The org scan adds ``repository=<name>`` to the provenance and puts the repository's name
in front of the path, so that the same secret in two forks stays two findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from scanner.commands.git import _allowed_at, _commit_detail
from scanner.models import Finding, Origin
from scanner.rulebook.compile import Ruleset
from scanner.sources.git import Introduction

Key = tuple[bytes, tuple[str, ...], str, str]


@dataclass(slots=True)
class _Best:
    seq: int
    intro: Introduction
    finding: Finding


def attribute(
    name: str,
    intros: tuple[Introduction, ...],
    head: Mapping[bytes, str],
    per_blob: Mapping[str, list[Finding]],
    ruleset: Ruleset,
) -> tuple[list[Finding], set[str]]:
    """The findings of repository ``name``, and the blob ids that produced at least one."""
    by_blob: dict[str, list[tuple[int, Introduction]]] = {}
    for seq, intro in enumerate(intros, 1):
        by_blob.setdefault(intro.blob, []).append((seq, intro))
    best: dict[Key, _Best] = {}
    used: set[str] = set()
    for sha, entries in by_blob.items():
        for finding in per_blob.get(sha, ()):
            for seq, intro in entries:
                if intro.path != finding.origin.path and _allowed_at(ruleset, finding, intro.path):
                    continue
                used.add(sha)
                key = (intro.raw_path, finding.origin.members, finding.rule_id,
                       finding.secret.digest())  # fmt: skip
                if key not in best or seq < best[key].seq:
                    best[key] = _Best(seq, intro, finding)
    out: list[Finding] = []
    for key, found in best.items():
        origin = found.finding.origin
        detail = (
            ("repository", name),
            *_commit_detail(found.intro, _in_head(key, head, per_blob)),
            *origin.detail,
        )
        path = f"{name}/{found.intro.path}"
        out.append(replace(found.finding, origin=Origin(path, origin.members, detail, "git")))
    return out, used


def _in_head(key: Key, head: Mapping[bytes, str], per_blob: Mapping[str, list[Finding]]) -> bool:
    """Whether HEAD's blob at the finding's path holds the same secret (same member, rule)."""
    blob = head.get(key[0])
    if blob is None:
        return False
    return any(
        (f.origin.members, f.rule_id, f.secret.digest()) == key[1:] for f in per_blob.get(blob, ())
    )
