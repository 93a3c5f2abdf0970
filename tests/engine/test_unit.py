"""One blob's scan: a rule that is slow on a hostile file is given a bounded time for the whole
file, not a fresh one for each of its chunks."""

from __future__ import annotations

import time

import pytest

from scanner.blob import Blob
from scanner.engine.unit import scan_blob
from scanner.extractors import Limits
from scanner.matcher import Matcher
from scanner.models import Origin
from scanner.rulebook.loader import load_ruleset
from testing.scan import ENGINES, build
from testing.tokens import github_token

TOKEN = github_token()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_rule_slow_on_one_file_stops_there_and_the_rest_is_scanned(
    engine: str, session_cache: object
) -> None:
    # "password=" a million times: generic.password tried at every keyword, ~4 s a 1 MiB chunk,
    # each chunk under the per-chunk limit, so a 100 MB file took minutes
    matcher: Matcher = build(load_ruleset(only=["generic.password", "github.*"]), engine)
    text = "password=" * 400_000 + f"\nGITHUB_TOKEN={TOKEN}\n"
    blob = Blob.from_bytes(text.encode(), Origin("hostile.env"), "hostile.env")
    # CPU time, like the rule clock itself: a loaded machine must not fail this hang guard
    started = time.process_time()
    result = scan_blob(blob, matcher, Limits(max_rule_seconds=0.3))
    elapsed = time.process_time() - started
    messages = [p.message for p in result.problems]
    assert any("rule generic.password spent more than 0.3 s" in m for m in messages), messages
    assert [f.secret.reveal() for f in result.findings] == [TOKEN]
    assert elapsed < 8
