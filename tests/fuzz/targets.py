"""Fuzz targets: one function per extractor and parser, fed arbitrary bytes.

A target must return normally for every input, or raise one of its ``allowed`` exceptions (a
``UserError`` for the config, baseline and rule parsers: the CLI maps it to exit 2). Anything
else escaping is a bug. The same registry drives the hypothesis property tests
(``tests/fuzz/test_properties.py``) and the coverage-guided runner (``python -m tests.fuzz.run``).

Seeds are small valid inputs built here (as the test style asks) plus files from ``fixtures/``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import struct
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from testing.archives import zip_bytes
from testing.rules import token_rule

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "fixtures"
TOKEN = "kgtest_Q7mZ2pLx9WvR4tYb8NcK3hJd6FsA1gEu"
TEXT = f"token = {TOKEN}\npassword: hunter2hunter2\n".encode()


@dataclass(frozen=True)
class Target:
    run: Callable[[bytes], None]
    seeds: Callable[[], list[bytes]]
    allowed: tuple[type[BaseException], ...] = ()
    doc: str = ""
    extra: dict[str, str] = field(default_factory=dict)


# --- helpers -----------------------------------------------------------------------------------


def _matcher() -> object:
    """A small matcher (one test rule, portable engine), built once per process."""
    global _MATCHER
    if _MATCHER is None:
        from scanner.matcher import Matcher
        from scanner.rulebook.compile import Ruleset
        from scanner.rulebook.schema import parse_rules

        rules = {
            "rules": [
                {
                    "id": "kgtest.fake-key",
                    "name": "n",
                    "description": "d",
                    "keywords": ["kgtest_"],
                    "pattern": r"\b(kgtest_[A-Za-z0-9]{32})\b",
                    "secret_group": 1,
                    "examples": [f"t = {TOKEN}"],
                    "negative_examples": ["kgtest_short"],
                }
            ]
        }
        ruleset = Ruleset.from_specs(parse_rules(rules, "fuzz"))
        _MATCHER = Matcher.build(ruleset, engine="aho-corasick")
    return _MATCHER


_MATCHER: object | None = None


def _expand(name: str) -> Callable[[bytes], None]:
    """Run the full expansion of a blob called ``name`` (every extractor that claims it, and
    everything nested), matching every chunk."""

    def run(data: bytes) -> None:
        from scanner.blob import Blob
        from scanner.extractors import Budget, Limits, expand
        from scanner.matcher import Matcher
        from scanner.models import Chunk, Origin, SourceProblem

        matcher = _matcher()
        assert isinstance(matcher, Matcher)
        limits = Limits(max_member_size=1 << 20, max_total_bytes=8 << 20, max_members=2000)
        blob = Blob.from_bytes(data, Origin(name), name)
        problems: list[SourceProblem] = []
        for item in expand(blob, Budget.for_limits(limits)):
            if isinstance(item, Chunk):
                matcher.scan(item, problems)

    return run


def _tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _fixture(*parts: str) -> list[bytes]:
    path = FIXTURES.joinpath(*parts)
    return [path.read_bytes()] if path.is_file() else []


# --- seeds ---------------------------------------------------------------------------------------


def _notebook_seeds() -> list[bytes]:
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "code", "source": [f"key = '{TOKEN}'\n"], "metadata": {},
             "outputs": [{"output_type": "stream", "name": "stdout", "text": [TOKEN]}],
             "execution_count": 1},
            {"cell_type": "markdown", "source": "# notes", "metadata": {}},
        ],
    }  # fmt: skip
    return [json.dumps(nb).encode(), *_fixture("demo", "notebooks", "explore.ipynb")]


def _pickle_seeds() -> list[bytes]:
    value = {"config": {"api_key": TOKEN}, "weights": [1.0, 2.0], "name": "m"}
    return [pickle.dumps(value, protocol=p) for p in (0, 2, 4, 5)]


def _safetensors_seeds() -> list[bytes]:
    header = {"__metadata__": {"token": TOKEN},
              "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}  # fmt: skip
    raw = json.dumps(header).encode()
    return [struct.pack("<Q", len(raw)) + raw + b"\0\0\0\0"]


def _gguf_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def _gguf_seeds() -> list[bytes]:
    kv = _gguf_string("tokenizer.chat_template") + struct.pack("<I", 8) + _gguf_string(TOKEN)
    kv += _gguf_string("general.count") + struct.pack("<I", 4) + struct.pack("<I", 7)
    return [b"GGUF" + struct.pack("<IQQ", 3, 0, 2) + kv]


def _npy_seeds() -> list[bytes]:
    header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header += " " * (63 - len(header) % 64) + "\n"
    body = pickle.dumps([TOKEN], protocol=2)
    return [b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + body]


def _torch_zip_seeds() -> list[bytes]:
    return [zip_bytes({"archive/data.pkl": pickle.dumps({"k": TOKEN}, protocol=2),
                  "archive/version": b"3\n"})]  # fmt: skip


def _docker_seeds() -> list[bytes]:
    layer = _tar({"app/.env": TEXT})
    config = json.dumps({"config": {"Env": [f"KEY={TOKEN}"]},
                         "rootfs": {"type": "layers", "diff_ids": []}}).encode()  # fmt: skip
    manifest = json.dumps([{"Config": "config.json", "RepoTags": ["x:1"],
                            "Layers": ["layer.tar"]}]).encode()  # fmt: skip
    return [manifest, config, _tar({"manifest.json": manifest, "config.json": config,
                                    "layer.tar": layer})]  # fmt: skip


def _docker_manifest(data: bytes) -> None:
    """``data`` as the manifest.json (and the config) of a docker-save tarball."""
    layer = _tar({"app/.env": TEXT})
    run = _expand("image.tar")
    run(_tar({"manifest.json": data, "config.json": data, "layer.tar": layer}))


def _oci_index(data: bytes) -> None:
    layout = json.dumps({"imageLayoutVersion": "1.0.0"}).encode()
    run = _expand("image.tar")
    run(_tar({"oci-layout": layout, "index.json": data}))


def _config(data: bytes) -> None:
    from scanner.config import discover_config, load_config
    from scanner.errors import ConfigError

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ".keyguard.toml"
        path.write_bytes(data)
        for trusted in (False, True):
            with contextlib.suppress(ConfigError):
                load_config(path, trusted=trusted)
        path.unlink()
        (Path(tmp) / "pyproject.toml").write_bytes(data)
        discover_config([Path(tmp)])  # an in-tree pyproject.toml never raises


def _baseline(data: bytes) -> None:
    from scanner.baseline import parse_baseline, parse_ignore
    from scanner.errors import BaselineError

    text = data.decode("utf-8", "replace")
    for parse in (parse_ignore, parse_baseline):
        with contextlib.suppress(BaselineError):
            parse(text, "fuzz")


def _ignore_lines(data: bytes) -> None:
    from scanner.ignore import IgnoreMatcher

    text = data.decode("utf-8", "surrogateescape")
    lines = text.splitlines()
    matcher = IgnoreMatcher.from_lines(lines)
    for path in (*lines[:8], "a/b", "x.env", "\udcff/y"):
        matcher.decision(path, False)
        matcher.decision(path, True)


def _rules(data: bytes) -> None:
    from scanner.rulebook.compile import Ruleset
    from scanner.rulebook.schema import load_rule_file

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rules.toml"
        path.write_bytes(data)
        Ruleset.from_specs(load_rule_file(path))


def _rule_seeds() -> list[bytes]:
    rule = token_rule(
        "fuzz.rule", "kgtest_", "[A-Za-z0-9]{32}", f"t = {TOKEN}", name="n", description="d"
    )
    return [rule.encode()]


def _decoders(data: bytes) -> None:
    from scanner.decoders import find_encoded, has_escapes, map_offset, unescape_backslashes

    text = data.decode("utf-8", "replace")
    for seg in find_encoded(text, base64_hex=True):
        assert 0 <= seg.start <= len(text)
    if has_escapes(text):
        out, anchors = unescape_backslashes(text)
        map_offset(anchors, len(out))


def _reports(data: bytes) -> None:
    """Every reporter, with ``data`` (as a surrogate-escaped file name) in every path field."""
    from scanner.escape import terminal_safe
    from scanner.matcher import Matcher
    from scanner.models import Chunk, Origin, ScanStats
    from scanner.reporters import REPORTERS, ReportContext

    matcher = _matcher()
    assert isinstance(matcher, Matcher)
    name = os.fsdecode(data[:200]) or "x"
    chunk = Chunk(TEXT.decode(), Origin(name, members=(name,), detail=(("k", name),)))
    findings = matcher.scan(chunk)
    ctx = ReportContext(ruleset=matcher.ruleset, tool_version="0", color=True)
    stats = ScanStats(suppressed_by=((name, 1),))
    for reporter in REPORTERS.values():
        out = io.StringIO()
        reporter.write(findings, stats, ctx, out)
        out.getvalue().encode("utf-8")  # always writable to a UTF-8 stream
    assert not any(ord(c) < 32 and c not in "\t\n" for c in terminal_safe(name))


def _log(fmt: str) -> Callable[[bytes], None]:
    """The ``keyguard filter`` framing for ``fmt`` (``build_framer``: the record filter and
    framer the CLI uses) over ``data``, fed in pieces and then finished."""

    def run(data: bytes) -> None:
        from scanner.logfilter.options import Counters, FilterOptions
        from scanner.logfilter.redactor import Redactor
        from scanner.logfilter.service import build_framer
        from scanner.matcher import Matcher

        matcher = _matcher()
        assert isinstance(matcher, Matcher)
        options = FilterOptions(fmt=fmt, max_line=4096, group_bytes=1024, overlap=256)
        redactor = Redactor(matcher, options.redaction, options.origin)
        framer = build_framer(redactor, options, Counters(), lambda found: None)
        out = bytearray()  # (whether each secret was redacted is the log filter's own tests' job)
        for start in range(0, len(data), 97):
            out += framer.feed(data[start : start + 97])
        out += framer.feed(b"", final=True)

    return run


def _user_errors() -> tuple[type[BaseException], ...]:
    from scanner.errors import UserError

    return (UserError,)


def _log_seeds(fmt: str) -> Callable[[], list[bytes]]:
    def seeds() -> list[bytes]:
        line = {"message": f"login ok key={TOKEN}", "level": "info"}
        if fmt == "lines":
            return [TEXT, b"no newline " + TOKEN.encode()]
        if fmt in ("json", "fluentd-json"):
            return [json.dumps(line).encode() + b"\n"]
        if fmt == "fluentd-tsv":
            return [b"2024-01-01T00:00:00Z\tapp\t" + json.dumps(line).encode() + b"\n"]
        if fmt == "rsyslog":
            return [json.dumps({"msg": f"key={TOKEN}"}).encode() + b"\n", TEXT]
        return [b"\x93\xa3app\xce\x00\x00\x00\x01\x81\xa3msg\xd9\x2a" + TOKEN.encode()[:42]]

    return seeds


def _targets() -> dict[str, Target]:
    errors = _user_errors()
    text = lambda: [TEXT, *_fixture("demo", ".env"), *_fixture("golden", "input", "ci.yaml")]  # noqa: E731
    targets = {
        "text": Target(_expand("notes.txt"), text),
        "zip": Target(_expand("bundle.zip"), lambda: [zip_bytes({"a/.env": TEXT, "b.txt": TEXT})]),
        "tar": Target(_expand("bundle.tar"), lambda: [_tar({"a/.env": TEXT})]),
        "tgz": Target(_expand("bundle.tar.gz"), lambda: [_tar({"a/.env": TEXT}, "w:gz")]),
        "gzip": Target(_expand("notes.txt.gz"), lambda: [__import__("gzip").compress(TEXT)]),
        "notebook": Target(_expand("explore.ipynb"), _notebook_seeds),
        "pickle": Target(_expand("model.pkl"), _pickle_seeds),
        "torch-zip": Target(_expand("model.pt"), _torch_zip_seeds),
        "npy": Target(_expand("array.npy"), _npy_seeds),
        "safetensors": Target(_expand("model.safetensors"), _safetensors_seeds),
        "gguf": Target(_expand("model.gguf"), _gguf_seeds),
        "onnx": Target(_expand("model.onnx"), lambda: [b"\x08\x07\x12\x04test" + TEXT]),
        "hdf5": Target(_expand("model.h5"), lambda: [b"\x89HDF\r\n\x1a\n" + b"\0" * 64 + TEXT]),
        "image-tar": Target(_expand("image.tar"), lambda: _docker_seeds()[2:]),
        "image-manifest": Target(_docker_manifest, lambda: _docker_seeds()[:2]),
        "oci-index": Target(
            _oci_index, lambda: [json.dumps({"schemaVersion": 2, "manifests": []}).encode()]
        ),  # fmt: skip
        "config": Target(
            _config, lambda: [*_fixture("..", ".keyguard.toml"), b'[allow]\npaths = ["^x"]\n']
        ),  # fmt: skip
        "baseline": Target(
            _baseline,
            lambda: [
                json.dumps(
                    {
                        "version": 1,
                        "findings": [{"path": "a", "rule_id": "r", "fingerprint": "0" * 32}],
                    }
                ).encode()
            ],
        ),  # fmt: skip
        "ignore": Target(_ignore_lines, lambda: [b"*.env\n!keep.env\n/build/\n**/tmp/*.txt\n"]),
        "rules": Target(_rules, _rule_seeds),
        "decoders": Target(
            _decoders,
            lambda: [
                b"a2d0ZXN0X1E3bVoycEx4OVd2UjR0WWI4TmNLM2hKZDZGc0ExZ0V1",
                b"\\x6b\\x67 %6B%67 \\u006b",
            ],
        ),  # fmt: skip
        "reports": Target(_reports, lambda: [b"evil\x1b[2J\n\xff.env", b"plain.txt"]),
    }
    targets["rules"] = Target(_rules, _rule_seeds, errors)
    for fmt in ("lines", "json", "rsyslog", "fluentd-tsv", "fluentd-json", "fluentd-msgpack"):
        targets[f"log-{fmt}"] = Target(_log(fmt), _log_seeds(fmt))
    return targets


TARGETS = _targets()


def run_one(name: str, data: bytes) -> None:
    """Run target ``name`` on ``data``; its allowed exceptions are swallowed."""
    target = TARGETS[name]
    with contextlib.suppress(*target.allowed):
        target.run(data)
