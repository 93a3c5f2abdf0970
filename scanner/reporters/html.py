"""A self-contained HTML report: one file, inline CSS and script, nothing fetched.

Built on ``finding_record`` like the JSON report, so the secret is masked unless
``--show-secrets``. Every string from the scan (paths, members, provenance, rule text) is
untrusted: ``terminal_safe`` makes control characters, bidi overrides and undecodable bytes
visible, then ``html.escape`` escapes markup and quotes. A Content-Security-Policy allows only
this module's own style sheet and script (by hash), so markup that slipped through escaping
still could not run or load anything.

Sections: summary; the organisation run (statistics ``keyguard org`` hands to ``render``:
repositories, blobs listed / unique / scanned, the dedupe saving, and each repository's
status, blobs, findings and errors); findings by severity, by provider (the rule id's first
dotted part), by repository (origin detail ``repository``, else the path); a timeline of when
secrets were introduced (origin detail ``date`` of git findings, by month; left out when no
finding has one); rotation and verification status (``rotation`` / ``verification`` keys of
the record: set by the engine tail where rotation ran, and by ``--verify``); every finding;
the scan's warnings.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any, TextIO

from scanner.escape import terminal_safe
from scanner.models import Finding, ScanStats, Severity
from scanner.reporters.base import ReportContext, finding_record, stats_record
from scanner.reporters.htmlassets import CSP, CSS, JS

Record = Mapping[str, Any]

SEVERITIES = tuple(s.label for s in sorted(Severity, reverse=True))
_MONTH = re.compile(r"^(\d{4})-(\d{2})")


def h(value: object) -> str:
    """Untrusted text as HTML text or a quoted attribute value."""
    return escape(terminal_safe(str(value)), quote=True)


class HtmlReporter:
    def write(
        self, findings: Sequence[Finding], stats: ScanStats, ctx: ReportContext, out: TextIO
    ) -> None:
        records = [finding_record(f, ctx) for f in findings]
        problems = [str(p) for p in stats.problems]
        out.write(render(records, stats_record(stats), problems, ctx.tool_version))


def repository(record: Record) -> str:
    """The repository a finding belongs to: origin detail ``repository``, else its path."""
    detail = record.get("provenance") or {}
    return str(detail.get("repository") or record["path"])


def _has_repo(record: Record) -> bool:
    return bool((record.get("provenance") or {}).get("repository"))


def provider(record: Record) -> str:
    return str(record["rule_id"]).split(".", 1)[0]


def introduced(record: Record) -> str | None:
    """The ``YYYY-MM`` a git finding's secret was introduced, when its commit date is known."""
    date = (record.get("provenance") or {}).get("date")
    m = _MONTH.match(str(date)) if date else None
    return f"{m.group(1)}-{m.group(2)}" if m else None


def status(value: object) -> str:
    """A ``rotation`` / ``verification`` value as one word: the value itself, or its status."""
    if isinstance(value, Mapping):
        for key in ("status", "state", "result", "outcome"):
            if value.get(key) is not None:
                return str(value[key])
        return "; ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def render(
    records: Sequence[Record],
    stats: Mapping[str, Any],
    problems: Sequence[str],
    version: str,
    org: Mapping[str, Any] | None = None,
) -> str:
    """The page; ``org`` is an org run's statistics (``OrgStats.record()``), when there is one."""
    has_repo = any(_has_repo(r) for r in records)
    parts = [
        _head(),
        _summary(records, stats, version, has_repo),
        _org(org, records) if org else "",
        _by_severity(records),
        _by_provider(records),
        _by_repository(records, has_repo),
        _timeline(records),
        _statuses(records, "rotation", "Rotation status"),
        _statuses(records, "verification", "Verification status"),
        _findings(records, has_repo),
        _problems(problems),
        f"<script>{JS}</script>\n</body>\n</html>\n",
    ]
    return "".join(p for p in parts if p)


def _head() -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>keyguard report</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
    )


def _summary(
    records: Sequence[Record], stats: Mapping[str, Any], version: str, has_repo: bool
) -> str:
    counts = Counter(r["severity"] for r in records)
    cards = [
        ("findings", len(records)),
        ("repositories" if has_repo else "files", len({repository(r) for r in records})),
        ("providers", len({provider(r) for r in records})),
        *((s, counts[s]) for s in SEVERITIES if counts[s]),
    ]
    card_html = "".join(
        f'<div class="card" id="count-{h(k)}"><b>{v}</b>{h(k)}</div>' for k, v in cards
    )
    facts = "".join(
        f'<dt>{h(k)}</dt><dd id="stat-{h(k)}">{h(_fact(v))}</dd>'
        for k, v in stats.items()
        if v not in (None, {}, [])
    )
    return (
        "<header>\n<h1>keyguard report</h1>\n"
        f'<p class="mut">keyguard <span id="version">{h(version or "unknown")}</span></p>\n'
        f'</header>\n<section id="summary">\n<div class="cards">{card_html}</div>\n'
        f"<details><summary>Scan statistics</summary><dl>{facts}</dl></details>\n</section>\n"
    )


