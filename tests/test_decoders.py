"""Decoders: base64/hex/percent segments, escape handling with an exact offset map."""

from __future__ import annotations

import base64
import random
import re

from scanner.decoders import (
    encoded_triggers,
    find_encoded,
    has_escapes,
    map_offset,
    unescape_backslashes,
)


def test_encoded_triggers_find_a_keyword_base64_encoded_at_any_alignment() -> None:
    triggers = encoded_triggers(["secret_key"])
    for prefix in (b"", b"x", b"xy"):
        encoded = base64.b64encode(prefix + b"secret_key=abcdefgh").decode()
        assert any(t in encoded for t in triggers), prefix
    assert b"secret_key".hex() in triggers
    assert encoded_triggers(["ab"]) == []  # too short to be distinctive


def test_find_encoded_decodes_base64_and_hex_segments() -> None:
    secret = b"token=kgFake9Qz3xVb7Lm2Np5Rt8Wy"
    text = f"blob: {base64.b64encode(secret).decode()} and hex {secret.hex()} end"
    decoded = {d.kind: d.text for d in find_encoded(text, base64_hex=True)}
    assert secret.decode() in decoded.values()
    assert len([d for d in find_encoded(text, base64_hex=True)]) >= 2
    assert list(find_encoded("plain words only here", base64_hex=True)) == []


def test_unescape_maps_every_decoded_offset_back() -> None:
    text = 'k = "a\\"b\\u0041c\\n"'
    plain, anchors = unescape_backslashes(text)
    assert plain == 'k = "a"bAc\n"'
    for i, ch in enumerate(plain):
        original = map_offset(anchors, i)
        if ch in "abc":
            assert text[original] == ch


def test_has_escapes_only_for_escapes_that_can_hide_a_token() -> None:
    assert has_escapes('{"k": "v\\"x"}')
    assert has_escapes("\\nghp_abc")
    assert not has_escapes('print("line\\n")')
    assert not has_escapes("no backslash")


def _unescape_reference(text: str) -> tuple[str, list[tuple[int, int]]]:
    """One escape at a time (the straightforward form the fast version must equal)."""
    simple = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "/": "/"}
    simple.update({'"': '"', "'": "'", "\\": "\\"})
    # a shell's quote inside single quotes first: the four characters ' \ ' ' are one quote
    pattern = re.compile(r"'\\''|\\(?:u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|0[0-7]{2}|[\"'/bfnrt\\])")
    pieces: list[str] = []
    anchors = [(0, 0)]
    last = out_len = 0
    for m in pattern.finditer(text):
        pieces.append(text[last : m.start()])
        out_len += m.start() - last
        esc = m.group(0)
        if esc[0] == "'":
            pieces.append("'")
        else:
            if esc[1] in "ux":
                pieces.append(chr(int(esc[2:], 16)))
            elif esc[1] == "0":  # octal, as libedit writes a blank: \040
                pieces.append(chr(int(esc[1:], 8)))
            else:
                pieces.append(simple[esc[1]])
        out_len += 1
        anchors.append((out_len, m.end()))
        last = m.end()
    pieces.append(text[last:])
    return "".join(pieces), anchors


def test_unescape_equals_the_one_escape_at_a_time_reference() -> None:
    rng = random.Random(12)
    alphabet = ["\\", "n", "t", "u", "x", '"', "'", "/", "0", "4", "1", "a", "F", "é", " ", "\n"]
    texts = ["", "plain", "\\", "\\\\n", "\\u00", "\\u0041\\x4A\\\\\\n", "ends with \\"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(60))) for _ in range(3000)]
    for text in texts:
        assert unescape_backslashes(text) == _unescape_reference(text), repr(text)


def _runs_reference(text: str, near: list[str]) -> list[tuple[str, int, int]]:
    """Every base64/hex segment decoded, then only those holding a trigger kept."""
    kept = []
    for seg in find_encoded(text, base64_hex=True):
        raw = text[seg.start : seg.end]
        if seg.kind == "base64" and any(t in raw for t in near):
            kept.append((seg.kind, seg.start, seg.end))
        if seg.kind == "hex" and any(t in raw.lower() for t in near):
            kept.append((seg.kind, seg.start, seg.end))
    return kept


def test_segments_near_triggers_are_exactly_those_holding_a_trigger() -> None:
    triggers = encoded_triggers(["password", "api_key"])
    rng = random.Random(11)
    secrets = [b"password=KeyGuardFake0001", b"api_key: KeyGuardFake0002", b"plain words here"]
    noise = ["identifier_" + "x" * 30, "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=", " ", "\n", "=="]
    for _ in range(100):
        parts = []
        for _ in range(rng.randint(1, 30)):
            secret = rng.choice(secrets)
            parts.append(
                rng.choice(
                    [
                        base64.b64encode(secret).decode(),
                        secret.hex(),
                        secret.hex().upper(),
                        rng.choice(noise),
                    ]
                )
            )
        text = rng.choice([" ", "", "-"]).join(parts)
        got = [
            (d.kind, d.start, d.end)
            for d in find_encoded(text, base64_hex=True, near=triggers)
            if d.kind in ("base64", "hex")
        ]
        assert sorted(got) == sorted(_runs_reference(text, triggers)), text


def test_percent_segments_widen_over_url_characters_only() -> None:
    url = "https://h.invalid/cb?next=%2Fhome%3Fa%3D1&x=y"
    text = f'see "{url}" and 100% sure'
    (seg,) = [d for d in find_encoded(text, base64_hex=False) if d.kind == "percent"]
    assert text[seg.start : seg.end] == url  # stops at the quotes on both sides
    assert seg.text == "https://h.invalid/cb?next=/home?a=1&x=y"
    long_run = "a" * 2000 + "%2F%3A" + "b" * 2000
    (seg,) = list(find_encoded(long_run, base64_hex=False))
    assert (seg.start, seg.end) == (2000 - 512, 2003 + 512)  # at most 512 around the first escape


def test_form_encoded_query_is_also_decoded_with_plus_as_a_blank() -> None:
    text = "GET /v1/jobs?snippet=acme%3A%0A++api_key%3A+%22Kq7Lm2Xv9Tz4Rk8Wp3Nb%22"
    decoded = [d.text for d in find_encoded(text, base64_hex=False) if d.kind == "percent"]
    assert any('  api_key: "Kq7Lm2Xv9Tz4Rk8Wp3Nb"' in t for t in decoded)
    assert any('++api_key:+"Kq7Lm2Xv9Tz4Rk8Wp3Nb"' in t for t in decoded)  # RFC 3986 reading
    plain = "GET /v1/jobs?next=%2Fhome%3Fa%3D1"
    assert len([d for d in find_encoded(plain, base64_hex=False)]) == 1  # no + : one reading


def test_a_three_byte_keyword_triggers_on_a_value_that_starts_with_it() -> None:
    triggers = encoded_triggers(["hf_"])
    encoded = base64.b64encode(b"hf_" + b"Qz" * 17).decode()
    assert any(encoded.startswith(t) for t in triggers)
    assert encoded_triggers(["ab"]) == []
