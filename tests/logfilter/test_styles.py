"""Redaction styles and span replacement (pure)."""

from __future__ import annotations

import pytest

from scanner.logfilter.styles import (
    Redaction,
    RedactStyle,
    Span,
    apply_spans,
    merge_spans,
    short_hash,
)

SECRET = "kgt_Fk7Qz2Lm9Wx4Rt6Yp3Nb8Vc1"


def test_replacement_mask_names_rule() -> None:
    assert Redaction().replacement("test.token", SECRET) == "[REDACTED:test.token]"


def test_replacement_hash_is_short_salted_and_stable() -> None:
    policy = Redaction(RedactStyle.HASH)
    first = policy.replacement("test.token", SECRET)
    assert first == policy.replacement("test.token", SECRET)
    assert first == f"[REDACTED:test.token:{short_hash(SECRET)}]"
    assert len(short_hash(SECRET)) == 12
    assert SECRET not in first
    other_salt = Redaction(RedactStyle.HASH, salt="another").replacement("test.token", SECRET)
    assert other_salt != first
    assert policy.replacement("test.token", SECRET + "x") != first


def test_replacement_partial_keeps_four_characters() -> None:
    assert Redaction(RedactStyle.PARTIAL).replacement("r.x", SECRET) == "kgt_[REDACTED:r.x]"


def test_replacement_partial_short_secret_keeps_less() -> None:
    assert Redaction(RedactStyle.PARTIAL).replacement("r.x", "abcdef") == "ab[REDACTED:r.x]"


@pytest.mark.parametrize("name", ["mask", "HASH", " partial "])
def test_style_parse_accepts_names(name: str) -> None:
    assert RedactStyle.parse(name).value == name.strip().lower()


def test_style_parse_unknown_raises() -> None:
    with pytest.raises(ValueError, match="unknown redaction style"):
        RedactStyle.parse("blur")


def test_merge_spans_joins_overlaps_and_sorts() -> None:
    spans = [Span(10, 20, "b"), Span(0, 5, "a"), Span(15, 25, "c"), Span(30, 30, "empty")]
    assert merge_spans(spans) == [Span(0, 5, "a"), Span(10, 25, "b")]


def test_apply_spans_replaces_each_span() -> None:
    text = f"a {SECRET} b {SECRET}"
    start = text.index(SECRET)
    second = text.rindex(SECRET)
    spans = [Span(start, start + len(SECRET), "t"), Span(second, second + len(SECRET), "t")]
    assert apply_spans(text, spans, Redaction()) == "a [REDACTED:t] b [REDACTED:t]"


def test_apply_spans_keeps_separators_inside_a_span() -> None:
    text = "x=abc\ndef\tghi;"
    out = apply_spans(text, [Span(2, 13, "t")], Redaction(), separators="\n\t")
    assert out == "x=[REDACTED:t]\n[REDACTED:t]\t[REDACTED:t];"
    assert out.count("\n") == 1 and out.count("\t") == 1


def test_apply_spans_hash_of_split_span_uses_whole_secret() -> None:
    text = "abc\ndef"
    out = apply_spans(text, [Span(0, 7, "t")], Redaction(RedactStyle.HASH))
    digest = short_hash("abc\ndef")
    assert out == f"[REDACTED:t:{digest}]\n[REDACTED:t:{digest}]"


def test_apply_spans_without_spans_is_identity() -> None:
    assert apply_spans("unchanged \udcff", [], Redaction()) == "unchanged \udcff"