def _fact(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _meter(value: int, top: int) -> str:
    return f'<meter min="0" max="{max(top, 1)}" value="{value}">{value}</meter>'


def _sev_cells(counter: Counter[str]) -> str:
    return "".join(f'<td class="n">{counter[s] or ""}</td>' for s in SEVERITIES)


_COUNT = '<th class="n">findings</th>'
_SEV_HEAD = "".join(f'<th class="n sev sev-{s}">{s}</th>' for s in SEVERITIES)


_ORG_CARDS = (
    ("repositories", "repositories"), ("failed", "failed"), ("unchanged", "unchanged"),
    ("blobs_listed", "blobs listed"), ("blobs_unique", "unique blobs"),
    ("blobs_scanned", "blobs scanned"), ("blobs_rescanned", "re-read for findings"),
    ("blobs_known_clean", "known clean"), ("tasks", "tasks"), ("workers", "workers"),
)  # fmt: skip


def _org(org: Mapping[str, Any], records: Sequence[Record]) -> str:
    """The org run: repositories, blobs seen and scanned, the dedupe saving, each repository's
    status, blobs listed, findings and errors."""
    listed, shared = int(org.get("blobs_listed") or 0), int(org.get("blobs_shared") or 0)
    saving = f"{shared} ({100 * shared / listed:.0f}%)" if listed else "0"
    cards = [(label, h(org.get(key, ""))) for key, label in _ORG_CARDS]
    cards.insert(5, ("shared copies not scanned again", h(saving)))
    card_html = "".join(
        f'<div class="card" id="org-{h(label.replace(" ", "-"))}"><b>{value}</b>{h(label)}</div>'
        for label, value in cards
    )
    found = Counter(repository(r) for r in records)
    rows = "".join(
        f'<tr data-status="{h(r.get("status", ""))}"><td class="mono" data-filter="{h(name)}">'
        f'{h(name)}</td><td>{h(r.get("status", ""))}</td><td class="n">'
        f'{h(r.get("blobs_listed", 0))}</td><td class="n">{found[name]}</td>'
        f'<td class="mono">{"<br>".join(h(e) for e in r.get("errors") or ())}</td></tr>'
        for name, r in (org.get("per_repository") or {}).items()
    )
    head = '<th>repository</th><th>status</th><th class="n">blobs listed</th>' + _COUNT
    before = (
        f'<p class="mut">Runner: {h(org.get("runner", ""))}; {h(org.get("batches", 0))} '
        f'batch(es).</p><div class="cards">{card_html}</div>\n'
    )
    return _table("org", "Organisation run", head + "<th>errors</th>", rows, before=before)


def _by_severity(records: Sequence[Record]) -> str:
    if not records:
        return ""
    counts = Counter(r["severity"] for r in records)
    top = max(counts.values())
    rows = "".join(
        f'<tr data-filter="{s}"><td class="sev sev-{s}">{s}</td>'
        f'<td class="n">{counts[s]}</td><td>{_meter(counts[s], top)}</td></tr>'
        for s in SEVERITIES
        if counts[s]
    )
    head = f"<th>severity</th>{_COUNT}<th></th>"
    return _table("by-severity", "Findings by severity", head, rows)


def _grouped(records: Sequence[Record], key: Any) -> list[tuple[str, list[Record]]]:
    groups: dict[str, list[Record]] = {}
    for r in records:
        groups.setdefault(key(r), []).append(r)
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def _by_provider(records: Sequence[Record]) -> str:
    if not records:
        return ""
    rows = "".join(
        f'<tr><td data-filter="{h(name)}.">{h(name)}</td><td class="n">{len(group)}</td>'
        f'<td class="n">{len({repository(r) for r in group})}</td>'
        f"{_sev_cells(Counter(r['severity'] for r in group))}</tr>"
        for name, group in _grouped(records, provider)
    )
    unit = "repositories" if any(_has_repo(r) for r in records) else "files"
    head = f'<th>provider</th>{_COUNT}<th class="n">{unit}</th>{_SEV_HEAD}'
    return _table("by-provider", "Findings by provider", head, rows)


def _by_repository(records: Sequence[Record], has_repo: bool) -> str:
    if not records:
        return ""
    label = "repository" if has_repo else "path"
    rows = []
    for name, group in _grouped(records, repository):
        months = sorted(m for m in map(introduced, group) if m)
        span = f"{months[0]} – {months[-1]}" if months else ""
        providers = ", ".join(sorted({provider(r) for r in group}))
        rows.append(
            f'<tr><td class="mono" data-filter="{h(name)}">{h(name)}</td>'
            f'<td class="n">{len(group)}</td>{_sev_cells(Counter(r["severity"] for r in group))}'
            f'<td>{h(providers)}</td><td class="nowrap">{h(span)}</td></tr>'
        )
    head = f"<th>{label}</th>{_COUNT}{_SEV_HEAD}<th>providers</th><th>introduced</th>"
    return _table("by-repository", f"Findings by {label}", head, "".join(rows))


def _timeline(records: Sequence[Record]) -> str:
    months = Counter(m for m in map(introduced, records) if m)
    if not months:
        return ""
    top = max(months.values())
    rows = "".join(
        f'<tr><td class="mono">{h(m)}</td><td class="n">{n}</td><td>{_meter(n, top)}</td></tr>'
        for m, n in sorted(months.items())
    )
    undated = len(records) - sum(months.values())
    note = f'<p class="mut">{undated} finding(s) without a commit date.</p>' if undated else ""
    head = '<th>month</th><th class="n">secrets introduced</th><th></th>'
    return _table("timeline", "When secrets were introduced", head, rows, note)


def _statuses(records: Sequence[Record], key: str, title: str) -> str:
    counts = Counter(status(r[key]) for r in records if r.get(key) is not None)
    if not counts:
        return ""
    rows = "".join(
        f'<tr><td data-filter="{h(s)}">{h(s)}</td><td class="n">{n}</td></tr>'
        for s, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    missing = len(records) - sum(counts.values())
    note = f'<p class="mut">{missing} finding(s) without a {key} result.</p>' if missing else ""
    return _table(key, title, f"<th>{key}</th>{_COUNT}", rows, note)


def _findings(records: Sequence[Record], has_repo: bool) -> str:
    if not records:
        return '<section id="findings">\n<h2>Findings</h2>\n<p>No findings.</p>\n</section>\n'
    extra = [k for k in ("verification", "rotation") if any(r.get(k) is not None for r in records)]
    dated = any(introduced(r) for r in records)
    head = (
        "<th>severity</th><th>rule</th>"
        + ("<th>repository</th>" if has_repo else "")
        + "<th>location</th><th>secret</th>"
        + ("<th>introduced</th>" if dated else "")
        + "".join(f"<th>{k}</th>" for k in extra)
    )
    rows = "".join(_finding_row(r, has_repo, dated, extra) for r in records)
    options = "".join(f'<option value="{s}">{s}</option>' for s in SEVERITIES)
    tools = (
        '<div class="tools"><input id="q" type="search" placeholder="filter findings" '
        'aria-label="filter findings"><select id="sev" aria-label="severity">'
        f'<option value="">all severities</option>{options}</select>'
        f'<span class="mut"><span id="shown">{len(records)}</span> shown</span></div>'
    )
    return _table("findings", "Findings", head, rows, before=tools)


def _finding_row(r: Record, has_repo: bool, dated: bool, extra: Iterable[str]) -> str:
    sev = h(r["severity"])
    detail = r.get("provenance") or {}
    where = f"{r['location']}:{r['line']}:{r['column']}"
    title = h(r["description"])
    cells = [
        f'<td class="sev sev-{sev}">{sev}</td>',
        f'<td><code title="{title}">{h(r["rule_id"])}</code>{_remediation(r)}</td>',
    ]
    if has_repo:
        cells.append(f'<td class="mono">{h(repository(r))}</td>')
    cells.append(f'<td class="mono">{h(where)}{_provenance(detail)}</td>')
    cells.append(f'<td class="mono secret">{h(r["secret"])}</td>')
    if dated:
        commit = str(detail.get("commit", ""))[:12]
        date = str(detail.get("date", ""))[:10]
        cells.append(f'<td class="mono">{h(date)} {h(commit)}</td>')
    cells.extend(_status_cell(r.get(k)) for k in extra)
    return f'<tr class="finding" data-sev="{sev}">{"".join(cells)}</tr>\n'


def _status_cell(value: object) -> str:
    if value is None:
        return "<td></td>"
    word = status(value)
    if isinstance(value, Mapping):
        full = "; ".join(f"{k}: {v}" for k, v in value.items() if v not in (None, ""))
        return f'<td title="{h(full)}">{h(word)}</td>'
    return f"<td>{h(word)}</td>"


def _provenance(detail: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in detail.items() if k not in ("repository", "date", "commit")}
    if not shown:
        return ""
    text = ", ".join(f"{k}={v}" for k, v in shown.items())
    return f'<div class="mut">{h(text)}</div>'


def _remediation(r: Record) -> str:
    url = str((r.get("remediation") or {}).get("url") or "")
    if not url.startswith("https://"):
        return ""
    return f' <a class="mut" href="{h(url)}" rel="noopener noreferrer">revoke</a>'


def _problems(problems: Sequence[str]) -> str:
    if not problems:
        return ""
    items = "".join(f'<li class="mono">{h(p)}</li>' for p in problems)
    return f'<section id="problems">\n<h2>Warnings</h2>\n<ul>{items}</ul>\n</section>\n'


def _table(ident: str, title: str, head: str, rows: str, after: str = "", before: str = "") -> str:
    return (
        f'<section id="{ident}">\n<h2>{title}</h2>\n{before}'
        f"<table><thead><tr>{head}</tr></thead>\n<tbody>\n{rows}</tbody></table>\n{after}"
        "</section>\n"
    )
