"""A config found in the scanned tree is data: a rule file it names that is missing or broken
is a one-line warning naming the config and the rule file, and the scan goes on. The same file
given by the caller (``--config``, ``--rules``) is still a user error (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scanner.cli import main
from testing.gitrepo import git_repo
from testing.rules import token_rule
from testing.servers import only_test_rules

OWN = token_rule("kgown.token", "kgown_", "[a-z]{8}", "kgown_fakeabcd")
GOOD = token_rule("kgtree.token", "kgtree_", "[a-z]{8}", "kgtree_fakeabcd")
BROKEN = {
    "missing": None,
    "toml": "[[rules]\nid = ",
    "pattern": GOOD.replace("(kgtree_", "((kgtree_"),
    "schema": '[[rules]]\nid = "kgtree.schema"\n',
    "taken-id": GOOD.replace('"kgtree.token"', '"kgown.token"'),
}


@pytest.fixture(autouse=True)
def _rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    only_test_rules(monkeypatch, tmp_path)  # the caller's rules: --rules own.toml (below)


def scan(tree: Path, *args: str, own: bool = True) -> Result:
    rules = ["--rules", str(tree.parent / "own.toml")] if own else []
    return CliRunner().invoke(main, ["scan", str(tree), "-j", "1", "--no-color", *rules, *args])


def project(tmp_path: Path, broken: str | None, rules: list[str]) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tmp_path / "own.toml").write_text(OWN)
    (tree / "app.env").write_text("A=kgown_fakeabcd\nB=kgtree_fakeabcd\n")
    if broken is not None:
        (tree / "bad.toml").write_text(broken)
    (tree / "good.toml").write_text(GOOD)
    names = ", ".join(f'"{name}"' for name in rules)
    (tree / ".keyguard.toml").write_text(f"rules = [{names}]\n")
    return tree


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_rule_file_named_in_tree_is_a_warning(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = project(tmp_path, BROKEN[kind], ["bad.toml", "good.toml"])
    monkeypatch.chdir(tmp_path)
    result = scan(tree, "-f", "json")
    assert result.exit_code == 1, result.output
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1, result.stderr
    (line,) = warnings
    assert line.startswith(f"keyguard: warning: {tree / '.keyguard.toml'}: rule file ")
    assert f"{tree / 'bad.toml'} ignored" in line
    # the caller's rules and the good in-tree rule file still run
    assert '"kgown.token"' in result.stdout
    assert '"kgtree.token"' in result.stdout


def test_healthy_in_tree_rule_files_give_no_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = project(tmp_path, None, ["good.toml"])
    monkeypatch.chdir(tmp_path)
    result = scan(tree, "-f", "json")
    assert result.exit_code == 1, result.output
    assert "warning" not in result.stderr
    assert '"kgtree.token"' in result.stdout


@pytest.mark.parametrize("kind", ["missing", "toml", "taken-id"])
def test_same_rule_file_from_explicit_config_is_a_user_error(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = project(tmp_path, BROKEN[kind], ["bad.toml"])
    monkeypatch.chdir(tmp_path)
    result = scan(tree, "--config", str(tree / ".keyguard.toml"))  # taken: by own.toml
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("keyguard: error: ")
    assert str(tree / "bad.toml") in result.stderr


def test_broken_caller_rules_stay_an_error_next_to_an_in_tree_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = project(tmp_path, BROKEN["toml"], ["bad.toml", "good.toml"])
    own = tmp_path / "own.toml"
    own.write_text(BROKEN["toml"])
    monkeypatch.chdir(tmp_path)
    result = scan(tree)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()  # the caller's file, not the broken in-tree one
    assert line.startswith(f"keyguard: error: {own}: invalid TOML")


def test_staged_check_goes_on_past_a_broken_in_tree_rule_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = git_repo(tmp_path, "r")
    (tmp_path / "own.toml").write_text(OWN)
    repo.write(".keyguard.toml", 'rules = ["missing.toml"]\n')
    repo.stage({"a.env": "A=kgown_fakeabcd\n"})
    monkeypatch.chdir(repo.path)
    args = ["git", "--staged", "-j", "1", "--rules", str(tmp_path / "own.toml")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert f"rule file {repo.path / 'missing.toml'} ignored" in result.stderr


# -- what a tree's rule selection costs -----------------------------------------------------------

OTHER = token_rule("kgother.token", "kgother_", "[a-z]{8}", "kgother_fakeabcd")


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of rules in each Hyperscan database compiled from now on."""
    import scanner.hsprefilter as hsprefilter

    sizes: list[int] = []
    real = hsprefilter.compile_rules

    def spy(hs: object, forms: list[object], *rest: object) -> object:
        sizes.append(len(forms))
        return real(hs, forms, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(hsprefilter, "compile_rules", spy)
    return sizes


@pytest.mark.parametrize(
    "config",
    [
        'rules = ["good.toml"]\n',
        'rules = ["good.toml", "other.toml"]\ndisable = ["kgother.*"]\n',
        'disable = ["kgnever.*"]\n',
        'rules = ["good.toml"]\nonly = ["kgtree.*", "kgown.*"]\n',
        'rules = ["good.toml"]\nonly = ["kgtree.*"]\n',
    ],
    ids=["adds", "adds-and-disables", "disables", "only", "only-its-own"],
)
def test_tree_rule_selection_compiles_and_caches_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str
) -> None:
    # each rule set a tree's config made had its own Hyperscan database: the whole pack compiled
    # again (minutes) and 45 MB more cached, for every commit that changed the selection
    cache = tmp_path / "cache"
    monkeypatch.setenv("KEYGUARD_CACHE_DIR", str(cache))
    tree = project(tmp_path, OTHER, ["good.toml"])
    (tree / ".keyguard.toml").unlink()
    (tree / "app.env").write_text("A=kgown_fakeabcd\nB=kgtree_fakeabcd\nC=kgother_fakeabcd\n")
    monkeypatch.chdir(tmp_path)
    assert scan(tree, "--engine", "hyperscan").exit_code == 1  # the caller's rules: compiled
    cached = sorted(p.name for p in cache.iterdir())
    compiled = _compiles(monkeypatch)
    (tree / ".keyguard.toml").write_text(config.replace("other.toml", "bad.toml"))
    result = scan(tree, "--engine", "hyperscan", "-f", "json", "--show-secrets")
    assert result.exit_code == 1, result.output
    assert compiled == []
    assert sorted(p.name for p in cache.iterdir()) == cached
    found = {(f["rule_id"], Path(f["path"]).name) for f in json.loads(result.stdout)["findings"]}
    expected = set() if "only" in config and "kgown" not in config else {("kgown.token", "app.env")}
    if "good.toml" in config:
        expected |= {("kgtree.token", "app.env"), ("kgtree.token", "good.toml")}
    assert found == expected  # disabled, left out or never named: kgother is not reported


def test_encoded_secrets_are_still_decoded_when_the_tree_selects_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the caller's prefilter's decoder triggers come after the scan's rules, not its own; the
    # tree's rules have triggers of their own
    import base64

    monkeypatch.setenv("KEYGUARD_CACHE_DIR", str(tmp_path / "cache"))
    tree = project(tmp_path, None, ["good.toml"])
    own = base64.b64encode(b"the caller's: kgown_bsixfour\n").decode()
    theirs = base64.b64encode(b"the tree's: kgtree_bsixfour\n").decode()
    (tree / "app.env").write_text(f"OWN={own}\n")
    (tree / "tree.env").write_text(f"TREE={theirs}\n")  # none of the caller's triggers
    monkeypatch.chdir(tmp_path)
    result = scan(tree, "--engine", "hyperscan", "-f", "json", "--show-secrets")
    assert result.exit_code == 1, result.output
    found = {(Path(f["path"]).name, f["secret"]) for f in json.loads(result.stdout)["findings"]}
    assert ("app.env", "kgown_bsixfour") in found
    assert ("tree.env", "kgtree_bsixfour") in found
