"""Damaged copies of test files, for checks that a broken input is a warning, not a crash."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

Damage = Callable[[bytes], bytes]


def first_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def damaged_copies(src: Path, dest: Path, damages: Mapping[str, Damage]) -> list[str]:
    """A copy of every file of ``src`` in ``dest`` (made) per damage, named
    ``<damage>-<file name>``; the names written."""
    dest.mkdir()
    names = []
    for file in sorted(src.iterdir()):
        data = file.read_bytes()
        for label, damage in damages.items():
            name = f"{label}-{file.name}"
            (dest / name).write_bytes(damage(data))
            names.append(name)
    return names
