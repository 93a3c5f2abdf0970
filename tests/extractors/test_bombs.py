"""Archives and images that claim far more than they hold: bounded by what they store."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

from click.testing import CliRunner

from scanner.blob import Blob
from scanner.cli import main
from scanner.extractors import Budget, Limits
from scanner.extractors.archives import TarExtractor
from scanner.models import Origin, SourceProblem
from testing.archives import extended_header, gzip_pieces, padded, tar_bytes
from testing.tokens import github_token

TOKEN = github_token()
HUGE = 8 << 40  # 8 TiB


def scan(*args: str) -> tuple[int, dict[str, object], str]:
    result = CliRunner().invoke(main, ["scan", "-f", "json", "-j", "1", "--show-secrets", *args])
    return result.exit_code, json.loads(result.stdout or "{}"), result.stderr


def claiming_tar(size: int, tail: bytes = b"\0" * 4096) -> bytes:
    """A tar whose only header claims a ``size``-byte member, followed by a few real bytes."""
    info = tarfile.TarInfo("huge.bin")
    info.size = size
    return info.tobuf(format=tarfile.GNU_FORMAT) + tail


def test_truncated_tar_gz_claiming_terabytes_ends_quickly(tmp_path: Path) -> None:
    (tmp_path / "bomb.tar.gz").write_bytes(gzip.compress(claiming_tar(HUGE)))
    (tmp_path / "real.env").write_text(f"T={TOKEN}\n")
    code, doc, err = scan(str(tmp_path))
    assert code == 1
    assert [f["secret"] for f in doc["findings"]] == [TOKEN]  # type: ignore[index]
    assert "ratio limit" in err


def test_zip_with_overlapping_entries_stops(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", b"0" * 100_000)
    data = bytearray(buffer.getvalue())
    # a second central-directory entry pointing at the same local header: overlapping members
    cd_start = data.rfind(b"PK\x01\x02")
    eocd = data.rfind(b"PK\x05\x06")
    entry = bytes(data[cd_start:eocd]).replace(b"a.txt", b"b.txt")
    patched = bytes(data[:eocd]) + entry + bytes(data[eocd:])
    eocd2 = patched.rfind(b"PK\x05\x06")
    record = bytearray(patched[eocd2:])
    record[8:10] = (2).to_bytes(2, "little")
    record[10:12] = (2).to_bytes(2, "little")
    record[12:16] = (len(entry) * 2).to_bytes(4, "little")
    (tmp_path / "overlap.zip").write_bytes(patched[:eocd2] + bytes(record))
    (tmp_path / "real.env").write_text(f"T={TOKEN}\n")
    code, doc, err = scan(str(tmp_path))
    assert code == 1
    assert [f["secret"] for f in doc["findings"]] == [TOKEN]  # type: ignore[index]
    assert "overlapping zip entries" in err


def _tar_peak_memory(entries: int) -> tuple[int, int]:
    """Members extracted from a gzip tar of ``entries`` one-byte files, and the peak memory
    traced while extracting them."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for i in range(entries):
            info = tarfile.TarInfo(f"d/f{i}")
            info.size = 1
            tf.addfile(info, io.BytesIO(b"x"))
    blob = Blob.from_bytes(buffer.getvalue(), Origin("many.tar.gz"), "many.tar.gz")
    limits = Limits(max_members=10_000_000)
    tracemalloc.start()
    count = sum(
        1
        for item in TarExtractor().extract(blob, Budget.for_limits(limits))
        if not isinstance(item, SourceProblem)
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return count, peak


def test_tar_with_many_entries_keeps_memory_bounded() -> None:
    """Header objects are not kept: memory does not grow with the number of entries (kept,
    8,000 more TarInfo headers would add about 3.5 MB)."""
    few, few_peak = _tar_peak_memory(2_000)
    many, many_peak = _tar_peak_memory(10_000)
    assert (few, many) == (2_000, 10_000)
    assert many_peak - few_peak < 1 << 20, (few_peak, many_peak)


def _docker_archive(path: Path, layers: list[bytes], diff_ids: list[str]) -> None:
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": ["PATH=/bin"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created_by": "COPY . /"} for _ in layers],
        }
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    names = [f"{hashlib.sha256(layer).hexdigest()}/layer.tar.gz" for layer in layers]
    manifest = json.dumps([{"Config": config_name, "RepoTags": ["t:1"], "Layers": names}])
    with tarfile.open(path, "w") as tf:
        for name, data in [("manifest.json", manifest.encode()), (config_name, config)] + list(
            zip(names, layers, strict=True)
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def test_image_layer_claiming_more_than_it_holds_is_cut(tmp_path: Path) -> None:
    bomb_plain = claiming_tar(100 << 30)
    good = io.BytesIO()
    with tarfile.open(fileobj=good, mode="w") as tf:
        data = f"T={TOKEN}\n".encode()
        info = tarfile.TarInfo("app/.env")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    good_plain = good.getvalue()
    layers = [gzip.compress(bomb_plain), gzip.compress(good_plain)]
    diff_ids = ["sha256:" + hashlib.sha256(p).hexdigest() for p in (bomb_plain, good_plain)]
    archive = tmp_path / "image.tar"
    _docker_archive(archive, layers, diff_ids)
    result = CliRunner().invoke(
        main, ["image", "-f", "json", "-j", "1", "--show-secrets", str(archive)]
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert [f["secret"] for f in doc["findings"]] == [TOKEN]
    assert "more than the layer can hold" in result.stderr


def _long_name_bomb(size: int = 64 << 20) -> bytes:
    """A tar.gz whose first header is a GNU long name of ``size`` bytes (a few KiB stored)."""
    return gzip_pieces(
        [extended_header(b"L", size), *(b"a" * (1 << 20) for _ in range(size >> 20))]
    )


def test_tar_header_bombs_end_their_archive_only(tmp_path: Path) -> None:
    # the long name was read into memory whole (gigabytes from megabytes); the chain of long
    # names ended in RecursionError ("internal error while scanning")
    (tmp_path / "longname.tar.gz").write_bytes(_long_name_bomb())
    chain = (extended_header(b"L", 5) + padded(b"name\0")) * 3000
    (tmp_path / "chain.tar").write_bytes(chain + tar_bytes({"a.env": f"T={TOKEN}\n".encode()}))
    (tmp_path / "real.env").write_text(f"T={TOKEN}\n")
    code, doc, err = scan(str(tmp_path))
    assert code == 1, err
    assert [f["path"] for f in doc["findings"]] == [str(tmp_path / "real.env")]  # type: ignore[index]
    assert "longname.tar.gz: extended tar header claims 67108864 bytes (tar bomb?)" in err
    assert "chain.tar: more than 16 extended tar headers in a row (tar bomb?)" in err
    assert "internal error" not in err


def test_image_tar_header_bombs_in_layer_and_outer_archive(tmp_path: Path) -> None:
    good = tar_bytes({"app/.env": f"T={TOKEN}\n".encode()})
    bomb = _long_name_bomb()
    archive = tmp_path / "image.tar"
    diff_ids = ["sha256:" + "0" * 64, "sha256:" + hashlib.sha256(good).hexdigest()]
    _docker_archive(archive, [bomb, gzip.compress(good)], diff_ids)
    outer = tmp_path / "outer.tar.gz"
    outer.write_bytes(_long_name_bomb())
    tracemalloc.start()
    result = CliRunner().invoke(
        main, ["image", "-f", "json", "-j", "1", "--show-secrets", str(archive), str(outer)]
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.exit_code == 1, result.output
    assert [f["secret"] for f in json.loads(result.stdout)["findings"]] == [TOKEN]
    assert "layer0@sha256:000000000000: extended tar header claims 67108864 bytes" in result.stderr
    assert f"{outer}: extended tar header claims 67108864 bytes (tar bomb?)" in result.stderr
    assert peak < 48 << 20
