"""Coverage-guided fuzzing of one target with atheris (libFuzzer for Python).

    pip install -e '.[fuzz]'
    python -m tests.fuzz.run --list
    python -m tests.fuzz.run zip                       # until a crash or Ctrl-C
    python -m tests.fuzz.run notebook -- -max_total_time=300 -jobs=4

The corpus lives in ``.fuzz-corpus/TARGET`` (created and seeded from the target's seeds, which
include files from ``fixtures/``); crashes are written by libFuzzer to the current directory
(``crash-<sha1>``). Replay one with ``python -m tests.fuzz.run TARGET crash-<sha1>``.
Everything after ``--`` goes to libFuzzer unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
from pathlib import Path

CORPUS = Path(".fuzz-corpus")


def _seed_corpus(name: str) -> Path:
    from .targets import TARGETS

    directory = CORPUS / name
    directory.mkdir(parents=True, exist_ok=True)
    for seed in TARGETS[name].seeds():
        (directory / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    return directory


def _import_all() -> None:
    import importlib
    import pkgutil

    import scanner

    for module in pkgutil.walk_packages(scanner.__path__, "scanner."):
        # ImportError: an optional dependency (hyperscan, zstandard) is missing
        with contextlib.suppress(ImportError):
            importlib.import_module(module.name)


def main(argv: list[str]) -> int:
    if "--" in argv:
        cut = argv.index("--")
        args, libfuzzer = argv[:cut], argv[cut + 1 :]
    else:
        args, libfuzzer = argv, []
    from .targets import TARGETS, run_one

    if not args or args[0] in ("-h", "--help", "--list"):
        print(__doc__)
        print("targets: " + ", ".join(sorted(TARGETS)))
        return 0
    name = args[0]
    if name not in TARGETS:
        print(f"unknown target {name!r}; one of: {', '.join(sorted(TARGETS))}", file=sys.stderr)
        return 2
    if len(args) > 1:  # replay inputs (crash files) without atheris
        for path in args[1:]:
            run_one(name, Path(path).read_bytes())
            print(f"{path}: ok")
        return 0
    try:
        import atheris
    except ImportError:
        print("atheris is not installed: pip install -e '.[fuzz]'", file=sys.stderr)
        return 2
    corpus = _seed_corpus(name)
    with atheris.instrument_imports():
        _import_all()  # instrument every keyguard module (targets import them lazily)
    atheris.Setup([sys.argv[0], str(corpus), *libfuzzer], lambda data: run_one(name, data))
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
