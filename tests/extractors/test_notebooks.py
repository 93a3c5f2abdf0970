"""Notebooks: every cell part is scanned, findings name cell/output/line, bad JSON degrades."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from testing.artifacts import (
    ENGINE,
    by_secret,
    fake_key,
    find_planted,
    isolate_rules,
    notebook_v3,
    notebook_v4,
    raw_line_of,
    scan_api,
    scan_json,
    scan_problems,
    secrets_of,
)


def test_notebook_v4_every_part_found_with_cell_and_raw_line(tmp_path: Path, rules: Path) -> None:
    nb = tmp_path / "analysis.ipynb"
    keys = notebook_v4(nb)
    code, report = scan_json("--rules", rules, "--show-secrets", nb)
    assert code == 1
    assert secrets_of(report) == set(keys.values())
    for key in keys.values():
        assert by_secret(report, key)["line"] == raw_line_of(nb, key)
    expected = {
        "source": {"cell": "2", "cell_type": "code"},
        "stream": {"cell": "2", "output": "1", "output_type": "stream"},
        "display": {"output": "2", "output_type": "display_data", "mime": "text/plain"},
        "json": {"output": "2", "mime": "application/json"},
        "error": {"output": "3", "output_type": "error", "part": "traceback"},
        "attachment": {"cell": "1", "cell_type": "markdown", "attachment": "note.txt"},
        "metadata": {"part": "metadata"},
        "cellmeta": {"cell": "2", "part": "metadata"},
    }
    for place, detail in expected.items():
        provenance = by_secret(report, keys[place])["provenance"]
        assert detail.items() <= provenance.items(), (place, provenance)
    assert "cell" not in by_secret(report, keys["metadata"])["provenance"]
    assert report["problems"] == []


def test_notebook_finding_names_line_within_cell(tmp_path: Path, rules: Path) -> None:
    nb = tmp_path / "cells.ipynb"
    keys = notebook_v4(nb)
    result = scan_api(nb, rules)
    found = {f.secret.reveal(): f for f in result.findings}
    source = found[keys["source"]]
    assert source.position.chunk_line == 3  # API = "..." is the third line of the cell
    assert source.position.line == raw_line_of(nb, keys["source"])
    stream = found[keys["stream"]]
    assert stream.position.chunk_line == 2
    assert dict(stream.origin.detail)["output"] == "1"


def test_notebook_v3_worksheets_input_and_pyout(tmp_path: Path, rules: Path) -> None:
    nb = tmp_path / "old.ipynb"
    keys = notebook_v3(nb)
    found = find_planted(rules, nb, keys)
    assert found["input"]["provenance"]["cell"] == "2"
    assert found["pyout"]["provenance"]["output_type"] == "pyout"
    assert found["markdown"]["provenance"]["cell_type"] == "markdown"
    for name, key in keys.items():
        assert found[name]["line"] == raw_line_of(nb, key)


def _single_string_notebook(source: str, outputs: list[object] | None = None) -> str:
    cell = {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "source": source,
        "outputs": outputs or [],
    }
    doc = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}
    return json.dumps(doc, indent=1)


def test_json_escaped_single_string_source(tmp_path: Path, rules: Path) -> None:
    key = fake_key("escaped")
    nb = tmp_path / "escaped.ipynb"
    nb.write_text(_single_string_notebook(f'x = 1\nTOKEN = "{key}"\nprint(TOKEN)\n'))
    assert '\\"kgtest_' in nb.read_text()  # the key sits inside \"...\" with \n around it
    result = scan_api(nb, rules)
    (finding,) = result.findings
    assert finding.secret.reveal() == key
    assert finding.position.chunk_line == 2
    assert finding.position.line == raw_line_of(nb, key)


def test_builtin_rules_find_openai_key_in_escaped_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    isolate_rules(monkeypatch, tmp_path, "openai.toml", "model.toml")
    key = "sk-M0XvqFakeKeyGuardZjxT3BlbkFJW3xvboSRt5Mh3dAwVtRM"
    nb = tmp_path / "llm.ipynb"
    nb.write_text(_single_string_notebook(f'import openai\nopenai.api_key=\\"{key}\\"\n'))
    _, report = scan_json("--show-secrets", nb)
    assert key in {f["secret"] for f in report["findings"] if f["rule_id"].startswith("openai.")}


def test_image_payloads_are_not_scanned(tmp_path: Path, rules: Path) -> None:
    hidden = fake_key("in-png")
    shown = fake_key("in-text")
    png = base64.b64encode(f"not really a png {hidden} padding".encode()).decode()
    output = {
        "output_type": "display_data",
        "metadata": {},
        "data": {"image/png": png, "image/jpeg": png, "text/plain": [f"shown {shown}"]},
    }
    nb = tmp_path / "plots.ipynb"
    nb.write_text(_single_string_notebook("plot()", [output]))
    _, report = scan_json("--rules", rules, "--show-secrets", nb)
    assert secrets_of(report) == {shown}


def test_invalid_json_falls_back_to_text_with_warning(tmp_path: Path, rules: Path) -> None:
    key = fake_key("broken")
    nb = tmp_path / "broken.ipynb"
    text = _single_string_notebook(f"setup()\nkey={key}\n")
    nb.write_text(text[: text.index(key) + len(key) + 8])  # cut mid-document
    code, report = scan_json("--rules", rules, "--show-secrets", nb)
    assert code == 1
    assert any("broken.ipynb" in p and "invalid notebook JSON" in p for p in report["problems"])
    finding = by_secret(report, key)  # found although preceded by an escaped \n
    assert finding["line"] == raw_line_of(nb, key)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_notebook_is_read_as_a_notebook(tmp_path: Path, rules: Path, encoding: str) -> None:
    # decoded as UTF-8, it was "invalid notebook JSON; scanned as plain text" and the plain
    # text (a NUL after every character) showed no secret at all
    key = fake_key(encoding)
    nb = tmp_path / "wide.ipynb"
    doc = {"cells": [{"cell_type": "code", "source": f"key={key}\n", "outputs": []}]}
    nb.write_bytes(json.dumps({**doc, "nbformat": 4}).encode(encoding))
    code, report = scan_json("--rules", rules, "--show-secrets", nb)
    assert code == 1
    assert report["problems"] == []
    assert by_secret(report, key)["provenance"]["cell"] == "1"


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.1])
def test_truncated_and_corrupted_notebooks_warn_never_crash(
    tmp_path: Path, rules: Path, cut: float
) -> None:
    good = tmp_path / "good.ipynb"
    notebook_v4(good)
    data = good.read_bytes()
    (tmp_path / "cut.ipynb").write_bytes(data[: int(len(data) * cut)])
    (tmp_path / "binary.ipynb").write_bytes(b"\x00\xff" * 100)
    (tmp_path / "list.ipynb").write_text("[1, 2, 3]")
    (tmp_path / "deep.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    good.unlink()
    problems = scan_problems("--rules", rules, tmp_path)
    for name in ("cut.ipynb", "list.ipynb", "deep.ipynb"):
        assert name in problems


def test_git_history_and_staged_scan_notebooks_and_pickles(tmp_path: Path, rules: Path) -> None:
    from click.testing import CliRunner

    from scanner.cli import main
    from testing.artifacts import malicious_pickle, plain_pickle
    from testing.gitrepo import git_repo

    work = tmp_path / "build"
    work.mkdir()
    nb_keys = notebook_v4(work / "nb.ipynb")
    pkl_key = plain_pickle(work / "state.pkl", 4)
    malicious_pickle(work / "evil.pkl", tmp_path / "pwned")
    repo = git_repo(tmp_path)
    repo.commit("add notebook", {"notebooks/nb.ipynb": (work / "nb.ipynb").read_bytes()})
    repo.stage(
        {
            "models/state.pkl": (work / "state.pkl").read_bytes(),
            "models/evil.pkl": (work / "evil.pkl").read_bytes(),
        }
    )
    runner = CliRunner()
    args = ["--format", "json", "--show-secrets", "--rules", str(rules), "--engine", ENGINE]
    history = runner.invoke(main, ["git", *args, str(repo.path)])
    assert history.exit_code == 1, history.output
    report = json.loads(history.stdout[history.stdout.index("{") :])
    assert secrets_of(report) == set(nb_keys.values())
    finding = by_secret(report, nb_keys["source"])
    assert finding["provenance"]["cell"] == "2"
    assert finding["provenance"]["commit"]
    staged = runner.invoke(main, ["git", "--staged", *args, str(repo.path)])
    assert staged.exit_code == 1, staged.output
    report = json.loads(staged.stdout[staged.stdout.index("{") :])
    assert pkl_key in secrets_of(report)
    assert {f["secret"] for f in report["findings"] if f["rule_id"] == "model.unsafe-pickle"} == {
        "builtins.exec"
    }
    assert not (tmp_path / "pwned").exists()


def test_minified_notebook_still_names_cells(tmp_path: Path, rules: Path) -> None:
    pretty = tmp_path / "pretty.ipynb"
    keys = notebook_v4(pretty)
    minified = tmp_path / "mini.ipynb"
    minified.write_text(json.dumps(json.loads(pretty.read_text()), separators=(",", ":")))
    pretty.unlink()
    result = scan_api(minified, rules)
    found = {f.secret.reveal(): f for f in result.findings}
    assert set(found) == set(keys.values())
    assert all(f.position.line == 1 for f in found.values())
    assert found[keys["source"]].position.chunk_line == 3
    assert dict(found[keys["stream"]].origin.detail)["output"] == "1"


def test_metadata_of_notebook_cell_and_output_each_a_chunk() -> None:
    from scanner.extractors.notebooks import iter_notebook_chunks
    from scanner.models import Origin

    output = {"output_type": "stream", "name": "stdout", "text": "", "metadata": {"o": "3"}}
    cell = {"cell_type": "code", "source": "", "metadata": {"c": "2"}, "outputs": [output]}
    doc = {"metadata": {"n": "1"}, "cells": [cell, {"cell_type": "raw", "metadata": []}]}
    chunks = [(c.text, c.origin.detail_dict()) for c in iter_notebook_chunks(doc, Origin("nb"))]
    assert chunks == [
        ("n: 1", {"part": "metadata"}),
        ("c: 2", {"cell": "1", "cell_type": "code", "part": "metadata"}),
        (
            "o: 3",
            {
                "cell": "1",
                "cell_type": "code",
                "output": "1",
                "output_type": "stream",
                "part": "metadata",
            },
        ),
    ]
