"""Fixture builders for notebook and model-artifact tests, made with the real libraries.

Each builder writes one file that hides a fake key (from :func:`fake_key`) in one place. The
keys match the test-only rule in :data:`RULES_TOML`, so tests pass ``--rules`` and do not depend
on the built-in rule files. Imports of the ML libraries are local to each builder.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import struct
import tarfile
import zipfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from testing.rules import token_rule

ENGINE = "aho-corasick"
"""The prefilter engine the tests pin (independent of optional hyperscan builds)."""

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

RULES_TOML = token_rule(
    "kgtest.fake-key",
    "kgtest_",
    "[A-Za-z0-9]{32}",
    "token = kgtest_Q7mZ2pLx9WvR4tYb8NcK3hJd6FsA1gEu",
    name="keyguard artifact test key",
    description="A synthetic key format used only by the artifact tests.",
)


def fake_key(tag: str) -> str:
    """A synthetic key unique to ``tag`` (so a test knows which hiding place was found)."""
    digest = hashlib.sha256(tag.encode()).digest()
    body = "".join(B62[b % 62] for b in digest[:32])
    return "kgtest_" + body


def isolate_rules(monkeypatch: Any, directory: Path, *builtin: str) -> Path:
    """Make the "built-in" rules a copy of just ``builtin`` files from ``rules/`` (so tests do
    not depend on rule files being edited elsewhere) and return the test-only rule file."""
    import shutil

    import scanner.rulebook.loader as loader

    source = loader.builtin_rules_dir()
    target = directory / "builtin-rules"
    target.mkdir(exist_ok=True)
    for name in builtin or ("model.toml",):
        shutil.copy(source / name, target / name)
    monkeypatch.setattr(loader, "builtin_rules_dir", lambda: target)
    return write_rules(directory)


def write_rules(directory: Path) -> Path:
    path = directory / "kgtest-rules.toml"
    path.write_text(RULES_TOML, encoding="utf-8")
    return path


def scan_json(*args: str | Path) -> tuple[int, dict[str, Any]]:
    """Run ``keyguard scan --format json ARGS`` in-process; (exit code, parsed report)."""
    from scanner.cli import main

    runner = CliRunner()
    command = ["--debug", "scan", "--format", "json", "--engine", ENGINE, *map(str, args)]
    result = runner.invoke(main, command)
    if result.exit_code not in (0, 1):
        raise AssertionError(f"scan failed ({result.exit_code}): {result.output}")
    start = result.stdout.index("{")
    report: dict[str, Any] = json.loads(result.stdout[start:])
    return result.exit_code, report


def scan_problems(*args: str | Path) -> str:
    """The problems a JSON scan reports, one a line; none may be an internal error."""
    _, report = scan_json(*args)
    problems = "\n".join(report["problems"])
    assert "internal error" not in problems, problems
    return problems


def secrets_of(report: dict[str, Any], rule: str = "kgtest.fake-key") -> set[str]:
    return {f["secret"] for f in report["findings"] if f["rule_id"] == rule}


def by_secret(report: dict[str, Any], secret: str) -> dict[str, Any]:
    findings: list[dict[str, Any]] = report["findings"]
    for finding in findings:
        if finding["secret"] == secret:
            return finding
    raise AssertionError(f"no finding for {secret[:10]}...")


def find_planted(rules: Path, target: Path, keys: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Scan ``target`` with its secrets shown: exactly the ``keys`` planted there are found
    (by the test rule); each one's finding, by its name in ``keys``."""
    _, report = scan_json("--rules", rules, "--show-secrets", target)
    assert secrets_of(report) == set(keys.values())
    return {name: by_secret(report, secret) for name, secret in keys.items()}


# --- notebooks ---------------------------------------------------------------------------------


