"""Benchmark ``keyguard image`` on a generated image: throughput and peak memory.

    python bench/image.py                    # ~1 GB image, plus a ~256 MB one to show memory bound
    python bench/image.py --sizes 1024       # sizes in MB
    python bench/image.py --compress gzip    # OCI layout with gzip layers instead of docker-archive

The image (several layers of random-ish text and binary files, with a few planted fake secrets)
is written to a temporary directory, scanned by ``keyguard image`` in a child process, timed, and
deleted. Peak memory is the child's maximum resident set size. Results are appended to
bench/RESULTS.md under an "image" heading.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testing.tokens import AWS_SECRET, aws_key_id, github_token  # noqa: E402

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "config",
    "server",
    "client",
    "request",
    "response",
    "token",
    "value",
    "cache",
    "layer",
    "image",
    "build",
    "python",
    "install",
    "package",
    "module",
    "import",
    "return",
    "yield",
    "class",
    "def",
    "for",
    "while",
    "if",
    "else",
    "try",
    "except",
    "with",
    "open",
    "read",
    "write",
    "path",
    "file",
    "data",
    "json",
    "yaml",
]
MB = 1024 * 1024


def text_pool(rng: random.Random, size: int) -> bytes:
    lines = []
    total = 0
    while total < size:
        kind = rng.random()
        if kind < 0.6:
            line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14)))
        elif kind < 0.85:
            line = f"{rng.choice(WORDS)}_{rng.randint(0, 999)} = {rng.randint(0, 1 << 20)}"
        else:
            line = f"    {rng.choice(WORDS)}({rng.choice(WORDS)}, {rng.randint(0, 1 << 30)})"
        lines.append(line)
        total += len(line) + 1
    return ("\n".join(lines) + "\n").encode()


def planted() -> list[tuple[str, bytes]]:
    token = github_token()
    return [
        ("app/.env", f"GITHUB_TOKEN={token}\n".encode()),
        (
            "etc/aws/credentials",
            f"aws_access_key_id = {aws_key_id()}\naws_secret_access_key = {AWS_SECRET}\n".encode(),
        ),
        ("srv/deploy.sh", f"curl -H 'Authorization: token {token}' https://x.invalid\n".encode()),
    ]


def write_layer(path: Path, rng: random.Random, size: int, pool: bytes, n: int) -> int:
    """One layer tar of about ``size`` bytes; returns the number of planted secret files."""
    written = 0
    count = 0
    plants = planted() if n % 3 == 1 else []
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in plants:
            _add(tf, f"{name}", data)
        while written < size:
            if rng.random() < 0.25:
                data = rng.randbytes(rng.randint(4 * 1024, 2 * MB))
                name = f"usr/lib/l{n}/bin{count}.so"
            else:
                length = rng.randint(512, 512 * 1024)
                start = rng.randrange(0, len(pool) - length)
                data = pool[start : start + length]
                name = f"usr/share/l{n}/d{count % 50}/f{count}.txt"
            _add(tf, name, data)
            written += len(data)
            count += 1
    return len(plants)


def _add(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    tf.addfile(info, io.BytesIO(data))


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(MB):
            h.update(chunk)
    return h.hexdigest()


def generate(directory: Path, size_mb: int, layers: int, compress: str) -> tuple[Path, int]:
    """The image (docker-archive tar, or an OCI layout with gzip layers) and the planted count."""
    rng = random.Random(size_mb)
    pool = text_pool(rng, 8 * MB)
    per_layer = size_mb * MB // layers
    tars: list[Path] = []
    plants = 0
    for n in range(layers):
        path = directory / f"layer{n}.tar"
        plants += write_layer(path, rng, per_layer, pool, n)
        tars.append(path)
    diff_ids = ["sha256:" + _sha256_file(t) for t in tars]
    history = [{"created_by": f"COPY layer{n} / # buildkit"} for n in range(layers)]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        }
    ).encode()
    if compress == "gzip":
        return _oci(directory, tars, config), plants
    out = directory / "image.tar"
    chex = hashlib.sha256(config).hexdigest()
    names = [f"{d[7:]}/layer.tar" for d in diff_ids]
    manifest = [{"Config": f"{chex}.json", "RepoTags": ["bench/image:1"], "Layers": names}]
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
        for tar, name in zip(tars, names, strict=True):
            tf.add(tar, arcname=name)
            tar.unlink()
        _add(tf, f"{chex}.json", config)
        _add(tf, "manifest.json", json.dumps(manifest).encode())
    return out, plants


def _oci(directory: Path, tars: list[Path], config: bytes) -> Path:
    layout = directory / "layout"
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    layers = []
    for tar in tars:
        packed = tar.with_suffix(".tar.gz")
        with open(tar, "rb") as src, gzip.open(packed, "wb", compresslevel=1) as dst:
            shutil.copyfileobj(src, dst, MB)
        tar.unlink()
        digest = _sha256_file(packed)
        size = packed.stat().st_size
        packed.rename(blobs / digest)
        layers.append(
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": f"sha256:{digest}",
                "size": size,
            }
        )

    def put(data: bytes) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"digest": f"sha256:{digest}", "size": len(data)}

    cdesc = {"mediaType": "application/vnd.oci.image.config.v1+json", **put(config)}
    manifest = {
        "schemaVersion": 2,
        "config": cdesc,
        "layers": layers,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
    }
    mdesc = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        **put(json.dumps(manifest).encode()),
    }
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [mdesc]}))
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    return layout


def disk_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(target: Path, jobs: int) -> dict[str, float]:
    cmd = [sys.executable, "-m", "scanner", "image", str(target), "-f", "json", "-q"]
    cmd += ["--jobs", str(jobs)] if jobs else []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    timer = Path("/usr/bin/time")
    started = time.monotonic()
    if timer.exists():
        done = subprocess.run(
            [str(timer), "-v", *cmd], capture_output=True, text=True, env=env, check=False
        )
        seconds = time.monotonic() - started
        peak_kb = next(
            int(line.split(":")[1])
            for line in done.stderr.splitlines()
            if "Maximum resident set size" in line
        )
    else:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        seconds = time.monotonic() - started
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode not in (0, 1):
        raise SystemExit(f"keyguard image failed ({done.returncode}): {done.stderr[-2000:]}")
    findings = json.loads(done.stdout)["findings"]
    return {"seconds": seconds, "peak_mb": peak_kb / 1024, "findings": len(findings)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024], help="sizes in MB")
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--compress", choices=["none", "gzip"], default="none")
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    rows = []
    for size_mb in args.sizes:
        with tempfile.TemporaryDirectory(prefix="kg-bench-image-") as tmp:
            t0 = time.monotonic()
            target, plants = generate(Path(tmp), size_mb, args.layers, args.compress)
            gen = time.monotonic() - t0
            stored = disk_size(target)
            result = measure(target, args.jobs)
        mbs = size_mb / result["seconds"]
        row = (
            f"| {size_mb} MB | {args.layers} | {args.compress} | {stored / MB:.0f} MB | "
            f"{result['seconds']:.1f} s | {mbs:.1f} MB/s | {result['peak_mb']:.0f} MB | "
            f"{result['findings']:.0f} ({plants} planted files) |"
        )
        print(f"generated in {gen:.1f} s; {row}", flush=True)
        rows.append(row)
    if not args.no_record:
        record(rows)


def record(rows: list[str]) -> None:
    results = ROOT / "bench" / "RESULTS.md"
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmarks\n"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    block = [
        "",
        f"### {stamp}: `{' '.join(['python bench/image.py', *sys.argv[1:]])}` "
        f"({os.cpu_count()} CPUs, Python "
        f"{sys.version.split()[0]})",
        "",
        "| uncompressed size | layers | layer compression | on disk | time | throughput "
        "| peak RSS | findings |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    if "\n## image\n" not in text:
        text = text.rstrip("\n") + "\n\n## image\n"
    head, _, tail = text.partition("\n## image\n")
    nxt = tail.find("\n## ")
    section, rest = (tail, "") if nxt < 0 else (tail[:nxt], tail[nxt:])
    section = (section.rstrip("\n") + "\n" if section.strip() else "") + "\n".join(block)
    results.write_text(head + "\n## image\n" + section + rest, encoding="utf-8")


if __name__ == "__main__":
    main()
