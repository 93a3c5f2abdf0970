"""Build real container images for tests: docker-archive tarballs and OCI layouts.

Everything is written with tarfile, json and hashlib, with correct digests, so that a real image
tool (skopeo) accepts the result. Layers are described as lists of :class:`Entry`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TYPES = {
    "": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


@dataclass(frozen=True)
class Entry:
    """One tar entry. ``kind``: file, dir, symlink, hardlink, chr, fifo, whiteout, opaque."""

    name: str
    data: bytes = b""
    kind: str = "file"
    target: str = ""


def file(name: str, data: bytes | str) -> Entry:
    return Entry(name, data.encode() if isinstance(data, str) else data)


def whiteout(path: str) -> Entry:
    """Deletes ``path`` of a lower layer."""
    return Entry(path, kind="whiteout")


def opaque(directory: str) -> Entry:
    """Hides everything lower layers put in ``directory``."""
    return Entry(directory, kind="opaque")


@dataclass
class Layer:
    entries: list[Entry]
    created_by: str = "/bin/sh -c #(nop) COPY dir:0 in / "
    compression: str = ""  # "", "gzip" or "zstd"


@dataclass
class Image:
    layers: list[Layer]
    tag: str | None = "example.invalid/app:1.0"
    env: list[str] = field(default_factory=lambda: ["PATH=/usr/local/bin:/usr/bin:/bin"])
    cmd: list[str] = field(default_factory=lambda: ["/bin/sh"])
    entrypoint: list[str] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    user: str = ""
    workdir: str = "/"
    empty_history: list[str] = field(default_factory=list)  # created_by of empty_layer entries
    architecture: str = "amd64"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _info(name: str, **kw: Any) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = 0
    info.mode = kw.pop("mode", 0o644)
    for key, value in kw.items():
        setattr(info, key, value)
    return info


def layer_tar(entries: Sequence[Entry]) -> bytes:
    """An uncompressed layer tar, deterministic (mtime 0, root owner)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for e in entries:
            if e.kind == "file":
                tf.addfile(_info(e.name, size=len(e.data)), io.BytesIO(e.data))
            elif e.kind == "dir":
                tf.addfile(_info(e.name, type=tarfile.DIRTYPE, mode=0o755))
            elif e.kind == "symlink":
                tf.addfile(_info(e.name, type=tarfile.SYMTYPE, linkname=e.target))
            elif e.kind == "hardlink":
                tf.addfile(_info(e.name, type=tarfile.LNKTYPE, linkname=e.target))
            elif e.kind == "chr":
                tf.addfile(_info(e.name, type=tarfile.CHRTYPE, devmajor=1, devminor=3))
            elif e.kind == "fifo":
                tf.addfile(_info(e.name, type=tarfile.FIFOTYPE))
            elif e.kind in ("whiteout", "opaque"):
                parent, _, base = e.name.rstrip("/").rpartition("/")
                wh = ".wh..wh..opq" if e.kind == "opaque" else f".wh.{base}"
                if e.kind == "opaque":
                    parent = e.name.rstrip("/")
                path = f"{parent}/{wh}" if parent else wh
                tf.addfile(_info(path, size=0), io.BytesIO(b""))
            else:
                raise ValueError(e.kind)
    return out.getvalue()


