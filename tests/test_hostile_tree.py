"""One scan over a tree holding a hostile input of every kind, each with a real secret beside it:
the scan ends with exit 1, no traceback, bounded memory, nothing executed, and every planted
secret reported."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import pickle
import struct
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from testing.archives import zip_bytes
from testing.tokens import github_token

ROOT = Path(__file__).resolve().parent.parent


class _RunsCommand:
    """A pickle that would create ``marker`` if it were ever unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def _tar_gz_claiming(size: int) -> bytes:
    info = tarfile.TarInfo("huge.bin")
    info.size = size
    return gzip.compress(info.tobuf(format=tarfile.GNU_FORMAT) + b"\0" * 4096)


def _traversal_tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tf:
        for name in ("../../etc/evil.cfg", "/abs/evil.cfg"):
            data = b"x=1\n"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("link")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tf.addfile(link)
    return buffer.getvalue()


def _nestedzip_bytes(levels: int) -> bytes:
    data = b"inner=1\n"
    for i in range(levels):
        data = zip_bytes({f"level{i}.zip" if i else "inner.txt": data})
    return data


def build_hostile_tree(root: Path, marker: Path) -> dict[str, str]:
    """One directory per hostile input, each with a ``secret.env`` beside it; returns the
    planted token of each kind."""
    hostile: dict[str, bytes | None] = {
        "zip-ratio-bomb.zip": zip_bytes({"zeros.bin": b"\0" * (80 << 20)}),
        "nested-50.zip": _nestedzip_bytes(50),
        "tar-claims-8tib.tar.gz": _tar_gz_claiming(8 << 40),
        "traversal.tar": _traversal_tar(),
        "bomb.bz2": bz2.compress(b"\0" * (40 << 20)),
        "bomb.xz": lzma.compress(b"\0" * (40 << 20)),
        "evil.pkl": pickle.dumps(_RunsCommand(marker)),
        "absurd.safetensors": struct.pack("<Q", 1 << 62) + b"{",
        "truncated.gguf": b"GGUF" + struct.pack("<IQQ", 3, 1 << 40, 1 << 40),
        "broken.ipynb": b'{"cells": [{"cell_type": "code", "source": ["x = 1',
        "latin1.txt": "caf\xe9 \xff\xfe".encode("latin-1"),
        "utf16-no-bom.txt": "hello".encode("utf-16-le"),
        "long-line.js": b"var a=" + b"x" * (20 << 20) + b";\n",
        "name\x1b[31mwith-escape\nnewline.txt": b"plain\n",
        "fifo": None,
    }
    tokens: dict[str, str] = {}
    for i, (name, data) in enumerate(sorted(hostile.items())):
        kind = f"k{i:02d}"
        directory = root / kind
        directory.mkdir()
        path = directory / name
        if data is None:
            os.mkfifo(path)
        else:
            path.write_bytes(data)
        body = f"FakeKeyGuard{kind}Hostile0Tree1Ab"[:30].ljust(30, "Z")
        tokens[name] = github_token(body)
        (directory / "secret.env").write_text(f"GITHUB_TOKEN={tokens[name]}\n")
    loops = root / "loops"
    loops.mkdir()
    (loops / "a").symlink_to(loops / "b")
    (loops / "b").symlink_to(loops / "a")
    (loops / "up").symlink_to(root)
    (loops / "null").symlink_to("/dev/null")
    sparse = root / "sparse.bin"
    with open(sparse, "wb") as fh:
        fh.truncate(4 << 30)
    return tokens


# runs the command given after the file name and writes the peak memory of the command and its
# own children (KiB) to that file, passing the exit code on
_MEASURED = (
    "import pathlib, resource, subprocess, sys; r = subprocess.run(sys.argv[2:]); "
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
    "pathlib.Path(sys.argv[1]).write_text(str(peak)); sys.exit(r.returncode)"
)


@pytest.mark.slow
def test_one_scan_over_every_hostile_input(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    marker = tmp_path / "pickle-ran"
    tokens = build_hostile_tree(tree, marker)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    peak_file = tmp_path / "peak-kib"
    # the scan's own peak (and its workers'): RUSAGE_CHILDREN of this test process would also
    # count every earlier child of the same test worker
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURED, str(peak_file), sys.executable, "-m", "scanner"]
        + ["scan", str(tree), "-f", "json", "--show-secrets"],
        capture_output=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    peak_kib = int(peak_file.read_text())
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert "\x1b" not in stderr  # names are escaped on the terminal
    found = {f["secret"] for f in json.loads(proc.stdout)["findings"]}
    missing = {name for name, token in tokens.items() if token not in found}
    assert missing == set()
    assert not marker.exists()  # the pickle was walked, never loaded
    assert peak_kib < 1_500_000  # bounded memory (KiB), whatever the inputs claim
