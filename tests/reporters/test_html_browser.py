"""The HTML report in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

Opens reports written by the CLI (a tree with hostile file names; a real ``keyguard org`` run
with rotation through a local ``exec`` hook) and by the renderer (an organisation scan with
rotation and verification results) from ``file://``: no console error,
no blocked resource, findings visible, the filter works, no raw secret anywhere in the DOM or
the page text, and nothing from a file name ran.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_html import org_report  # the sample behind the golden org report (same directory)

from scanner.cli import main
from testing.gitrepo import cli_args, fake_token, write_test_rules
from testing.orgrepos import make_org, org_cli, rotation_hook

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A file name that would run script if a report put it into the page unescaped.
HOSTILE = '<img src=x onerror="window.kgPwned=1">\'<script>window.kgPwned=2</script>.env'

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)"),
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs keyguard[test]")
    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, timeout=60_000)
        try:
            yield instance
        finally:
            instance.close()


class Opened:
    """A report opened in a fresh page, with every console message and page error."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.messages: list[tuple[str, str]] = []
        self.page = browser.new_page()
        self.page.set_default_timeout(15_000)
        self.page.on("console", lambda m: self.messages.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.messages.append(("pageerror", str(e))))
        self.page.on("requestfailed", lambda r: self.messages.append(("requestfailed", r.url)))
        self.page.goto(path.as_uri(), wait_until="load")

    def errors(self) -> list[tuple[str, str]]:
        return [
            m for m in self.messages if m[0] in ("error", "warning", "pageerror", "requestfailed")
        ]

    def visible_rows(self) -> int:
        return int(self.page.locator("tr.finding:visible").count())


def _write_tree(root: Path) -> list[str]:
    """Files with tokens under hostile names; returns the raw tokens."""
    names = [HOSTILE, "plain/settings.py", "bidi\u202egnp.env"]
    tokens = []
    for i, name in enumerate(names):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"API_TOKEN = '{fake_token(40 + i)}'\n", encoding="utf-8")
        tokens.append(fake_token(40 + i))
    return tokens


def test_cli_report_in_chromium(browser: Any, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    tokens = _write_tree(root)
    report = tmp_path / "report.html"
    args = [
        "scan",
        str(root),
        "-f",
        "html",
        "-o",
        str(report),
        *cli_args(write_test_rules(tmp_path)),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    opened = Opened(browser, report)
    page = opened.page
    try:
        assert opened.errors() == []
        assert page.title() == "keyguard report"
        assert opened.visible_rows() == 3
        row = page.locator("tr.finding", has_text="settings.py")
        assert row.is_visible()
        assert "kgtest.token" in row.inner_text()
        assert "kgte********" in row.inner_text()  # the masked secret
        body_text = page.inner_text("body")
        dom = page.content()
        for token in tokens:
            assert token not in body_text and token not in dom
        assert page.evaluate("typeof window.kgPwned") == "undefined"
        assert HOSTILE in body_text  # the name, shown as text
        assert page.locator("img").count() == 0
        assert page.locator("script").count() == 1
        # the filter: by text, then by severity
        page.fill("#q", "settings")
        assert opened.visible_rows() == 1 and page.inner_text("#shown") == "1"
        page.fill("#q", "")
        page.select_option("#sev", "low")
        assert opened.visible_rows() == 0
        page.select_option("#sev", "high")
        assert opened.visible_rows() == 3
        assert opened.errors() == []
    finally:
        page.close()


def test_org_report_in_chromium(browser: Any, tmp_path: Path) -> None:
    report = tmp_path / "org.html"
    report.write_text(
        org_report(rotation={0: {"status": "rotated"}}),
        encoding="utf-8",
    )
    opened = Opened(browser, report)
    page = opened.page
    try:
        assert opened.errors() == []
        assert opened.visible_rows() == 4
        assert page.locator("#timeline").is_visible()
        assert "2023-11" in page.inner_text("#timeline")
        assert "rotated" in page.inner_text("#rotation")
        # a repository in the summary table filters the findings to it
        page.locator("#by-repository td[data-filter='github.invalid/acme/web']").click()
        assert opened.visible_rows() == 1
        visible = page.locator("tr.finding:visible").inner_text()
        assert "deploy.sh" in visible
        assert "kgFAKE_EXAMPLE" not in page.content()
        assert opened.errors() == []
    finally:
        page.close()


def test_org_cli_report_with_rotation_in_chromium(browser: Any, tmp_path: Path) -> None:
    org = make_org(tmp_path / "org", bases=1, forks=2)
    rules = write_test_rules(tmp_path)
    rotation, _ = rotation_hook(tmp_path)
    report = tmp_path / "org.html"
    result = org_cli(org.manifest(), rules, tmp_path / "s.sqlite", "-f", "html", "-o",
                     str(report), "-j", "2", *rotation, "--rotate")  # fmt: skip
    assert result.exit_code == 1, result.output
    opened = Opened(browser, report)
    page = opened.page
    try:
        assert opened.errors() == []
        secrets = set().union(*org.secrets.values())
        assert opened.visible_rows() == sum(len(s) for s in org.secrets.values())
        assert "3" in page.inner_text("#org-repositories")
        assert page.locator("#org tbody tr").count() == 3
        rotation = page.inner_text("#rotation")
        assert "rotated" in rotation and "failed" in rotation
        assert page.locator("#timeline").is_visible()
        page.locator("#org td[data-filter='base0-fork1']").click()
        assert opened.visible_rows() == len(org.secrets["base0-fork1"])
        text, dom = page.inner_text("body"), page.content()
        for secret in secrets:
            assert secret not in text and secret not in dom
        assert opened.errors() == []
    finally:
        page.close()