def compress(data: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(data, mtime=0)
    if how == "zstd":
        import pytest

        zstandard = pytest.importorskip("zstandard", reason="zstd layers need keyguard[zstd]")
        return bytes(zstandard.ZstdCompressor().compress(data))
    return data


def config_json(image: Image, diff_ids: Sequence[str]) -> bytes:
    history: list[dict[str, Any]] = [
        {"created": "2024-01-01T00:00:00Z", "created_by": c, "empty_layer": True}
        for c in image.empty_history
    ]
    history += [
        {"created": "2024-01-01T00:00:00Z", "created_by": layer.created_by}
        for layer in image.layers
    ]
    cfg: dict[str, Any] = {"Env": image.env, "Cmd": image.cmd, "WorkingDir": image.workdir}
    if image.entrypoint is not None:
        cfg["Entrypoint"] = image.entrypoint
    if image.labels:
        cfg["Labels"] = image.labels
    if image.user:
        cfg["User"] = image.user
    doc = {
        "architecture": image.architecture,
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
        "history": history,
    }
    return json.dumps(doc, sort_keys=True).encode()


@dataclass
class BuiltImage:
    config: bytes
    layers: list[tuple[bytes, bytes]]  # (stored blob, uncompressed tar)

    @property
    def diff_ids(self) -> list[str]:
        return [sha256(plain) for _, plain in self.layers]


def build(image: Image, force: str | None = None) -> BuiltImage:
    layers = []
    for layer in image.layers:
        plain = layer_tar(layer.entries)
        how = layer.compression if force is None else force
        layers.append((compress(plain, how), plain))
    built = BuiltImage(b"", layers)
    built.config = config_json(image, built.diff_ids)
    return built


def _add(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    tf.addfile(_info(name, size=len(data)), io.BytesIO(data))


def write_docker_archive(
    path: Path,
    images: Sequence[Image],
    *,
    gzip_outer: bool = False,
    oci_names: bool = False,
    gzip_layers: bool = False,
) -> Path:
    """A ``docker save`` tarball (legacy ``<id>/layer.tar`` names, or Docker 25+'s
    ``blobs/sha256/<hex>`` names with ``oci_names``). Layers are stored uncompressed, or gzipped
    and named ``<digest hex>.tar.gz`` with a ``sha256:<hex>`` config name as go-containerregistry
    tarballs do (``gzip_layers``)."""
    out = io.BytesIO()
    manifest = []
    written: set[str] = set()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for image in images:
            built = build(image, force="gzip" if gzip_layers else "")
            names = []
            for stored, plain in built.layers:
                hexd = sha256(plain)[7:]
                name = f"blobs/sha256/{hexd}" if oci_names else f"{hexd}/layer.tar"
                if gzip_layers:
                    name = f"{sha256(stored)[7:]}.tar.gz"
                if name not in written:
                    _add(tf, name, stored)
                    written.add(name)
                names.append(name)
            chex = sha256(built.config)[7:]
            cname = f"blobs/sha256/{chex}" if oci_names else f"{chex}.json"
            cname = f"sha256:{chex}" if gzip_layers else cname
            if cname not in written:
                _add(tf, cname, built.config)
                written.add(cname)
            tags = [image.tag] if image.tag else []
            manifest.append({"Config": cname, "RepoTags": tags, "Layers": names})
        _add(tf, "manifest.json", json.dumps(manifest).encode())
    data = out.getvalue()
    path.write_bytes(gzip.compress(data, mtime=0) if gzip_outer else data)
    return path


def _descriptor(media: str, data: bytes, **extra: Any) -> dict[str, Any]:
    return {"mediaType": media, "digest": sha256(data), "size": len(data), **extra}


def oci_blobs(images: Sequence[Image], multi_arch: bool = False) -> dict[str, bytes]:
    """Every file of an OCI layout (relative path → bytes)."""
    files: dict[str, bytes] = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}'}

    def put(data: bytes) -> None:
        files[f"blobs/sha256/{sha256(data)[7:]}"] = data

    descriptors = []
    for image in images:
        built = build(image)
        put(built.config)
        layers = []
        for (stored, _), layer in zip(built.layers, image.layers, strict=True):
            put(stored)
            layers.append(_descriptor(LAYER_TYPES[layer.compression], stored))
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": _descriptor(OCI_CONFIG, built.config),
            "layers": layers,
        }
        mdata = json.dumps(manifest, sort_keys=True).encode()
        put(mdata)
        platform = {"os": "linux", "architecture": image.architecture}
        descriptors.append((image, _descriptor(OCI_MANIFEST, mdata, platform=platform)))
    if multi_arch:
        nested = {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [d for _, d in descriptors],
        }
        ndata = json.dumps(nested, sort_keys=True).encode()
        put(ndata)
        tag = images[0].tag
        notes = {"org.opencontainers.image.ref.name": tag} if tag else {}
        top = [_descriptor(OCI_INDEX, ndata, **({"annotations": notes} if notes else {}))]
    else:
        top = []
        for image, desc in descriptors:
            if image.tag:
                desc["annotations"] = {"org.opencontainers.image.ref.name": image.tag}
            top.append(desc)
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": top}
    files["index.json"] = json.dumps(index, sort_keys=True).encode()
    return files


def write_oci_layout(directory: Path, images: Sequence[Image], multi_arch: bool = False) -> Path:
    for rel, data in oci_blobs(images, multi_arch).items():
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return directory


def write_oci_tar(path: Path, images: Sequence[Image], multi_arch: bool = False) -> Path:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for rel, data in sorted(oci_blobs(images, multi_arch).items()):
            _add(tf, rel, data)
    path.write_bytes(out.getvalue())
    return path
