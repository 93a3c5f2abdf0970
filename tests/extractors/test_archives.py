"""archives.read_zip_member: a zip member as a blob one level down, or the problem past a limit."""

from __future__ import annotations

import io
import zipfile

from scanner.blob import Blob
from scanner.extractors import Limits
from scanner.extractors.archives import read_zip_member
from scanner.models import Origin, SourceProblem


def _zip(members: dict[str, bytes]) -> zipfile.ZipFile:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return zipfile.ZipFile(io.BytesIO(raw.getvalue()))


def test_read_zip_member_is_a_blob_named_by_its_last_path_part() -> None:
    parent = Blob.from_bytes(b"", Origin("a.zip"), "a.zip", depth=1)
    zf = _zip({"dir/sub/config.ini": b"key = value\n"})
    info = zf.getinfo("dir/sub/config.ini")
    origin = parent.origin.child(info.filename)
    with zf.open(info) as member:
        item = read_zip_member(member, info, parent, origin, Limits())
    assert isinstance(item, Blob)
    assert item.name == "config.ini"
    assert item.depth == 2
    assert item.origin == origin
    assert item.data == b"key = value\n"


def test_read_zip_member_over_the_size_limit_is_a_problem() -> None:
    parent = Blob.from_bytes(b"", Origin("a.zip"), "a.zip")
    zf = _zip({"big.txt": b"x" * 100})
    info = zf.getinfo("big.txt")
    origin = parent.origin.child(info.filename)
    with zf.open(info) as member:
        item = read_zip_member(member, info, parent, origin, Limits(max_member_size=99))
    assert item == SourceProblem("a.zip!big.txt", "member exceeds the size or ratio limit; skipped")
