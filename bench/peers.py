"""Command lines of the peer scanners the benchmarks run beside keyguard (binaries from
``../shared/peers/setup.sh``, in one directory, ``--peers``): one place for their flags.

Every command is quiet, exits 0 whatever it finds, never reaches the network (no update
checks, no validation) and, given ``report``, writes JSON there. ``extra`` flags go last.
The benchmark scripts import this module from beside them (``sys.path``), also when a test
loads a script by its path.
"""

from __future__ import annotations

from pathlib import Path


def gitleaks(
    peers: Path, mode: str, target: str | Path, report: Path | None = None, *extra: str
) -> list[str]:
    """``gitleaks dir|git TARGET``."""
    return [
        str(peers / "gitleaks"),
        mode,
        str(target),
        "--no-banner",
        "--no-color",
        "--exit-code",
        "0",
        *(["--report-format", "json", "--report-path", str(report)] if report else []),
        *extra,
    ]


def kingfisher(peers: Path, target: str | Path, report: Path, *extra: str) -> list[str]:
    """``kingfisher scan TARGET`` (a directory, or a ``.git`` directory for history)."""
    return [
        str(peers / "kingfisher"),
        "scan",
        str(target),
        *extra,
        "--no-validate",
        "--no-update-check",
        "-f",
        "json",
        "-o",
        str(report),
        "-q",
    ]


def betterleaks(peers: Path, target: str | Path, report: Path) -> list[str]:
    """``betterleaks fs TARGET``."""
    return [
        str(peers / "betterleaks"),
        "fs",
        str(target),
        "--no-banner",
        "--no-color",
        "-s",
        "--exit-code=0",
        "-o",
        str(report),
    ]
