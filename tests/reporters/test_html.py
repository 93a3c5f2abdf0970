"""The HTML report: golden files, masking, hostile names, the sections each input fills.

Regenerate the golden files with ``KEYGUARD_REGEN_GOLDEN=1 pytest tests/reporters/test_html.py``
and review the diff (open them in a browser too).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.models import (
    Confidence,
    Finding,
    Origin,
    Position,
    ScanStats,
    Severity,
    Verification,
    VerifyStatus,
)
from scanner.reporters import REPORTERS, ReportContext, finding_record
from scanner.reporters.base import stats_record
from scanner.reporters.html import render
from scanner.rulebook.compile import Ruleset
from scanner.secret import Secret
from testing.gitrepo import cli_args, fake_token, git_repo, write_test_rules
from testing.images import Image, Layer, file, write_docker_archive
from testing.tokens import AWS_SECRET, aws_key_id, github_token

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "fixtures" / "golden"
INPUT = "fixtures/golden/input"
RAW = [github_token(), aws_key_id(), AWS_SECRET]
HOSTILE = "<script>alert('x')</script>\"onmouseover=\"alert(1)\"'.env"


class Page(HTMLParser):
    """The elements, attributes and text of a page, as a browser's tokenizer sees them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._in: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts.append(data)
        elif self._in == "style":
            self.styles.append(data)
        else:
            self.text.append(data)


def _normalize(text: str) -> str:
    text = re.sub(r'<span id="version">[^<]*</span>', '<span id="version">any</span>', text)
    text = re.sub(r'(<dd id="stat-seconds">)[^<]*(</dd>)', r"\g<1>0\g<2>", text)
    return re.sub(r'(<dd id="stat-engine">)[^<]*(</dd>)', r"\g<1>any\g<2>", text)


def _check_golden(name: str, got: str) -> None:
    path = GOLDEN / name
    if os.environ.get("KEYGUARD_REGEN_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")


def _scan_report(monkeypatch: pytest.MonkeyPatch, *extra: str) -> str:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["scan", INPUT, "-f", "html", "-j", "1", *extra])
    assert result.exit_code == 1, result.output
    return result.stdout


def _finding(
    n: int, repo: str, date: str | None, rule: str, path: str, verified: VerifyStatus | None = None
) -> Finding:
    detail = [("repository", repo)]
    if date is not None:
        detail += [("commit", f"{n:02d}" * 20), ("date", date), ("author", "Fake Author")]
    return Finding(
        rule_id=rule,
        description=f"synthetic {rule}",
        severity=Severity.CRITICAL if rule.startswith("aws") else Severity.HIGH,
        confidence=Confidence.HIGH,
        origin=Origin(path, (), tuple(detail), "git"),
        position=Position(n, 5, n, 45, n),
        secret=Secret(f"kgFAKE_EXAMPLE_{n:04d}_TESTSECRETVALUE"),
        entropy=4.0,
        verification=None if verified is None else Verification(verified, "kgtest", "said so"),
    )


def org_findings() -> list[Finding]:
    """What an organisation scan reports: several repositories, commit dates, one undated."""
    return [
        _finding(
            1,
            "github.invalid/acme/api",
            "2023-11-02T10:00:00+00:00",
            "aws.secret",
            "a.env",
            VerifyStatus.LIVE,
        ),
        _finding(
            2,
            "github.invalid/acme/api",
            "2024-02-14T09:30:00+01:00",
            "github.pat",
            "ci.yml",
            VerifyStatus.INVALID,
        ),
        _finding(3, "github.invalid/acme/web", "2024-02-01T00:00:00Z", "github.pat", "deploy.sh"),
        _finding(4, "/srv/mirrors/fork.git", None, "slack.bot", "notify.py"),
    ]


def org_report(**status: dict[int, object]) -> str:
    """The org findings rendered (the first two verified by ``--verify``), with ``rotation`` /
    ``verification`` values set on some records."""
    ctx = ReportContext(ruleset=Ruleset([]), tool_version="any")
    records = [finding_record(f, ctx) for f in org_findings()]
    for key, by_index in status.items():
        for i, value in by_index.items():
            records[i][key] = value
    stats = stats_record(ScanStats(files=40, bytes=1234, seconds=0.5, engine="any"))
    problems = ["/srv/mirrors/gone.git: repository not scanned: cannot read <repository>"]
    return render(records, stats, problems, "any", ORG_RUN)