def notebook_v4(path: Path) -> dict[str, str]:
    """A v4 notebook with keys in source, stream, display text, error, attachment, metadata."""
    import nbformat as nbformat_module

    nbformat: Any = nbformat_module  # untyped library: keep strict mypy quiet
    v4 = nbformat.v4
    new_code_cell, new_markdown_cell = v4.new_code_cell, v4.new_markdown_cell
    new_notebook, new_output = v4.new_notebook, v4.new_output

    keys = {k: fake_key(f"nb4-{k}") for k in ("source", "stream", "display", "error")}
    keys |= {k: fake_key(f"nb4-{k}") for k in ("attachment", "metadata", "cellmeta", "json")}
    nb = new_notebook()
    nb.metadata["deploy"] = {"token": keys["metadata"]}
    md = new_markdown_cell("# Notes\n![img](attachment:note.txt)")
    md.attachments = {"note.txt": {"text/plain": f"creds {keys['attachment']}"}}
    nb.cells.append(md)
    code = new_code_cell(f'import os\nx = 1\nAPI = "{keys["source"]}"\nprint(API)')
    code.metadata["secret_ref"] = keys["cellmeta"]
    code.outputs = [
        new_output("stream", name="stdout", text=f"starting\nusing {keys['stream']}\n"),
        new_output(
            "display_data",
            data={
                "image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
                "text/plain": f"Result({keys['display']})",
                "application/json": {"auth": {"bearer": keys["json"]}},
            },
        ),
        new_output(
            "error",
            ename="ValueError",
            evalue="bad key",
            traceback=["\x1b[0;31mValueError\x1b[0m", f"\x1b[0;32mkey={keys['error']}\x1b[0m"],
        ),
    ]
    nb.cells.append(code)
    nbformat.validate(nb)
    nbformat.write(nb, str(path))
    return keys


def notebook_v3(path: Path) -> dict[str, str]:
    """A v3 notebook (worksheets, ``input``, ``pyout``) with keys in input and output."""
    import nbformat as nbformat_module

    nbformat: Any = nbformat_module
    v3 = nbformat.v3
    new_code_cell, new_notebook, new_output = v3.new_code_cell, v3.new_notebook, v3.new_output
    new_text_cell, new_worksheet = v3.new_text_cell, v3.new_worksheet

    keys = {"input": fake_key("nb3-input"), "pyout": fake_key("nb3-pyout")}
    keys["markdown"] = fake_key("nb3-markdown")
    cell = new_code_cell(input=f"token = '{keys['input']}'\ntoken", prompt_number=1)
    cell.outputs = [new_output("pyout", output_text=f"'{keys['pyout']}'", prompt_number=1)]
    text = new_text_cell("markdown", source=f"Notes\n\nold token {keys['markdown']}")
    nb = new_notebook(worksheets=[new_worksheet(cells=[text, cell])])
    nbformat.write(nb, str(path), version=3)
    return keys


# --- pickles -----------------------------------------------------------------------------------


class WritesFile:
    """A pickle payload whose load would create ``target`` (via ``builtins.exec``)."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (exec, (f"open({str(self.target)!r}, 'w').write('pwned')",))


class RunsSystem:
    """A payload whose load would run a shell command (``os.system``)."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        import os

        return (os.system, (f"touch {self.target}",))


def malicious_pickle(path: Path, target: Path, protocol: int = 4) -> None:
    data = pickle.dumps({"weights": [1, 2], "payload": WritesFile(target)}, protocol=protocol)
    path.write_bytes(data)


def plain_pickle(path: Path, protocol: int = 2) -> str:
    key = fake_key(f"pickle-{protocol}")
    data = {"config": {"api_key": key, "lr": 0.1}, "names": ["a", "b"], "blob": b"\x00\x01"}
    path.write_bytes(pickle.dumps(data, protocol=protocol))
    return key


def torch_checkpoint(path: Path) -> str:
    import torch

    key = fake_key("torch-zip")
    state = {"model": torch.nn.Linear(4, 2).state_dict(), "hparams": {"hub_token": key}}
    torch.save(state, str(path))
    return key


def torch_legacy(path: Path) -> str:
    import torch

    key = fake_key("torch-legacy")
    state = {"weights": torch.ones(3), "meta": {"token": key}}
    torch.save(state, str(path), _use_new_zipfile_serialization=False)
    return key


def torch_tar_legacy(path: Path) -> str:
    """The pre-1.0 tar layout (``sys_info``, ``pickle``, ``storages``, ``tensors`` members)."""
    key = fake_key("torch-tar")
    members = {
        "sys_info": pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2),
        "pickle": pickle.dumps({"optimizer": {"secret": key}}, protocol=2),
        "storages": pickle.dumps([], protocol=2) + b"\x00" * 64,
        "tensors": pickle.dumps(0, protocol=2),
    }
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return key


def joblib_file(path: Path, compress: int | str | tuple[str, int] = 0) -> str:
    import joblib  # type: ignore[import-untyped,unused-ignore]
    import numpy as np

    key = fake_key(f"joblib-{compress}")
    obj = {
        "weights": np.arange(64, dtype=np.float64).reshape(8, 8),
        "labels": np.array(["cat", None, "dog"], dtype=object),
        "settings": {"service_key": key},
        "after": np.zeros(5, dtype=np.int32),
        "tail": "end",
    }
    joblib.dump(obj, str(path), compress=compress)
    return key


