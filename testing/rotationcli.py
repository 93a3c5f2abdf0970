"""Rotation tests' project builder: a scanned folder, a one-entry rotation config, the CLI."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from scanner.cli import main
from testing.servers import rotation_scan_args


def toml_value(value: Any) -> str:
    """``value`` as TOML: JSON scalars and arrays are TOML too; dicts become inline tables."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def rotation_project(tmp_path: Path, files: Mapping[str, str], **keys: Any) -> list[str]:
    """CLI args that scan ``tmp_path/src`` holding ``files`` (name -> text) with the test rule
    and one ``[[rotation]]`` entry of ``keys`` (``rules`` defaults to the test rule)."""
    src = tmp_path / "src"
    src.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (src / name).write_text(text, encoding="utf-8")
    entry = {"rules": ["kgtest.*"], **keys}
    lines = ["[[rotation]]", *(f"{k} = {toml_value(v)}" for k, v in entry.items())]
    return rotation_scan_args(tmp_path, src, "\n".join(lines) + "\n")


def keyguard(args: list[str], *extra: str) -> Result:
    return CliRunner().invoke(main, [*args, *extra])