ORG_RUN = {
    "repositories": 4, "failed": 1, "unchanged": 1, "blobs_listed": 120, "blobs_unique": 45,
    "blobs_shared": 75, "blobs_known_clean": 10, "blobs_scanned": 35, "blobs_rescanned": 2,
    "batches": 3, "tasks": 12, "workers": 2, "runner": "dask",
    "per_repository": {
        "github.invalid/acme/api": {"status": "scanned", "blobs_listed": 60, "errors": []},
        "github.invalid/acme/web": {"status": "unchanged", "blobs_listed": 0, "errors": []},
        "/srv/mirrors/fork.git": {"status": "scanned", "blobs_listed": 60, "errors": []},
        "/srv/mirrors/gone.git": {
            "status": "failed", "blobs_listed": 0, "errors": ["cannot read <repository>"]
        },
    },
}  # fmt: skip
"""An org run's statistics (``OrgStats.record()``), as the org command hands them over."""


def test_golden_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    _check_golden("report.html", _normalize(_scan_report(monkeypatch)))


def test_golden_org() -> None:
    html = org_report(rotation={0: {"status": "rotated", "provider": "kgtest"}})
    _check_golden("report.org.html", html)


def test_no_raw_secret_without_show_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _scan_report(monkeypatch)
    for raw in RAW:
        assert raw not in out
    assert "ghp_********" in out
    shown = _scan_report(monkeypatch, "--show-secrets")
    assert github_token() in shown and aws_key_id() in shown
    assert "kgFAKE_EXAMPLE" not in org_report()


def test_self_contained_and_the_policy_allows_only_its_own_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = Page(_scan_report(monkeypatch))
    for tag, attrs in page.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed"), tag
        assert "src" not in attrs, (tag, attrs)
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        if tag == "a":
            assert attrs["rel"] == "noopener noreferrer"
    csp = next(
        a["content"] for t, a in page.tags if a.get("http-equiv") == "Content-Security-Policy"
    )
    assert csp is not None and "default-src 'none'" in csp

    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert len(page.scripts) == 1 and len(page.styles) == 1
    assert f"script-src {sha(page.scripts[0])}" in csp
    assert f"style-src {sha(page.styles[0])}" in csp


def test_sections_of_an_org_report() -> None:
    html = org_report(verification={2: "live"}, rotation={0: "rotated"})
    page = Page(html)
    ids = [a.get("id") for t, a in page.tags if t == "section"]
    assert ids == [
        "summary",
        "org",
        "by-severity",
        "by-provider",
        "by-repository",
        "timeline",
        "rotation",
        "verification",
        "findings",
        "problems",
    ]
    sections = _sections(html)
    repos = sections["by-repository"]
    assert repos.index("github.invalid/acme/api") < repos.index("github.invalid/acme/web")
    assert "2023-11 – 2024-02" in repos  # the api repository's first and last introduction
    timeline = _rows(sections["timeline"])
    assert [(r[0], r[1]) for r in timeline] == [("2023-11", "1"), ("2024-02", "2")]
    assert "1 finding(s) without a commit date" in sections["timeline"]
    assert [r[:2] for r in _rows(sections["verification"])] == [["live", "2"], ["invalid", "1"]]
    assert 'title="status: live; verifier: kgtest; detail: said so">live</td>' in html
    assert "3 finding(s) without a rotation result" in sections["rotation"]
    providers = {r[0]: r[1] for r in _rows(sections["by-provider"])}
    assert providers == {"github": "2", "aws": "1", "slack": "1"}
    assert [r[0] for r in _rows(sections["by-severity"])] == ["critical", "high"]
    findings = _rows(sections["findings"])
    assert len(findings) == 4 and findings[0][2] == "github.invalid/acme/api"
    assert "&lt;repository&gt;" in sections["problems"]
    run = sections["org"]
    assert "<b>75 (62%)</b>shared copies not scanned again" in run
    assert "Runner: dask; 3 batch(es)." in run
    per = {r[0]: r[1:] for r in _rows(run)}
    assert per["github.invalid/acme/api"] == ["scanned", "60", "2", ""]
    assert per["github.invalid/acme/web"] == ["unchanged", "0", "1", ""]
    assert per["/srv/mirrors/gone.git"] == ["failed", "0", "0", "cannot read <repository>"]


def test_without_dates_or_statuses_those_sections_are_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sections = _sections(_scan_report(monkeypatch))
    assert not {"timeline", "rotation", "verification"} & set(sections)
    assert "Findings by path" in sections["by-repository"]


def test_no_findings() -> None:
    ctx = ReportContext(ruleset=Ruleset([]), tool_version="any")
    out = io.StringIO()
    REPORTERS["html"].write([], ScanStats(files=3), ctx, out)
    sections = _sections(out.getvalue())
    assert set(sections) == {"summary", "findings"}
    assert "No findings." in sections["findings"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names")
def test_hostile_file_names_are_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "t"
    root.mkdir()
    names = [HOSTILE, "bidi\u202etxt.env", "esc\x1b[2Jname.env"]
    for i, name in enumerate(names):  # the first is a directory and a file in it
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"token = {fake_token(i)}\n")
    rules = write_test_rules(tmp_path)
    result = CliRunner().invoke(main, ["scan", str(root), "-f", "html", *cli_args(rules)])
    assert result.exit_code == 1, result.output
    html = result.stdout
    page = Page(html)
    assert len(page.scripts) == 1  # only the report's own script element
    assert not any(k.startswith("on") for _, a in page.tags for k in a)
    assert "<script>alert" not in html and "\x1b" not in html and "\u202e" not in html
    text = "".join(page.text)
    assert HOSTILE in text  # shown as the name it is, not interpreted
    assert "bidi\\u202etxt.env" in text and "esc\\x1b[2Jname.env" in text
    for i in range(len(names)):
        assert fake_token(i) not in html


