"""Shortcuts on the hot paths give the answers of the long way: the name memo of the context
assessment, anchored matching that skips positions inside the last match, the Hyperscan
locator loaded on first use, small files read in one go."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.blob import Blob
from scanner.confirm import _Candidate, _confirm
from scanner.engine import unit
from scanner.extractors import Limits
from scanner.matcher import MatchPolicy
from scanner.models import Origin
from scanner.nameregions import RegionMemo
from scanner.nameshape import Kind
from scanner.prefilter import HyperscanPrefilter
from scanner.rulebook.compile import CompiledRule, Ruleset
from scanner.rulebook.loader import load_ruleset
from scanner.rulebook.schema import parse_rule
from scanner.windows import REGEX_TIMEOUT, _anchored_matches, _Lowered
from testing.scan import build, scan_text

RULESET = load_ruleset()
GENERIC = RULESET.get("generic.api-key")
LOG = "\n".join(
    [
        "ts=1 cache_key=orders:900169:v2:eu-west-1 hit=false",
        "ts=2 session_key=sess:user:729070:web token_ttl_seconds=3600",
        '{"auth": {"method": "oauth2", "token_type": "bearer"}, "key": "user:42"}',
        "ts=3 key=user:79988 idempotency_key=Zq8Vw3Lm5Tr9Xk2Pb7Nc",
        'widget_api_key = "Wm5Qx8Tz2Lk7Rv4Nb9PcFAKE"',
        "ACME_TOKEN=Fk9Q2xr7LmV4wP8t3ZsB6nYcFAKE token_type=bearer",
        "cache_key=Hq7Lm2Xv9Tz4Rk8Wp3Nb api_key=Hq7Lm2Xv9Tz4Rk8Wp3NbTEST",
    ]
)


def spans(cands: list[_Candidate]) -> list[tuple[int, int, str]]:
    return [(c.start, c.end, c.secret) for c in cands]


def test_name_memo_gives_the_findings_of_the_full_assessment() -> None:
    assert GENERIC is not None
    policy = MatchPolicy()
    plain = _confirm(GENERIC, LOG, LOG.lower(), policy)
    memo: dict[tuple[str, tuple[object, ...]], bool] = {}
    first = _confirm(GENERIC, LOG, LOG.lower(), policy, names=memo)  # type: ignore[arg-type]
    again = _confirm(GENERIC, LOG, _Lowered(LOG), policy, names=memo)  # type: ignore[arg-type]
    assert spans(plain) == spans(first) == spans(again)
    assert {c.secret for c in plain} >= {"Wm5Qx8Tz2Lk7Rv4Nb9PcFAKE"}
    verdicts = {name: refused for (name, _), refused in memo.items()}
    assert verdicts["cache_key"] is True  # turned down by its name alone
    assert verdicts["widget_api_key"] is False


def test_region_memo_gives_the_findings_of_the_full_assessment() -> None:
    """Verdicts remembered a located region at a time (``nameregions``), and the turned-down
    keywords at the end of a region left untried, find what trying every keyword finds."""
    assert GENERIC is not None
    text = "\n".join([LOG] * 3)
    # no match of the rule crosses a line of LOG (none holds an XML ``>``): a region per line
    # is a region the locator could report
    regions, start = [], 0
    for line in text.split("\n"):
        regions.append((start, min(len(text), start + len(line) + 1)))
        start += len(line) + 1
    policy = MatchPolicy()
    plain = _confirm(GENERIC, text, _Lowered(text), policy, regions)
    names: dict[tuple[str, tuple[Kind, ...]], bool] = {}
    memo: RegionMemo = {}
    lowered = _Lowered(text)
    first = _confirm(GENERIC, text, lowered, policy, regions, names=names, region_memo=memo)
    again = _confirm(GENERIC, text, lowered, policy, regions, names=names, region_memo=memo)
    assert spans(plain) == spans(first) == spans(again)
    assert {c.secret for c in plain} >= {"Wm5Qx8Tz2Lk7Rv4Nb9PcFAKE"}
    assert memo


def test_a_full_memo_starts_again() -> None:
    assert GENERIC is not None
    memo = {(f"name{i}", ()): True for i in range(5000)}
    found = _confirm(GENERIC, LOG, LOG.lower(), MatchPolicy(), names=memo)  # type: ignore[arg-type]
    assert spans(found) == spans(_confirm(GENERIC, LOG, LOG.lower(), MatchPolicy()))
    assert len(memo) < 5000


def _anchored_reference(
    rule: CompiledRule, text: str, positions: list[int]
) -> list[tuple[int, int]]:
    """Every position tried, as before the shortcut."""
    out: list[tuple[int, int]] = []
    last_end = -1
    for pos in positions:
        m = rule.regex.match(text, pos, min(len(text), pos + rule.spec.window))
        if m is not None and m.start() >= last_end:
            last_end = m.end()
            out.append(m.span())
    return out


ANCHORED = Ruleset.from_specs(
    [
        parse_rule(
            {
                "id": "kgspeed.token",
                "name": "speed test token",
                "description": "A synthetic rule for the anchored-match tests.",
                "keywords": ["kgs"],
                "pattern": r"kgs[a-z_]*\s?=\s?[a-z0-9 kgs]{2,20}",
                "examples": ["kgs_a = abc123"],
                "negative_examples": ["kgs"],
                "anchor": "keyword",
                "window": 32,
            },
            "test_speed_paths",
            0,
        )
    ]
).rules[0]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="kgs_= ab1\n", max_size=120))
def test_anchored_matches_equal_trying_every_position(text: str) -> None:
    positions = []
    pos = text.find("kgs")
    while pos != -1:
        positions.append(pos)
        pos = text.find("kgs", pos + 1)
    got = [m.span() for m in _anchored_matches(ANCHORED, text, positions)]
    assert got == _anchored_reference(ANCHORED, text, positions)
    assert REGEX_TIMEOUT > 0


LOCATED = Ruleset.from_specs(
    [
        r.spec
        for r in RULESET
        if r.id in ("generic.api-key", "generic.password", "aws.access-key-id")
    ]
)


def _loaded(prefilter: HyperscanPrefilter) -> bool:
    return prefilter._loc is not None


def test_locator_loads_on_first_use_and_survives_pickling(tmp_path: Path) -> None:
    pytest.importorskip("hyperscan", reason="the Hyperscan prefilter needs keyguard[fast]")
    build(LOCATED, "hyperscan", tmp_path)  # the databases are in the cache now
    matcher = build(LOCATED, "hyperscan", tmp_path)
    prefilter = matcher.prefilter
    assert isinstance(prefilter, HyperscanPrefilter)
    assert prefilter.located and not _loaded(prefilter)
    assert scan_text(matcher, "nothing to see here\n") == []
    assert not _loaded(prefilter)  # no located rule named: the locator was not read
    found = scan_text(matcher, 'widget_api_key = "Wm5Qx8Tz2Lk7Rv4Nb9PcFAKE"\n')
    assert _loaded(prefilter)
    assert [f.secret.reveal() for f in found] == ["Wm5Qx8Tz2Lk7Rv4Nb9PcFAKE"]
    fresh = build(LOCATED, "hyperscan", None)  # compiled here, no cache at all
    text = LOG * 3
    assert prefilter.locate(text) == fresh.prefilter.locate(text)
    copy = pickle.loads(pickle.dumps(build(LOCATED, "hyperscan", tmp_path).prefilter))
    assert copy.locate(text) == prefilter.locate(text)
    every = prefilter.locate(text)
    assert every
    for rule in prefilter.located:  # one rule's database alone: that rule's regions
        assert prefilter.locate(text, [rule]) == {k: v for k, v in every.items() if k == rule}
    assert prefilter.locate(text, []) == {}
    assert copy.candidates(text) == prefilter.candidates(text)


def _blob(path: Path) -> Blob:
    return Blob.from_path(path, Origin(path=path.name), path.stat().st_size)


def test_small_files_are_read_once_with_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    matcher = build(RULESET, "aho-corasick")
    path = tmp_path / "settings.py"
    path.write_text('widget_api_key = "Wm5Qx8Tz2Lk7Rv4Nb9PcFAKE"\n' * 3)
    opened: list[Path] = []
    real_open = Blob.open

    def counting(self: Blob) -> object:
        if self.data is None and self.path is not None:
            opened.append(self.path)
        return real_open(self)

    real_read = unit.read_up_to

    def counting_read(where: str, limit: int, *, follow_symlinks: bool = False) -> bytes:
        opened.append(where)
        return real_read(where, limit, follow_symlinks=follow_symlinks)

    monkeypatch.setattr(Blob, "open", counting)
    monkeypatch.setattr(unit, "read_up_to", counting_read)
    small = unit.scan_blob(_blob(path), matcher, Limits())
    assert opened == [str(path)]  # read once, whole, by the unit; never opened again
    monkeypatch.setattr(unit, "SMALL_FILE", 8)  # now it is a large file: streamed as before
    opened.clear()
    large = unit.scan_blob(_blob(path), matcher, Limits())
    assert len(opened) == 2
    assert [f.secret.reveal() for f in small.findings] == [
        f.secret.reveal() for f in large.findings
    ]
    assert len(small.findings) == 3
