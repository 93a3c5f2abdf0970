#!/usr/bin/env python3
"""Where one keyguard run spends its time: CPU seconds inside each scan stage.

Usage::

    python bench/stages.py scan /tmp/corpus/DEST/tree -q -j 1 -f json -o /dev/null
    python bench/stages.py git REPO -q -j 1 -f json -o /dev/null

Runs the CLI in this process (use ``-j 1``: worker processes are not timed) with CPU-time
(``time.process_time``, so a shared machine does not inflate the figures) timers wrapped
around the Hyperscan passes, confirmation, the generic assessment, unescaping and decoded
segments, then prints the totals (nested stages are included in their parents).
"""

from __future__ import annotations

import atexit
import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner import confirm, matcher, prefilter  # noqa: E402
from scanner.engine import pool, unit  # noqa: E402

TOTALS: dict[str, float] = {}


def timed(owner: Any, name: str, label: str) -> None:
    inner: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(inner)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            TOTALS[label] = TOTALS.get(label, 0.0) + time.process_time() - start

    setattr(owner, name, wrapper)


def main() -> None:
    timed(prefilter.HyperscanPrefilter, "candidates", "hyperscan pass")
    timed(prefilter.HyperscanPrefilter, "locate", "hyperscan locator")
    timed(matcher.Matcher, "scan", "matcher (all)")
    timed(matcher.Matcher, "_scan_decoded", "decoded segments")
    timed(confirm, "_confirm", "confirmation")
    timed(confirm, "_assess", "generic assessment")
    timed(matcher, "unescape_near_escapes", "unescaping")
    timed(pool, "scan_blob", "per blob (all)")
    timed(unit, "expand", "extract and chunk")
    began = time.process_time()

    def report() -> None:
        total = time.process_time() - began
        print(f"total {total:.2f} s", file=sys.stderr)
        for label, seconds in sorted(TOTALS.items(), key=lambda kv: -kv[1]):
            print(f"  {label:20} {seconds:6.2f} s", file=sys.stderr)

    atexit.register(report)
    from scanner.cli import main as cli

    sys.argv = ["keyguard", *sys.argv[1:]]
    cli()


if __name__ == "__main__":
    main()