def test_git_history_fills_the_timeline(tmp_path: Path) -> None:
    repo = git_repo(tmp_path)
    repo.commit("add", {"app/settings.py": f"KEY = '{fake_token(1)}'\n"})
    repo.stage({"ci/deploy.sh": f"export T={fake_token(2)}\n"})
    march = "2024-03-05T12:00:00+00:00"
    repo.env.update(GIT_AUTHOR_DATE=march, GIT_COMMITTER_DATE=march)
    repo.git("commit", "-q", "--no-verify", "-m", "more")
    rules = write_test_rules(tmp_path)
    args = ["git", str(repo.path), "-f", "html", *cli_args(rules)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    sections = _sections(result.stdout)
    assert [r[:2] for r in _rows(sections["timeline"])] == [["2024-01", "1"], ["2024-03", "1"]]
    rows = _rows(sections["findings"])
    assert {r[2].split(":")[0] for r in rows} == {"app/settings.py", "ci/deploy.sh"}
    dates = {r[2].split(":")[0]: r[4][:10] for r in rows}  # the introducing commit's date
    assert dates == {"app/settings.py": "2024-01-01", "ci/deploy.sh": "2024-03-05"}
    assert fake_token(1) not in result.stdout


def test_image_findings(tmp_path: Path) -> None:
    image = Image(
        tag="example.invalid/app:1.0",
        env=[f"API_TOKEN={fake_token(7)}"],
        layers=[Layer([file("etc/app.env", f"TOKEN={fake_token(8)}\n")])],
    )
    archive = write_docker_archive(tmp_path / "app.tar", [image])
    rules = write_test_rules(tmp_path)
    result = CliRunner().invoke(main, ["image", str(archive), "-f", "html", *cli_args(rules)])
    assert result.exit_code == 1, result.output
    rows = _rows(_sections(result.stdout)["findings"])
    assert len(rows) == 2
    assert any("etc/app.env" in r[2] for r in rows)
    assert fake_token(7) not in result.stdout and fake_token(8) not in result.stdout


def test_rotation_status_of_a_scan_reaches_the_report(tmp_path: Path) -> None:
    import json
    import sys

    from testing.rotationcli import keyguard, rotation_project
    from testing.servers import rotation_token

    leak = rotation_token("html-report")
    script = tmp_path / "ok.py"
    script.write_text("import sys; sys.stdin.read()\n", encoding="utf-8")
    files = {"a.env": f"TOKEN={leak}\n", "b.env": f"TOKEN={leak}\n", "c.txt": "clean\n"}
    args = rotation_project(
        tmp_path, files, provider="exec", command=[sys.executable, str(script)], backoff=0
    )
    plan = keyguard(args, "-f", "json")
    assert plan.exit_code == 1, plan.output
    (status,) = {json.dumps(f["rotation"]) for f in json.loads(plan.stdout)["findings"]}
    assert json.loads(status)["status"] == "planned"
    assert json.loads(status)["provider"] == "exec" and str(script) in json.loads(status)["target"]
    done = keyguard(args, "-f", "html", "--rotate")
    assert done.exit_code == 1, done.output
    sections = _sections(done.stdout)
    assert [r[:2] for r in _rows(sections["rotation"])] == [["rotated", "2"]]
    assert {r[-1] for r in _rows(sections["findings"])} == {"rotated"}
    again = keyguard(args, "-f", "html", "--rotate")  # the state remembers: skipped
    assert [r[:2] for r in _rows(_sections(again.stdout)["rotation"])] == [["skipped", "2"]]
    assert leak not in done.stdout and leak not in again.stdout
    at = args.index("--config")
    plain = keyguard([*args[:at], *args[at + 2 :]], "-f", "html")  # no rotation configured
    assert plain.exit_code == 1 and "rotation" not in _sections(plain.stdout)
    assert len(_rows(_sections(plain.stdout)["findings"])) == 2


# --- helpers: a page's sections and table rows ---------------------------------------------


def _sections(html: str) -> dict[str, str]:
    return dict(re.findall(r'<section id="([^"]+)">(.*?)</section>', html, re.S))


def _rows(section: str) -> list[list[str]]:
    body = section.split("<tbody>", 1)[1]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [
        ["".join(Page(c).text).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in rows
    ]
