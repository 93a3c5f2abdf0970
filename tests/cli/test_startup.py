"""The pre-commit check loads only what it uses: its own command, the one reporter it writes,
no history, verification, rotation, org or log-filter code, and rich only to print findings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testing.gitrepo import git_repo
from testing.tokens import github_token

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import sys
from scanner.cli import main
try:
    main(["git", "--staged", *sys.argv[1:]], prog_name="keyguard")
except SystemExit as exc:
    code = exc.code
import json
names = sorted(m for m in sys.modules if m.startswith(("scanner", "rich", "tomllib")))
print(json.dumps({"code": code, "modules": names}), file=sys.stderr)
"""
NEVER = (
    "scanner.verify",
    "scanner.rotation",
    "scanner.org",
    "scanner.logfilter",
    "scanner.cli.filter",
    "scanner.cli.org",
    "scanner.cli.scan",
    "scanner.cli.image",
    "scanner.cli.baseline",
    "scanner.cli.rules",
    "scanner.commands.githistory",
    "scanner.sources.gitobjects",
    "scanner.sources.gitlog",
    "scanner.reporters.html",
    "scanner.reporters.sarif",
    "scanner.reporters.jsonfmt",
    "scanner.reporters.github",
    "tomllib",  # with warm caches: no config and no rule file to read
)
DATA_ONLY = {"scanner.verify", "scanner.verify.spec"}
"""A rule's ``[rules.verify]`` table is decoded with the rule; no verifier code loads."""
CONFIRM_STAGE = (
    "scanner.confirm",
    "scanner.filters",
    "scanner.filekind",
    "scanner.assignment",
    "scanner.valuekinds",
    "scanner.validators",
    "scanner.rulebook.schema",
    "scanner.baseline",
)
"""What only a candidate rule (or a finding, a rule file to parse, a baseline or ignore file)
needs: a change that names no rule loads none of it."""


def forbidden(modules: set[str]) -> set[str]:
    return {m for m in modules if m.startswith(NEVER) and m not in DATA_ONLY}


def staged_modules(repo: Path, *args: str, warm: bool = False) -> tuple[int, set[str]]:
    """The exit code and the modules loaded; ``warm``: after a first run has filled the
    rule caches (a cold cache reads the rule files: TOML)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if warm:
        staged_modules(repo, *args)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, "-j", "1", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


@pytest.mark.parametrize("content", ["token = 1\n", "x = 1\n"], ids=["keyword", "plain"])
def test_clean_staged_check_loads_only_what_it_uses(tmp_path: Path, content: str) -> None:
    repo = git_repo(tmp_path)
    repo.stage({"a.py": content})
    code, modules = staged_modules(repo.path, warm=True)
    assert code == 0
    assert {"scanner.commands.git", "scanner.reporters.text"} <= modules
    assert not forbidden(modules), forbidden(modules)
    assert not {m for m in modules if m.startswith("rich")}  # nothing to print in colour


def test_the_confirm_stage_loads_only_for_a_candidate_rule(tmp_path: Path) -> None:
    repo = git_repo(tmp_path)
    repo.stage({"a.py": "x = 1\n"})
    code, modules = staged_modules(repo.path, warm=True)
    assert code == 0
    assert not {m for m in modules if m.startswith(CONFIRM_STAGE)}
    repo.stage({"a.env": f"GITHUB_TOKEN={github_token()}\n"})
    code, modules = staged_modules(repo.path)
    assert code == 1
    assert {"scanner.confirm", "scanner.filters", "scanner.rulebook.schema"} <= modules


def test_staged_check_with_a_finding_loads_rich_for_the_text_report(tmp_path: Path) -> None:
    repo = git_repo(tmp_path)
    repo.stage({"a.env": f"GITHUB_TOKEN={github_token()}\n"})
    code, modules = staged_modules(repo.path, warm=True)
    assert code == 1
    assert "rich.console" in modules
    assert not forbidden(modules), forbidden(modules)


def test_json_report_loads_its_reporter_only(tmp_path: Path) -> None:
    repo = git_repo(tmp_path)
    repo.stage({"a.env": f"GITHUB_TOKEN={github_token()}\n"})
    code, modules = staged_modules(repo.path, "-f", "json", warm=True)
    assert code == 1
    assert "scanner.reporters.jsonfmt" in modules
    assert not {"scanner.reporters.text", "scanner.reporters.html"} & modules
    assert not {m for m in modules if m.startswith("rich")}
