"""Backslash escapes: unescaping near hiding escapes, and mapping offsets back exactly."""

from __future__ import annotations

import random

import pytest

from scanner.backslash import ESCAPE_RADIUS, map_offset, unescape_backslashes, unescape_near_escapes
from scanner.matcher import Matcher
from scanner.models import Chunk, Origin

_ESCAPED_PAIR = '{\\"api_key\\": \\"sk-KeyGuardFake\\"}'


def test_dense_escapes_are_unescaped_whole() -> None:
    text = '"a\\"b\\u0041c" ' * 50
    result = unescape_near_escapes(text)
    assert result.text == unescape_backslashes(text)[0]
    assert result.windows == ((0, 0, len(text)),)


def test_sparse_escapes_are_unescaped_in_windows_that_map_back() -> None:
    filler = "x" * (ESCAPE_RADIUS * 8)
    text = filler + _ESCAPED_PAIR + filler + _ESCAPED_PAIR + filler
    result = unescape_near_escapes(text)
    assert len(result.windows) == 2
    assert len(result.text) < len(text) // 2
    assert result.text.count('{"api_key": "sk-KeyGuardFake"}') == 2
    for found in (result.text.find("sk-Key"), result.text.rfind("sk-Key")):
        original = result.original(found)
        assert text[original : original + 6] == "sk-Key"
    assert [w[1] for w in result.windows] == sorted(w[1] for w in result.windows)


def test_an_escape_near_the_start_of_a_large_text_is_unescaped_from_the_start() -> None:
    # the first window once kept the "no window yet" start (-1): widened to a line edge from
    # there it began at the text's last line, and the escaped pair was never unescaped
    text = "cfg = " + _ESCAPED_PAIR + "\n" + "var a = 1;\n" * 5000
    result = unescape_near_escapes(text)
    assert len(result.text) < len(text) // 2
    assert result.windows[0][1] == 0
    assert '{"api_key": "sk-KeyGuardFake"}' in result.text
    found = result.text.find("sk-Key")
    assert text[result.original(found) : result.original(found) + 6] == "sk-Key"


def test_windows_start_at_a_line_edge_when_one_is_near() -> None:
    lines = [f"plain line number {i:04d} with words" for i in range(200)]
    lines[100] = 'config = "{\\"password\\": \\"KeyGuardFake-7Qz\\"}"'
    text = "\n".join(lines)
    result = unescape_near_escapes(text)
    for _, lo, hi in result.windows:
        assert lo == 0 or text[lo - 1] == "\n"
        assert hi == len(text) or text[hi] == "\n"


def test_every_unescaped_character_maps_to_the_same_character() -> None:
    rng = random.Random(7)
    pieces = ["abc", "\\n", '\\"', "\\u0041", "\\x42", "\n", "word " * 40, "\\\\"]
    for _ in range(200):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 400)))
        result = unescape_near_escapes(text, radius=rng.choice((8, 64, 512)))
        for i, ch in enumerate(result.text):
            if ch in "abcw":
                assert text[result.original(i)] == ch, (text, i)


def test_a_key_hidden_by_an_escape_in_a_large_minified_file_is_found_where_it_is(
    auto_matcher: Matcher,
) -> None:
    matcher = auto_matcher
    key = "AKIAKEYGUARDFAKE2345"
    hidden = "\\u0041" + key[1:]  # the first letter written as a JSON escape
    body = "var a=1;" * 4000
    text = body + 'x.cfg="' + hidden + '";' + body
    chunk = Chunk(text=text, origin=Origin(path="bundle.min.js"))
    found = [f for f in matcher.scan(chunk) if f.secret.reveal() == key]
    assert found, "the key hidden by an escape was not found"
    offset = int(dict(found[0].extra)["offset"])
    assert text[offset : offset + len(hidden)] == hidden
    assert found[0].position.column == len(body) + len('x.cfg="') + 1


_LIBEDIT_LINE = "CREATE\\040USER\\040'kg'@'%'\\040IDENTIFIED\\040BY\\040'Kg&Fake93';"
_LIBEDIT_UNESCAPED = "CREATE USER 'kg'@'%' IDENTIFIED BY 'Kg&Fake93';"


@pytest.mark.parametrize(
    ("text", "unescaped", "secret"),
    [
        # a shell quote inside single quotes is one quote
        ("sh -c 'tok='\\''Kq7Lm2Xv9Tz4'\\''' x", "sh -c 'tok='Kq7Lm2Xv9Tz4'' x", "Kq7Lm2Xv9Tz4"),
        # the octal blanks of a libedit history
        (_LIBEDIT_LINE, _LIBEDIT_UNESCAPED, "Kg&Fake93"),
    ],
)
def test_unescaped_and_mapped_back(text: str, unescaped: str, secret: str) -> None:
    out, anchors = unescape_backslashes(text)
    assert out == unescaped
    start = out.index(secret)
    assert text[map_offset(anchors, start) : map_offset(anchors, start + len(secret))] == secret


def test_octal_blanks_of_a_libedit_history_are_unescaped_near_escapes_too() -> None:
    assert unescape_near_escapes(_LIBEDIT_LINE).text == _LIBEDIT_UNESCAPED


def test_a_password_in_a_mysql_history_file_is_found_on_its_line(auto_matcher: Matcher) -> None:
    text = (
        "_HiStOrY_V2_\nshow\\040databases;\n"
        "CREATE\\040USER\\040'kg'@'localhost'\\040IDENTIFIED\\040BY\\040'Ferret&KgFake93';\n"
    )
    chunk = Chunk(text=text, origin=Origin(path="home/kg/.mysql_history"))
    found = [f for f in auto_matcher.scan(chunk) if f.secret.reveal() == "Ferret&KgFake93"]
    assert found and found[0].position.line == 3
