"""Decoders: base64/hex/percent segments, escape handling with an exact offset map."""

from __future__ import annotations

import base64

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
