"""Model files: header-only reads, keys named by field, bad input degrades to warnings."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from scanner.blob import Blob
from testing.artifacts import (
    by_secret,
    fake_key,
    find_planted,
    gguf_file,
    h5_file,
    keras_file,
    onnx_file,
    safetensors_bytes,
    safetensors_file,
    scan_json,
    scan_problems,
    secrets_of,
)
from testing.damage import damaged_copies, first_half


class _Counting(io.RawIOBase):
    """Counts the bytes a scan reads from files."""

    total = 0

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.inner.read(len(buffer))
        buffer[: len(data)] = data
        _Counting.total += len(data)
        return len(data)

    def seek(self, pos: int, whence: int = 0) -> int:
        return self.inner.seek(pos, whence)

    def tell(self) -> int:
        return self.inner.tell()

    def close(self) -> None:
        self.inner.close()
        super().close()


@pytest.fixture
def bytes_read(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Counting]]:
    real_open = Blob.open

    def counting_open(self: Blob) -> BinaryIO:
        stream = real_open(self)
        if self.data is not None:
            return stream
        return io.BufferedReader(_Counting(stream), 4096)

    _Counting.total = 0
    monkeypatch.setattr(Blob, "open", counting_open)
    yield _Counting


def test_safetensors_metadata_key(tmp_path: Path, rules: Path) -> None:
    path = tmp_path / "model.safetensors"
    key = safetensors_file(path)
    code, report = scan_json("--rules", rules, "--show-secrets", path)
    assert code == 1
    finding = by_secret(report, key)
    assert finding["provenance"] == {"format": "safetensors", "key": "__metadata__.trainer_config"}
    assert report["problems"] == []


def test_big_weight_files_cost_only_their_header(
    tmp_path: Path, rules: Path, bytes_read: type[_Counting]
) -> None:
    giant = 2 * 1024**3
    key = fake_key("giant-safetensors")
    header = {
        "__metadata__": {"note": f"uploaded by {key}"},
        "w": {"dtype": "F32", "shape": [giant // 4], "data_offsets": [0, giant]},
    }
    st = tmp_path / "giant.safetensors"
    st.write_bytes(safetensors_bytes(header))
    with st.open("r+b") as fh:
        fh.truncate(st.stat().st_size + giant)  # sparse: costs no disk
    gg = tmp_path / "giant.gguf"
    keys = gguf_file(gg)
    with gg.open("r+b") as fh:
        fh.truncate(giant)
    _, report = scan_json("--rules", rules, "--show-secrets", "--max-file-size", "4GB", tmp_path)
    assert secrets_of(report) == {key, *keys.values()}
    assert report["problems"] == []
    assert 0 < bytes_read.total < 1024 * 1024


def test_gguf_template_and_token_array(tmp_path: Path, rules: Path) -> None:
    path = tmp_path / "model.gguf"
    found = find_planted(rules, path, gguf_file(path))
    assert found["template"]["provenance"]["key"] == "tokenizer.chat_template"
    assert found["array"]["provenance"]["key"] == "tokenizer.ggml.tokens"


def _gguf_header(version: int, kv_count: int, tensor_count: int = 0) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, tensor_count, kv_count)


def _gguf_string(text: str | bytes, claimed: int | None = None) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(raw) if claimed is None else claimed) + raw


def test_gguf_hostile_counts_warn(tmp_path: Path, rules: Path) -> None:
    (tmp_path / "kvs.gguf").write_bytes(_gguf_header(3, 2**62) + b"\x00" * 64)
    (tmp_path / "str.gguf").write_bytes(
        _gguf_header(3, 1)
        + _gguf_string("general.name")
        + struct.pack("<I", 8)
        + _gguf_string("x", claimed=2**40)
    )
    array = struct.pack("<IIQ", 9, 8, 2**50)  # array of 2**50 strings
    (tmp_path / "arr.gguf").write_bytes(_gguf_header(3, 1) + _gguf_string("t") + array)
    (tmp_path / "ver.gguf").write_bytes(_gguf_header(99, 0))
    (tmp_path / "magic.gguf").write_bytes(b"GGML" + b"\x00" * 32)
    code, report = scan_json("--rules", rules, tmp_path)
    assert code == 0
    problems = "\n".join(report["problems"])
    for name in ("kvs", "str", "arr", "ver", "magic"):
        assert f"{name}.gguf" in problems
    assert "internal error" not in problems


def test_onnx_doc_strings_metadata_and_attributes(tmp_path: Path, rules: Path) -> None:
    path = tmp_path / "model.onnx"
    found = find_planted(rules, path, onnx_file(path))
    where = {place: finding["provenance"]["key"] for place, finding in found.items()}
    assert where["doc"] == "doc_string"
    assert where["graphdoc"] == "graph[0].doc_string"
    assert where["meta"].endswith("[registry_token]")
    assert "attribute" in where["attr"] and where["attr"].endswith("[custom_auth]")


def test_keras_zip_and_h5_attributes(tmp_path: Path, rules: Path) -> None:
    keras = tmp_path / "model.keras"
    keras_key = keras_file(keras)
    h5_keys = h5_file(tmp_path / "weights.h5")
    _, report = scan_json("--rules", rules, "--show-secrets", tmp_path)
    assert secrets_of(report) == {keras_key, *h5_keys.values()}
    assert by_secret(report, keras_key)["location"] == f"{keras}!config.json"
    assert by_secret(report, h5_keys["attr"])["provenance"] == {"format": "hdf5", "key": "note"}
    assert by_secret(report, h5_keys["config"])["provenance"]["key"] == "model_config"
    assert report["problems"] == []


def test_keras_zip_bomb_is_refused(tmp_path: Path, rules: Path) -> None:
    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", "{}")
        zf.writestr("assets/zeros.txt", b"\x00" * (40 * 1024 * 1024))
    code, report = scan_json("--rules", rules, bomb)
    assert code == 0
    assert any("zip bomb" in p or "ratio" in p for p in report["problems"])


def test_h5_attribute_names_give_context(tmp_path: Path, rules: Path) -> None:
    import h5py  # type: ignore[import-untyped,unused-ignore]
    import numpy as np

    keys = {k: fake_key(f"h5-{k}") for k in ("latest", "fixed", "array", "group")}
    with h5py.File(tmp_path / "new.h5", "w", libver="latest") as f:
        f.attrs["deploy_token"] = keys["latest"]
        f.attrs["fixed"] = np.bytes_(f"fixed {keys['fixed']}")
    with h5py.File(tmp_path / "old.h5", "w") as f:
        f.attrs["tokens"] = ["first-value", keys["array"]]
        f.create_group("a").create_group("b").attrs["auth"] = keys["group"]
    _, report = scan_json("--rules", rules, "--show-secrets", tmp_path)
    assert secrets_of(report) == set(keys.values())
    assert len(report["findings"]) == 4
    names = {by_secret(report, key)["provenance"]["key"] for key in keys.values()}
    assert names == {"deploy_token", "fixed", "tokens", "auth"}


def test_hugging_face_folder_text_files(tmp_path: Path, rules: Path) -> None:
    folder = tmp_path / "my-model"
    folder.mkdir()
    keys = {name: fake_key(f"hf-{name}") for name in ("config", "tokenizer", "generation", "card")}
    (folder / "config.json").write_text(
        json.dumps({"model_type": "llama", "hf_token": keys["config"]})
    )
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"chat_template": f"{{{{ bos }}}} {keys['tokenizer']}"})
    )
    (folder / "generation_config.json").write_text(json.dumps({"api": keys["generation"]}))
    (folder / "README.md").write_text(f"---\nlicense: mit\n---\n# Model\nUse key {keys['card']}\n")
    safetensors_file(folder / "model.safetensors")
    _, report = scan_json("--rules", rules, "--show-secrets", folder)
    assert set(keys.values()) <= secrets_of(report)
    assert by_secret(report, keys["card"])["line"] == 5


def test_truncated_and_corrupted_model_files_warn(tmp_path: Path, rules: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    safetensors_file(src / "a.safetensors")
    gguf_file(src / "b.gguf")
    onnx_file(src / "c.onnx")
    keras_file(src / "d.keras")
    h5_file(src / "e.h5")
    bad = tmp_path / "bad"
    damages = {
        "half": first_half,
        "magic": lambda data: b"\x13\x37\x00\xff" + data[4:],
        "tiny": lambda data: data[:7],
    }
    written = damaged_copies(src, bad, damages)
    past = safetensors_bytes({"__metadata__": {}})[8:]
    (bad / "past.safetensors").write_bytes(struct.pack("<Q", 10**12) + past)
    problems = scan_problems("--rules", rules, bad)
    for name in written:
        if not name.startswith("magic-"):
            assert name in problems
    assert "past.safetensors: safetensors header length points past the end" in problems
    for name in ("b.gguf", "d.keras", "e.h5"):
        assert f"magic-{name}" in problems
