"""Manifest parsing: plain text and TOML, names, and errors that name file, entry and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.org.manifest import ManifestError, RepoSpec, default_name, load_manifest
from testing.orgrepos import invoke, write_manifest
from tests.casedata import table


def test_plain_text_lines_paths_urls_and_comments(tmp_path: Path) -> None:
    manifest = write_manifest(
        tmp_path,
        "org.txt",
        "# our repositories\n\nservices/api\n  /srv/mirrors/web.git  \n"
        "https://git.example.test/acme/tools.git\ngit@git.example.test:acme/infra.git\n",
    )
    specs = load_manifest(manifest)
    assert [s.name for s in specs] == ["api", "web", "acme/tools", "acme/infra"]
    assert specs[0].location == str((tmp_path / "services" / "api").resolve())
    assert specs[1].location == "/srv/mirrors/web.git" and not specs[1].is_url
    assert specs[2].is_url and specs[2].location == "https://git.example.test/acme/tools.git"
    assert specs[3].is_url
    assert all(s.revs() == ["--all"] for s in specs)


def test_toml_tables_with_per_repository_options(tmp_path: Path) -> None:
    manifest = write_manifest(
        tmp_path,
        "org.toml",
        '[[repo]]\npath = "a"\nname = "alpha"\nbranch = "main"\n\n'
        '[[repo]]\nurl = "file:///srv/b.git"\nref = "release"\nsince = "v1.0"\n',
    )
    a, b = load_manifest(manifest)
    assert a == RepoSpec("alpha", str((tmp_path / "a").resolve()), False, "main", None)
    assert a.revs() == ["main"]
    assert b.name == "srv/b" and b.is_url and b.revs() == ["v1.0..release"]


ERROR_FIELDS = ("text", "where", "key")


@pytest.mark.parametrize(ERROR_FIELDS, table("manifest", "errors", ERROR_FIELDS))
def test_toml_errors_name_file_entry_and_key(
    tmp_path: Path, text: str, where: str, key: str
) -> None:
    manifest = write_manifest(tmp_path, "org.toml", text)
    with pytest.raises(ManifestError) as info:
        load_manifest(manifest)
    message = str(info.value)
    assert message.startswith(str(manifest)), message
    assert where in message and f"`{key}`" in message, message


def test_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    bad = write_manifest(tmp_path, "org.toml", "[[repo]\npath = 'a'\n")
    result = invoke(["org", str(bad), "--state", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "invalid TOML" in result.stderr
    dup = write_manifest(tmp_path, "dup.txt", "x/repo\n\ny/repo\n")
    result = invoke(["org", str(dup), "--state", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 2
    assert f"{dup}: line 3: `name`: repository name 'repo' is already used" in result.stderr
    empty = write_manifest(tmp_path, "empty.txt", "# nothing\n")
    result = invoke(["org", str(empty), "--state", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 2 and "names no repository" in result.stderr
    result = invoke(["org", str(tmp_path / "missing.txt"), "--state", str(tmp_path / "s")])
    assert result.exit_code == 2 and "cannot read manifest" in result.stderr


@pytest.mark.parametrize(
    ("location", "is_url", "name"),
    [
        ("https://h.test/acme/api.git", True, "acme/api"),
        ("https://h.test/api", True, "api"),
        ("ssh://git@h.test:22/acme/api.git/", True, "acme/api"),
        ("git@h.test:acme/api.git", True, "acme/api"),
        ("/srv/repos/api.git", False, "api"),
        ("/srv/repos/my repo", False, "my_repo"),
    ],
)
def test_default_names(location: str, is_url: bool, name: str) -> None:
    assert default_name(location, is_url) == name
