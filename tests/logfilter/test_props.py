"""Property tests: one record out per record in, and redaction is idempotent."""

from __future__ import annotations

import json
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.logfilter.framing import Framer
from scanner.logfilter.jsonwalk import Pairs
from scanner.logfilter.options import Counters, FilterOptions
from scanner.logfilter.redactor import Redactor
from scanner.logfilter.service import build_framer
from scanner.logfilter.styles import Redaction, RedactStyle
from scanner.matcher import Matcher, MatchPolicy
from scanner.models import Origin
from scanner.prefilter import build_prefilter
from scanner.rulebook.loader import load_ruleset
from testing.rules import TEST_TOKEN_RULE, rule_toml

msgpack: ModuleType | None
try:
    import msgpack
except ImportError:  # the fluentd extra
    msgpack = None

RULES = TEST_TOKEN_RULE + rule_toml(
    "test.assign",
    r"(?i)pass=([A-Za-z0-9_\-]{10,40})",
    keywords=["pass="],
    examples=["pass=Zq8Wm3Lk9Vx2"],
    negatives=["pass=short"],
    name="Test assignment",
    description="A generic-looking rule: a value after pass= (to mix overlapping rules).",
    confidence="low",
    min_entropy=2.5,
)
TOKENS = ["kgt_Fk7Qz2Lm9Wx4Rt6Yp3Nb8Vc1", "kgt_Ab3Cd5Ef7Gh9Jk2Mn4Pq6Rs8", "pass=Zq8Wm3Lk9Vx2"]


@pytest.fixture(scope="module")
def redactors(tmp_path_factory: pytest.TempPathFactory) -> dict[RedactStyle, Redactor]:
    path = tmp_path_factory.mktemp("rules") / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    ruleset = load_ruleset([path], builtin=False)
    matcher = Matcher(
        ruleset, build_prefilter(ruleset), MatchPolicy(ignore_inline_allow=True, decode_depth=0)
    )
    origin = Origin("<prop>", kind="log")
    return {style: Redactor(matcher, Redaction(style), origin) for style in RedactStyle}


def framer_for(redactor: Redactor, fmt: str, **opts: object) -> tuple[Framer, Counters]:
    options = FilterOptions(fmt=fmt, redaction=redactor.policy, **opts)  # type: ignore[arg-type]
    counters = Counters()
    return build_framer(redactor, options, counters, lambda items: None), counters


def run(framer: Framer, data: bytes, step: int) -> bytes:
    out = [framer.feed(data[i : i + step]) for i in range(0, len(data), step)]
    return b"".join(out) + framer.feed(b"", final=True)


pieces = st.one_of(
    st.sampled_from(TOKENS).map(lambda t: f" {t} "),
    st.sampled_from([" ", "\t", "\r", "=", '"', "\\", "ü", "\x00", "kgt_", "pass="]),
    st.text(alphabet="abcXYZ0189_-", min_size=1, max_size=12),
)
line_text = st.lists(pieces, max_size=8).map("".join)
raw_line = st.one_of(
    line_text.map(lambda t: t.encode("utf-8")),
    st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"")),
)
fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def records(lines: list[bytes], terminated: bool) -> bytes:
    return b"".join(line + b"\n" for line in lines) if terminated else b"\n".join(lines)


@fast
@given(
    lines=st.lists(raw_line, min_size=1, max_size=30),
    terminated=st.booleans(),
    style=st.sampled_from(list(RedactStyle)),
    fmt=st.sampled_from(["lines", "fluentd-tsv", "json", "rsyslog"]),
    step=st.integers(1, 64),
)
def test_record_count_kept_and_redaction_idempotent(
    redactors: dict[RedactStyle, Redactor],
    lines: list[bytes],
    terminated: bool,
    style: RedactStyle,
    fmt: str,
    step: int,
) -> None:
    data = records(lines, terminated)
    framer, counters = framer_for(redactors[style], fmt, group_bytes=24)
    out = run(framer, data, step)
    # records: newline-terminated lines, plus an unterminated non-empty tail
    want = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    got = out.count(b"\n") + (0 if out.endswith(b"\n") or not out else 1)
    if fmt == "rsyslog":
        got = out.count(b"\n")
    assert got == want
    assert counters.lines == want
    assert counters.errors == 0
    for token in TOKENS[:2]:
        assert token.encode() not in out
    if fmt != "rsyslog":
        again, _ = framer_for(redactors[style], fmt, group_bytes=24)
        assert run(again, out, 4096) == out


@fast
@given(lines=st.lists(line_text, min_size=1, max_size=10), style=st.sampled_from(list(RedactStyle)))
def test_json_records_stay_valid_json(
    redactors: dict[RedactStyle, Redactor], lines: list[str], style: RedactStyle
) -> None:
    data = "".join(json.dumps({"m": t, t: [t, 1.5]}) + "\n" for t in lines).encode()
    framer, _ = framer_for(redactors[style], "json")
    out = run(framer, data, 7).decode("utf-8")
    parsed = [json.loads(line) for line in out.splitlines()]
    assert len(parsed) == len(lines)


@pytest.mark.skipif(msgpack is None, reason="Fluentd framing needs keyguard[fluentd]")
@fast
@given(
    values=st.lists(st.tuples(line_text, st.integers(-(2**40), 2**40)), min_size=1, max_size=8),
    step=st.integers(1, 50),
)
def test_msgpack_record_count_kept(
    redactors: dict[RedactStyle, Redactor], values: list[tuple[str, int]], step: int
) -> None:
    data = b"".join(
        msgpack.packb({"message": m, "n": n, "time": msgpack.ExtType(0, b"\0\0\0\1\0\0\0\0")})
        for m, n in values
    )
    framer, counters = framer_for(redactors[RedactStyle.MASK], "fluentd-msgpack")
    out = run(framer, data, step)
    unpacker = msgpack.Unpacker(raw=False, object_pairs_hook=Pairs, strict_map_key=False)
    unpacker.feed(out)
    count = len(list(unpacker))
    assert count == len(values) == counters.lines
    for token in TOKENS[:2]:
        assert token.encode() not in out


@fast
@given(text=line_text, style=st.sampled_from(list(RedactStyle)))
def test_redact_twice_changes_nothing(
    redactors: dict[RedactStyle, Redactor], text: str, style: RedactStyle
) -> None:
    redactor = redactors[style]
    once, _ = redactor.redact(text)
    twice, findings = redactor.redact(once)
    assert twice == once
    assert findings == []
