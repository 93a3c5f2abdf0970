"""Scoring a generic candidate (``scanner.assignscore``): the length check that callers make
first turns down only values ``value_score`` turns down anyway."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.assignscore import MAX_LENGTH, MIN_LENGTH, is_out_of_length, value_score
from scanner.nameshape import Kind, NameInfo

KINDS = [Kind.PASSWORD, Kind.SECRET, Kind.TOKEN, Kind.KEY, Kind.AUTH]


def test_out_of_length_by_kind() -> None:
    assert is_out_of_length("user:48628", Kind.KEY)  # key=user:48628 in a log line
    assert not is_out_of_length("Wm5Qx8Tz2Lk7Rv4Nb9Pc", Kind.KEY)
    assert not is_out_of_length("S3c!", Kind.PASSWORD)  # short passwords may still count
    assert is_out_of_length("abc", Kind.PASSWORD)
    assert is_out_of_length("x" * (MAX_LENGTH + 1), Kind.SECRET)
    assert all(not is_out_of_length("x" * MIN_LENGTH[kind], kind) for kind in KINDS)


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet="aZ9:_-!$xQ", max_size=24) | st.text(max_size=210),
    st.sampled_from(KINDS),
    st.booleans(),
    st.booleans(),
)
def test_out_of_length_values_score_nothing(
    value: str, kind: Kind, quoted: bool, code: bool
) -> None:
    if is_out_of_length(value, kind):
        info = NameInfo(kind, ("x",), 0)
        assert value_score(value, info, quoted, code) is None
