from __future__ import annotations

import pytest

from scanner.sources.gitindex import parse_added_lines, unquote_path
from scanner.sources.gitlog import _parse_record


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"plain/path.txt", b"plain/path.txt"),
        (b'"b/caf\\303\\251.txt"', "b/café.txt".encode()),
        (b'"b/tab\\there"', b"b/tab\there"),
        (b'"b/quote\\"d"', b'b/quote"d'),
        (b'"b/back\\\\slash"', b"b/back\\slash"),
    ],
)
def test_unquote_path(raw: bytes, expected: bytes) -> None:
    assert unquote_path(raw) == expected


def test_parse_added_lines_hunks_new_file_and_deletion() -> None:
    patch = b"\n".join(
        [
            b"diff --git a/a.py b/a.py",
            b"--- a/a.py",
            b"+++ b/a.py",
            b"@@ -1,0 +2,3 @@",
            b"+x",
            b"+++ looks like a header but is content",
            b"+y",
            b"@@ -10 +12 @@",
            b"-old",
            b"+new",
            b"@@ -20,2 +21,0 @@",
            b"diff --git a/gone.txt b/gone.txt",
            b"--- a/gone.txt",
            b"+++ /dev/null",
            b"@@ -1 +0,0 @@",
            b"-bye",
            b'diff --git "a/caf\\303\\251" "b/caf\\303\\251"',
            b"new file mode 100644",
            b"--- /dev/null",
            b'+++ "b/caf\\303\\251"',
            b"@@ -0,0 +1 @@",
            b"+hello",
        ]
    )
    assert parse_added_lines(patch) == {
        b"a.py": {2, 3, 4, 12},
        "café".encode(): {1},
    }


def test_parse_record_with_rename_status_and_odd_subject() -> None:
    header = b"\x01c0ffee\0Ada\0ada@x.invalid\x002024-01-01T00:00:00+00:00\0subject \xff"
    body = (
        b"\0\n:000000 100644 " + b"0" * 40 + b" " + b"a" * 40 + b" A\0new.txt\0"
        b":100644 100644 " + b"b" * 40 + b" " + b"c" * 40 + b" R090\0old\0renamed\0"
    )
    commit, entries = _parse_record(header + body)
    assert commit.sha == "c0ffee" and commit.author == "Ada"
    assert commit.summary == "subject \ufffd"
    assert entries == [
        ("100644", "a" * 40, "A", b"new.txt"),
        ("100644", "c" * 40, "R090", b"renamed"),
    ]


def test_log_records_split_by_position_whatever_the_fields_hold() -> None:
    from scanner.sources.gitlog import _RecordSplitter

    one = b"\x01" + b"a" * 40 + b"\0Ev\x01il\0e@x\x002024\0:looks like an entry"
    entry = b"\0\n:000000 100644 " + b"0" * 40 + b" " + b"1" * 40 + b" A\0f.env\0"
    empty = b"\x01" + b"b" * 40 + b"\0\0\0\0\0"  # no name, no subject, no change
    two = b"\x01" + b"c" * 40 + b"\0B\0b@x\x002024\0s\0\n:100644 100644 "
    two += b"1" * 40 + b" " + b"2" * 40 + b" R100\0old\0new\0"
    stream = one + entry + empty + two
    for step in (1, 7, len(stream)):
        splitter = _RecordSplitter()
        pieces = [stream[i : i + step] for i in range(0, len(stream), step)]
        records = [r for p in pieces for r in splitter.feed(p)]
        records += list(splitter.feed(b"", final=True))
        parsed = [_parse_record(r) for r in records]
        assert [c.sha for c, _ in parsed] == ["a" * 40, "b" * 40, "c" * 40]
        assert parsed[0][0].author == "Ev\x01il"
        assert parsed[0][0].summary == ":looks like an entry"
        assert parsed[0][1] == [("100644", "1" * 40, "A", b"f.env")]
        assert parsed[1][1] == []
        assert parsed[2][1] == [("100644", "2" * 40, "R100", b"new")]
