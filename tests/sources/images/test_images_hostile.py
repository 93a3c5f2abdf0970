"""Image inputs built to hurt: nested JSON in manifests and configs, tar headers that claim
gigabytes, layers that decompress without end. Each ends as a warning naming the input; the
rest of the scan goes on."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scanner.cli import main
from testing.archives import gzip_pieces, tar_bytes
from testing.images import Image, Layer, file, layer_tar, write_docker_archive

TOKEN = "kgtest_Fake0Hostile1Image2Tok3Ab"  # found by the ``rules`` fixture's rule (conftest.py)


def run(rules: Path, *paths: Path) -> tuple[int, list[dict[str, Any]], str]:
    args = ["image", *map(str, paths), "--rules", str(rules), "--only-rule", "kgtest.*"]
    result = CliRunner().invoke(main, [*args, "--engine", "aho-corasick", "-f", "json"])
    findings = json.loads(result.stdout)["findings"] if result.stdout.strip() else []
    return result.exit_code, findings, result.stderr


def test_deeply_nested_manifest_and_config_are_warnings(tmp_path: Path, rules: Path) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    layer = layer_tar([file("app/.env", f"T={TOKEN}\n")])
    bad_manifest = tmp_path / "manifest.tar"
    bad_manifest.write_bytes(tar_bytes({"manifest.json": deep}))
    manifest = [{"Config": "c.json", "Layers": ["l.tar"]}]
    bad_config = tmp_path / "config.tar"
    bad_config.write_bytes(
        tar_bytes({"manifest.json": json.dumps(manifest).encode(), "c.json": deep, "l.tar": layer})
    )
    good = write_docker_archive(tmp_path / "good.tar", [Image([Layer([file("x.env", TOKEN)])])])
    code, findings, err = run(rules, bad_manifest, bad_config, good)
    assert "internal error" not in err
    assert f"{bad_manifest}: manifest.json is not valid JSON" in err
    assert f"{bad_config}!image0: c.json is not valid JSON" in err
    assert code == 1
    assert {f["path"] for f in findings} == {str(bad_config), str(good)}


def test_layer_data_past_its_tar_is_read_only_to_the_ratio_limit(
    tmp_path: Path, rules: Path
) -> None:
    # the digest check read every byte after the tar's end: gigabytes of zeros in a few MB
    plain = layer_tar([file("app/.env", f"T={TOKEN}\n")])
    bomb = gzip_pieces([plain, *(bytes(1 << 20) for _ in range(256))])
    manifest = [{"Config": "c.json", "Layers": ["l.tar.gz"]}]
    config = {"rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]}}
    archive = tmp_path / "image.tar"
    members = {"manifest.json": json.dumps(manifest), "c.json": json.dumps(config)}
    archive.write_bytes(tar_bytes({k: v.encode() for k, v in members.items()} | {"l.tar.gz": bomb}))
    code, findings, err = run(rules, archive)
    assert code == 1
    assert [f["member"].rsplit("!", 1)[-1] for f in findings] == ["app/.env"]
    assert "expands past" in err and "digests not checked" in err


@pytest.mark.parametrize("gzipped", [True, False])
def test_archive_of_millions_of_entries_is_indexed_only_so_far(
    tmp_path: Path, rules: Path, monkeypatch: pytest.MonkeyPatch, gzipped: bool
) -> None:
    # every header was kept (the stream's member list and the index): 600,000 empty entries in
    # a 4 MB gzip took 523 MB and 31 s, ten million would not fit in memory
    from scanner.sources.images import stores

    monkeypatch.setattr(stores, "MAX_ENTRIES", 2_000)
    junk = {f"junk/{i}": b"" for i in range(40_000)}
    archive = tmp_path / ("many.tar.gz" if gzipped else "many.tar")
    archive.write_bytes(tar_bytes(junk | {"manifest.json": b"[]"}, "gz" if gzipped else ""))
    tracemalloc.start()
    code, _, err = run(rules, archive)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "more than 2000 entries (not an image archive?); the rest is not read" in err
    assert "internal error" not in err and code in (0, 2)
    assert peak < 12 << 20
