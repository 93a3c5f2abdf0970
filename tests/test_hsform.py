"""Prefilter pattern loosening: every match of the original still matches the loose form."""

from __future__ import annotations

import re

import pytest

from scanner import hsform, prefilter
from scanner.hsform import KEEP_LOW, LINE_GAP_KEPT, UTF8_MAX, hyperscan_form, loosen
from scanner.rulebook.loader import load_ruleset
from scanner.rulebook.macros import PREFILTER_FORMS


@pytest.mark.parametrize(
    ("pattern", "loose"),
    [
        (r"AKIA[A-Z2-7]{16}", r"AKIA[A-Z2-7]{16,}"),
        (r"x{2,8}", r"x{2,8}"),  # small repeats are kept
        (r"x{3}", r"x{3}"),
        (r"[a-f0-9]{40,64}", rf"[a-f0-9]{{{KEEP_LOW},}}"),
        (r"a\{100\}", r"a\{100\}"),  # escaped braces are literals
        (r"y{10,}", r"y{10,}"),
    ],
)
def test_loosen(pattern: str, loose: str) -> None:
    assert loosen(pattern) == loose


def test_every_original_match_matches_the_loose_form() -> None:
    pattern = r"\b(sk_live_[0-9a-zA-Z]{24,99})\b"
    text = "key sk_live_" + "Ab9" * 20 + " end"
    original = re.search(pattern, text)
    assert original is not None
    assert re.search(loosen(pattern), text) is not None


@pytest.mark.parametrize(
    ("pattern", "loose"),
    [
        (r"acme[^\r\n]{0,40}?key", r"acme[^\r\n]{0,160}?key"),  # bounded in bytes
        (r"a[^\r\n]{0,30}\r?\n[^\r\n]{2,40}b", r"a[^\r\n]{0,120}\r?\n[^\r\n]{2,160}b"),
        (r"a[^\r\n]{0,160}?b", r"a[^\r\n]{0,}?b"),  # longer than LINE_GAP_KEPT: opened
        (r"a[^\n]{0,40}b", r"a[^\n]{0,}b"),  # only the one-line gap class
        (r"a\\[^\r\n]{0,40}", r"a\\[^\r\n]{0,}"),  # after a backslash: opened (safe)
        (r"[^\r\n]{0,40}[a-f0-9]{40}", r"[^\r\n]{0,160}[a-f0-9]{24,}"),
    ],
)
def test_loosen_keeps_short_line_gaps_bounded(pattern: str, loose: str) -> None:
    assert loosen(pattern, line_gaps=True) == loose
    assert loosen(pattern) == re.sub(r"\{(\d+),\d+\}", lambda m: "{" + m.group(1) + ",}", loose)


def test_a_bounded_line_gap_still_matches_non_ascii_text_in_hyperscan() -> None:
    """Hyperscan counts bytes: a gap of ``LINE_GAP_KEPT`` characters of four bytes each still
    fits the bounded form, and one character more than the rule allows does not."""
    hyperscan = pytest.importorskip("hyperscan", reason="the fast extra is not installed")
    pattern = rf"acme[^\r\n]{{0,{LINE_GAP_KEPT}}}?token=([a-f0-9]{{8}})"
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(
        expressions=[loosen(pattern, line_gaps=True).encode()],
        ids=[0],
        flags=[hyperscan.HS_FLAG_SINGLEMATCH],
    )
    wide = "\U0001f511"  # four bytes in UTF-8
    assert len(wide.encode()) == UTF8_MAX

    def found(gap: str) -> bool:
        hits: list[int] = []
        text = f"acme{gap}token=0123abcd".encode()
        db.scan(text, match_event_handler=lambda i, *_: hits.append(i))
        return bool(hits)

    assert re.search(pattern, f"acme{wide * LINE_GAP_KEPT}token=0123abcd")
    assert found(wide * LINE_GAP_KEPT)
    assert not found("x" * (LINE_GAP_KEPT * UTF8_MAX + 1))


# what the macros' repeated groups match: Terraform attributes, inline map entries, an XML
# element's attributes and the line break before its text
GROUP_SAMPLES = [
    "",
    ">",
    " type=\"string\" encrypted='false'>\n      ",
    '" serializeAs="String">\r\n\t\t<value>',
    '  xml:space = "preserve">  <![CDATA[',
    "  <url>https://x.invalid</url>\n  <region>eu</region>\n",
    "  region: eu\n  timeout = 30\n",
    '  type        = string\n  description = "Acme = CI"\n  sensitive   = true\n  ',
    'type = string\n  sensitive = true\n  a = 1\n  b = "x"\n  ',
    '"url": "https://x.invalid", "region": "eu", ',
    "timeout: 30, retries: 2, ",
    # PHP array entries and Ruby symbol keys: siblings on their own lines, or inline entries
    "  :region => 'eu',\n    'url' => 'https://x.invalid',\n",
    ":region => 'eu', 'timeout' => 30, ",
    # the end of a section's first line: a PHP array, a Terraform label, a comment header
    "' => [\n",
    "'] = array(\n",
    '" "main" {\r\n',
    " API credentials -->\n",
    # a property list's key element, then its string element on the same or a later line
    "</key><string>",
    "</key>\n\t<string>",
]


@pytest.mark.parametrize("group", sorted(PREFILTER_FORMS))
def test_prefilter_forms_match_everything_their_group_matches(group: str) -> None:
    full, cheaper = re.compile(group), re.compile(PREFILTER_FORMS[group])
    matched = [s for s in GROUP_SAMPLES if full.fullmatch(s)]
    assert len(matched) >= 2  # the samples exercise the group
    for sample in matched:
        assert cheaper.fullmatch(sample), sample
    assert not cheaper.fullmatch("{"), "a brace ends the group in both forms"


HEAVY = [
    "discord.bot-token",
    "webex.bot-token",
    "infobip.api-key",
    "ably.api-key",
    "viber.auth-token",
]


@pytest.mark.parametrize("rule_id", HEAVY)
def test_macro_heavy_rules_compile_in_hyperscan_as_they_are(rule_id: str) -> None:
    """The rules with the most macros: too large for Hyperscan with the groups as written, so
    they would fall back to their keywords (``bot`` in every chunk that says robot)."""
    hyperscan = pytest.importorskip("hyperscan", reason="the fast extra is not installed")
    spec = next(r.spec for r in load_ruleset() if r.id == rule_id)
    flags = hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=[hyperscan_form(spec)], ids=[0], flags=[flags])


def test_a_pattern_too_large_as_it_is_keeps_an_approximation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hyperscan's prefilter mode, not the rule's keywords, stands in for a pattern it cannot
    compile as written: a chunk with the keyword but nothing like the pattern names no rule."""
    pytest.importorskip("hyperscan", reason="the fast extra is not installed")
    monkeypatch.setattr(hsform, "PREFILTER_FORMS", {})  # the groups as written: too large
    ruleset = load_ruleset(only=["discord.bot-token"])
    found = prefilter.HyperscanPrefilter(ruleset).candidates("the robot arm moved")
    assert found == frozenset()
