"""bench/accuracy.py's rendering and counting helpers (no download, no scan)."""

from __future__ import annotations

import importlib.util
import json
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kg_bench_accuracy", ROOT / "bench/accuracy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


acc = _load()
SECRET = "Kq7vFakeKeyGuard2xT9pL4w"
ASSIGNED = acc.Case("acme.token", 0, True, f'ACME_API_TOKEN = "{SECRET}"', SECRET)
EMBEDDED = acc.Case("acme.token", 1, True, f"curl -H 'X-Acme: {SECRET}'\nsecond line", SECRET)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ACME_KEY=abc123", ("ACME_KEY", "abc123")),
        ('export ACME_KEY="abc 123"', ("ACME_KEY", "abc 123")),
        ('  "acmeKey": "abc123",', ("acmeKey", "abc123")),
        ("acme.key: 'abc123'", ("acme.key", "abc123")),
        ("const key = `abc123`;", ("key", "abc123")),
        ("ACME_KEY=abc 123", None),
        ("acme:\n  key: abc123", None),
        ("curl -u user:pass https://host.invalid/", None),
    ],
)
def test_parse_assignment(text: str, expected: tuple[str, str] | None) -> None:
    assert acc.parse_assignment(text) == expected


def test_parse_assignment_of_a_positive_needs_its_secret_as_the_value() -> None:
    assert acc.parse_assignment('KEY = "abc123"', "abc123") == ("KEY", "abc123")
    assert acc.parse_assignment('KEY = "abc123"', "zzz999") is None


@pytest.mark.parametrize("syntax", list(acc.SYNTAXES))
@pytest.mark.parametrize("case", [ASSIGNED, EMBEDDED], ids=["assigned", "embedded"])
def test_every_syntax_keeps_the_secret(syntax: str, case: object) -> None:
    text = acc.render(syntax, case)
    assert any(form in text for form in acc.secret_forms(SECRET)), text


def test_assignments_keep_their_name_and_structured_syntaxes_parse() -> None:
    assert acc.render("env", ASSIGNED) == f"ACME_API_TOKEN={SECRET}\n"
    assert json.loads(acc.render("json", ASSIGNED))["ACME_API_TOKEN"] == SECRET
    assert tomllib.loads(acc.render("toml", ASSIGNED))["service"]["ACME_API_TOKEN"] == SECRET
    assert tomllib.loads(acc.render("toml", EMBEDDED))["service"]["snippet"] == EMBEDDED.text
    root = ET.fromstring(acc.render("xml", EMBEDDED).split("\n", 1)[1])
    assert root.find("add").text == EMBEDDED.text  # type: ignore[union-attr]
    notebook = json.loads(acc.render("notebook", ASSIGNED))
    assert SECRET in "".join(notebook["cells"][0]["source"])
    assert "export const ACME_API_TOKEN: string" in acc.render("ts (typed)", ASSIGNED)
    assert "--acme-api-token" in acc.render("cli flag", ASSIGNED)
    assert "X-Acme-Api-Token:" in acc.render("http header", ASSIGNED)
    query = urlsplit(acc.render("url query", EMBEDDED).split()[1]).query
    assert parse_qs(query)["snippet"] == [EMBEDDED.text]
    assert "\\n" in acc.render("log line", EMBEDDED)
    assert "- name: ACME_API_TOKEN" in acc.render("k8s manifest", ASSIGNED)


def test_is_hit_accepts_escaped_forms_and_overlapping_spans_only() -> None:
    assert acc.is_hit("p@ss/w+rd=1", ["p%40ss%2Fw%2Brd%3D1"])
    assert acc.is_hit(SECRET, [SECRET + "\\n"])  # a rule that took a trailing escape
    assert acc.is_hit(SECRET, [SECRET[:12]])
    assert not acc.is_hit(SECRET, ["Kq7v"])  # too short to count
    assert not acc.is_hit(SECRET, ["somethingElse123"])
    assert not acc.is_hit(SECRET, [])


def test_score_examples_counts_recall_and_false_alarms(tmp_path: Path) -> None:
    syntaxes = ["env", "json"]
    neg = acc.Case("acme.token", 0, False, "ACME_API_TOKEN=${TOKEN}")
    index = acc.write_cases([ASSIGNED, neg], tmp_path, syntaxes)
    assert len(index) == 4
    paths = {(Path(p).parent.parent.name, c.positive): p for p, c in index.items()}
    findings = [
        {"path": paths[("s00", True)], "rule_id": "acme.token", "secret": SECRET},
        {"path": paths[("s01", True)], "rule_id": "generic.api-key", "secret": SECRET},
        {"path": paths[("s01", False)], "rule_id": "generic.api-key", "secret": "${TOKEN}"},
    ]
    scores = acc.score_examples(index, findings, syntaxes)
    env, js = scores["env"], scores["json"]
    assert (env.positives, env.found, env.found_by_rule, env.false_alarms) == (1, 1, 1, 0)
    assert (js.positives, js.found, js.found_by_rule) == (1, 1, 0)
    assert (js.negatives, js.false_alarms, js.same_rule_alarms) == (1, 1, 0)
    assert js.alarms == ["acme.token#n0 <- generic.api-key"]
    table = "\n".join(acc.examples_table(scores))
    assert "| **all** | 2 | 100.0% (2) | 50.0% | 2 | 50.0% (1) | 0.0% (0) |" in table


def test_results_section_is_appended_to_accuracy(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmarks\n\n## scan\n\nold scan\n")
    acc.write_results(path, "\n### run 1\n")
    acc.write_results(path, "\n### run 2\n")
    text = path.read_text()
    assert text.index("## scan") < text.index("## accuracy") < text.index("### run 1")
    assert text.index("### run 1") < text.index("### run 2")
    assert text.count("## accuracy") == 1


def test_cached_sdist_matches_normalised_names(tmp_path: Path) -> None:
    (tmp_path / "sentry_sdk-2.75.0.tar.gz").write_bytes(b"")
    (tmp_path / "nats_py-2.16.0.tar.gz").write_bytes(b"")
    assert acc.cached_sdist(tmp_path, "sentry-sdk==2.75.0").name == "sentry_sdk-2.75.0.tar.gz"
    assert acc.cached_sdist(tmp_path, "nats-py==2.16.0") is not None
    assert acc.cached_sdist(tmp_path, "nats-py==2.15.0") is None
    assert all("==" in pin for pin in acc.PINS) and 15 <= len(acc.PINS) <= 25