def npy_object(path: Path) -> str:
    import numpy as np

    key = fake_key("npy-object")
    np.save(str(path), np.array([{"k": key}, 3], dtype=object), allow_pickle=True)
    return key


def npz_archive(path: Path) -> dict[str, str]:
    import numpy as np

    keys = {"object": fake_key("npz-object"), "unicode": fake_key("npz-unicode")}
    np.savez(
        str(path),
        big=np.zeros((64, 64), dtype=np.float32),
        objs=np.array([keys["object"], 1], dtype=object),
        names=np.array(["x", keys["unicode"]]),
    )
    return keys


# --- header formats ----------------------------------------------------------------------------


def safetensors_file(path: Path) -> str:
    import numpy as np
    from safetensors.numpy import save_file

    key = fake_key("safetensors")
    save_file(
        {"w": np.ones((4, 4), dtype=np.float32)},
        str(path),
        metadata={"format": "np", "trainer_config": json.dumps({"wandb_key": key})},
    )
    return key


def gguf_file(path: Path) -> dict[str, str]:
    import gguf
    import numpy as np

    keys = {"template": fake_key("gguf-template"), "array": fake_key("gguf-array")}
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_string("general.name", "kg-test-model")
    writer.add_uint32("general.quantization_version", 2)
    writer.add_chat_template(
        "{% for m in messages %}{{ m.content }}{% endfor %}"
        f"{{# deploy key {keys['template']} #}}"
    )
    writer.add_token_list(["<s>", "</s>", "hello", keys["array"]])
    writer.add_array("general.tags", [1, 2, 3])
    writer.add_tensor("w", np.ones((8, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return keys


def onnx_file(path: Path) -> dict[str, str]:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    keys = {k: fake_key(f"onnx-{k}") for k in ("doc", "meta", "attr", "graphdoc")}
    weight = numpy_helper.from_array(np.ones((2, 2), dtype=np.float32), name="W")
    node = helper.make_node(
        "MatMul",
        ["X", "W"],
        ["Y"],
        name="mm",
        doc_string="matmul",
    )
    node.attribute.append(helper.make_attribute("custom_auth", keys["attr"]))
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2, 2])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 2])],
        initializer=[weight],
        doc_string=f"graph notes {keys['graphdoc']}",
    )
    model = helper.make_model(graph, doc_string=f"exported with {keys['doc']}")
    helper.set_model_props(model, {"registry_token": keys["meta"]})
    onnx.save(model, str(path))
    return keys


def keras_file(path: Path) -> str:
    """A ``.keras`` zip as Keras 3 writes it: config.json, metadata.json, model.weights.h5."""
    key = fake_key("keras")
    config = {
        "class_name": "Sequential",
        "config": {"name": "seq", "layers": []},
        "compile_config": {"loss": "mse", "wandb_api_key": key},
    }
    metadata = {"keras_version": "3.0.0", "date_saved": "2026-01-01@00:00:00"}
    import h5py  # type: ignore[import-untyped,unused-ignore]
    import numpy as np

    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        f.create_dataset("layers/dense/vars/0", data=np.ones((4, 4), dtype=np.float32))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("metadata.json", json.dumps(metadata))
        zf.writestr("model.weights.h5", weights.getvalue())
    return key


def scan_api(path: Path, rules: Path, limits: Any = None) -> Any:
    """Scan one file through the Python API (``scan_blob``); returns the ``BlobResult``."""
    from scanner.blob import Blob
    from scanner.commands.common import Settings, build_matcher, build_ruleset
    from scanner.config import Config
    from scanner.engine.unit import scan_blob
    from scanner.extractors import Limits
    from scanner.models import Origin

    settings = Settings(rule_files=(rules,), engine=ENGINE)
    config = Config()
    ruleset = build_ruleset(settings, config)
    matcher = build_matcher(settings, config, ruleset)
    blob = Blob.from_path(path, Origin(path=str(path)), path.stat().st_size)
    return scan_blob(blob, matcher, limits or Limits())


def raw_line_of(path: Path, needle: str) -> int:
    """The 1-based line of ``path`` containing ``needle``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError("needle not in file")


def h5_file(path: Path) -> dict[str, str]:
    import h5py  # type: ignore[import-untyped,unused-ignore]
    import numpy as np

    keys = {"attr": fake_key("h5-attr"), "config": fake_key("h5-config")}
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps({"optimizer": {"hub_token": keys["config"]}})
        ds = f.create_dataset("weights", data=np.random.default_rng(1).random((256, 256)))
        ds.attrs["note"] = f"uploaded with {keys['attr']}"
    return keys


def safetensors_bytes(header: dict[str, Any], payload: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + payload
