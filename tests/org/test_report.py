"""The merged org report: every format, the org statistics, and rotation status per finding
(the ``exec`` provider running a local script) carried into JSON and HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from testing.orgrepos import Org, org_cli, per_repo, report, rotation_hook, write_manifest


def _sections(html: str) -> dict[str, str]:
    return dict(re.findall(r'<section id="([^"]+)">(.*?)</section>', html, re.S))


def _cells(section: str) -> list[list[str]]:
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", section.split("<tbody>", 1)[1], re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
        for r in rows
    ]


def _all_secrets(org: Org, names: list[str]) -> set[str]:
    return {s for n in names for s in org.secrets[n]}


def test_rotation_status_reaches_json_and_html(org: Org, rules: Path, tmp_path: Path) -> None:
    names = ["base0", "base0-fork0"]
    manifest = org.manifest(names)
    rotation, calls = rotation_hook(tmp_path)
    state = tmp_path / "s.sqlite"
    plan = org_cli(manifest, rules, state, "-f", "json", *rotation)
    assert plan.exit_code == 1, plan.output
    assert not calls.exists()  # plan mode: the command is not run
    records = report(plan)["findings"]
    assert records and {r["rotation"]["status"] for r in records} == {"planned"}
    assert all(r["rotation"]["provider"] == "exec" for r in records)

    html_path = tmp_path / "org.html"
    done = org_cli(manifest, rules, state, "-f", "html", "-o", str(html_path), *rotation,
                   "--rotate")  # fmt: skip
    assert done.exit_code == 1, done.output
    html = html_path.read_text(encoding="utf-8")
    sections = _sections(html)
    statuses = dict((r[0], int(r[1])) for r in _cells(sections["rotation"]))
    # the base secret is rotated; the fork's own (in deploy files) is refused by the hook
    assert statuses["rotated"] >= 1 and statuses["failed"] >= 1
    assert sum(statuses.values()) == len(records)
    rotated_fps = set(calls.read_text().split())
    assert len(rotated_fps) == len({r["fingerprint"] for r in records})  # one call per secret
    for secret in _all_secrets(org, names):
        assert secret not in html and secret not in done.output
    assert "refused for kgte" in html  # the hook's message, with the secret masked
    # each finding row carries its secret's status
    findings = _cells(sections["findings"])
    assert {row[-1] for row in findings} == {"rotated", "failed"}


def test_html_report_has_the_org_run(org: Org, rules: Path, tmp_path: Path) -> None:
    manifest = org.manifest(["base1", "base1-fork0", "base1-fork1"], extra=("gone/repo",))
    result = org_cli(manifest, rules, tmp_path / "s.sqlite", "-f", "html", "-j", "2")
    assert result.exit_code == 1, result.output
    sections = _sections(result.stdout)
    run = sections["org"]
    assert re.search(r'id="org-repositories"><b>4</b>', run)
    assert re.search(r'id="org-failed"><b>1</b>', run)
    listed = int(re.search(r'id="org-blobs-listed"><b>(\d+)</b>', run).group(1))  # type: ignore[union-attr]
    unique = int(re.search(r'id="org-unique-blobs"><b>(\d+)</b>', run).group(1))  # type: ignore[union-attr]
    shared = listed - unique
    assert 0 < unique < listed
    assert f"<b>{shared} ({100 * shared / listed:.0f}%)</b>shared copies not scanned again" in run
    rows = {r[0]: r for r in _cells(run)}
    assert set(rows) == {"base1", "base1-fork0", "base1-fork1", "repo"}
    assert rows["repo"][1] == "failed" and "no such repository" in rows["repo"][4]
    assert rows["base1"][1] == "scanned" and rows["base1"][4] == ""
    assert int(rows["base1-fork0"][2]) > int(rows["base1"][2])  # the fork adds its own blobs
    assert [int(rows[n][3]) for n in ("base1", "base1-fork0")] == [
        len(org.secrets["base1"]), len(org.secrets["base1-fork0"])
    ]  # fmt: skip
    for secret in _all_secrets(org, ["base1", "base1-fork0", "base1-fork1"]):
        assert secret not in result.stdout


def _parse(fmt: str, text: str) -> Any:
    if fmt in ("json", "sarif"):
        return json.loads(text)
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines()]
    return text


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif", "github", "html"])
def test_every_format_is_one_merged_report(org: Org, rules: Path, tmp_path: Path, fmt: str) -> None:
    names = ["base2", "base2-fork1"]
    manifest = org.manifest(names)
    result = org_cli(manifest, rules, tmp_path / "s.sqlite", "-f", fmt, "--no-color")
    assert result.exit_code == 1, result.output
    doc = _parse(fmt, result.stdout)
    expected = len(org.secrets["base2"]) + len(org.secrets["base2-fork1"])
    for secret in _all_secrets(org, names):
        assert secret not in result.stdout
    if fmt == "json":
        assert len(doc["findings"]) == expected and doc["org"]["repositories"] == 2
    elif fmt == "jsonl":
        assert len(doc) == expected
        assert {r["provenance"]["repository"] for r in doc} == set(names)
    elif fmt == "sarif":
        (run,) = doc["runs"]
        assert len(run["results"]) == expected
        assert run["properties"]["org"]["per_repository"]["base2"]["status"] == "scanned"
    elif fmt == "html":
        assert result.stdout.count('<tr class="finding"') == expected
        assert '<section id="org">' in result.stdout
    else:
        for name in names:
            assert f"{name}/" in result.stdout
        assert result.stdout.count("kgtest.token") >= expected


def test_json_org_section_lists_each_repository(org: Org, rules: Path, tmp_path: Path) -> None:
    manifest = org.manifest(["base0"], extra=(str(tmp_path / "missing"),))
    result = org_cli(manifest, rules, tmp_path / "s.sqlite", "-f", "json")
    per = report(result)["org"]["per_repository"]
    assert list(per) == ["base0", "missing"]
    assert per["base0"]["status"] == "scanned" and per["base0"]["errors"] == []
    assert per["base0"]["blobs_listed"] > 0
    assert per["missing"]["status"] == "failed" and per["missing"]["blobs_listed"] == 0
    assert "no such repository" in per["missing"]["errors"][0]
    again = org_cli(manifest, rules, tmp_path / "s.sqlite", "-f", "json")
    assert report(again)["org"]["per_repository"]["base0"]["status"] == "unchanged"
    assert per_repo(report(again)) == per_repo(report(result))


def test_hostile_names_in_an_org_html_report(rules: Path, tmp_path: Path) -> None:
    from testing.gitrepo import fake_token, git_repo

    hostile = "<script>window.kg=1</script>\u202e.env"
    repo = git_repo(tmp_path, "evil<b>repo")
    repo.commit("leak", {hostile: f"T={fake_token(77)}\n", "plain.py": f"K='{fake_token(78)}'\n"})
    manifest = write_manifest(tmp_path, "org.txt", f"{repo.path}\n")
    result = org_cli(manifest, rules, tmp_path / "s.sqlite", "-f", "html")
    assert result.exit_code == 1, result.output
    html = result.stdout
    assert html.count("<script") == 1 and "<b>repo" not in html and "\u202e" not in html
    assert "&lt;script&gt;window.kg=1&lt;/script&gt;\\u202e.env" in html
    assert ">evil_b_repo</td>" in _sections(html)["org"]  # default names are sanitised
    assert fake_token(77) not in html and fake_token(78) not in html
