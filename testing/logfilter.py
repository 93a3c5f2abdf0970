"""Helpers for the log filter tests: a synthetic-token rule, redactors, framers."""

from __future__ import annotations

from pathlib import Path

from scanner.logfilter.findings import Report
from scanner.logfilter.framing import Framer
from scanner.logfilter.options import Control, Counters, FilterOptions
from scanner.logfilter.redactor import Redactor
from scanner.logfilter.service import build_framer
from scanner.logfilter.styles import Redaction, RedactStyle
from scanner.matcher import Matcher, MatchPolicy
from scanner.models import Finding, Origin
from scanner.rulebook.loader import load_ruleset
from testing.rules import TEST_TOKEN_RULE

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "kgt_Fk7Qz2Lm9Wx4Rt6Yp3Nb8Vc1"
TOKEN2 = "kgt_Ab3Cd5Ef7Gh9Jk2Mn4Pq6Rs8"
RULES = TEST_TOKEN_RULE

Reported = list[tuple[Finding, int]]


def make_redactor(
    rules_file: Path, style: RedactStyle = RedactStyle.MASK, decode_depth: int = 0
) -> Redactor:
    ruleset = load_ruleset([rules_file], builtin=False)
    policy = MatchPolicy(ignore_inline_allow=True, decode_depth=decode_depth)
    matcher = Matcher.build(ruleset, policy)
    return Redactor(matcher, Redaction(style), Origin("<test>", kind="log"))


def make_framer(
    rules_file: Path, control: Control | None = None, **opts: object
) -> tuple[Framer, Counters, Reported]:
    style = opts.pop("style", RedactStyle.MASK)
    assert isinstance(style, RedactStyle)
    options = FilterOptions(redaction=Redaction(style), **opts)  # type: ignore[arg-type]
    counters = Counters()
    reported: Reported = []
    report: Report = reported.extend
    framer = build_framer(make_redactor(rules_file, style), options, counters, report, control)
    return framer, counters, reported


def run_all(framer: Framer, data: bytes, step: int = 0) -> bytes:
    if not step:
        return framer.feed(data) + framer.feed(b"", final=True)
    out = [framer.feed(data[i : i + step]) for i in range(0, len(data), step)]
    return b"".join(out) + framer.feed(b"", final=True)
