"""Line arithmetic of ``scanner.assignsyntax``: the lines around a position, within a limit."""

from __future__ import annotations

from scanner.assignsyntax import line_bounds, lines_ahead, lines_back

TEXT = "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n"


def test_line_bounds() -> None:
    c = TEXT.index("c")
    assert TEXT[slice(*line_bounds(TEXT, c, c + 1))] == "c = 3"


def test_lines_back_counts_the_current_line_as_one() -> None:
    d = TEXT.index("4")
    assert lines_back(TEXT, d, 1) == TEXT.index("d")
    assert lines_back(TEXT, d, 3) == TEXT.index("b")
    assert lines_back(TEXT, d, 10) == 0  # the top of the text
    assert lines_back(TEXT, d, 10, limit=8) == d - 8  # never further back than the limit


def test_lines_ahead_ends_lines_after_the_current_one() -> None:
    b = TEXT.index("2")
    assert lines_ahead(TEXT, b, 0, 100) == TEXT.index("\n", b)
    assert lines_ahead(TEXT, b, 2, 100) == TEXT.index("\ne")
    assert lines_ahead(TEXT, b, 10, 100) == len(TEXT)
    assert lines_ahead(TEXT, b, 10, limit=4) == b + 4
