"""Manifests to images: docker-archive ``manifest.json`` and OCI indexes (nested too)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from scanner.models import SourceProblem
from scanner.sources.images.names import digest_from_name, digest_path, short_digest
from scanner.sources.images.stores import Store
from scanner.sources.images.streams import DIGEST_RE

INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
MAX_INDEX_DEPTH = 4


@dataclass(frozen=True, slots=True)
class LayerRef:
    name: str  # blob or member name in the store
    digest: str  # shown: the descriptor digest, else the diff id
    blob_digest: str | None  # expected digest of the stored bytes
    diff_id: str | None  # expected digest of the uncompressed tar
    media_type: str = ""
    title: str = ""


@dataclass(slots=True)
class ImageSpec:
    name: str  # tag(s), or a digest when untagged
    label: str  # unique within the input; the first member of every origin
    config: dict[str, Any]
    layers: list[LayerRef]
    platform: str = ""
    annotations: dict[str, str] = field(default_factory=dict)


def _load_json(store: Store, name: str, expect: str | None, where: str) -> Any:
    data = store.read_meta(name)
    if data is None:
        store.problems.append(SourceProblem(where, f"missing or oversized {name}"))
        return None
    _check_digest(store, data, expect, where, name)
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):  # nested 100,000 deep, too
        store.problems.append(SourceProblem(where, f"{name} is not valid JSON"))
        return None


def _check_digest(store: Store, data: bytes, expect: str | None, where: str, what: str) -> None:
    m = DIGEST_RE.match(expect or "")
    if m is None:
        return
    actual = hashlib.new(m.group(1), data).hexdigest()
    if actual != m.group(2):
        store.problems.append(
            SourceProblem(where, f"digest mismatch for {what}: content is {m.group(1)}:{actual}")
        )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _platform(desc: dict[str, Any], config: dict[str, Any]) -> str:
    plat = desc.get("platform") if isinstance(desc.get("platform"), dict) else None
    src = plat or {"os": config.get("os"), "architecture": config.get("architecture")}
    parts = [src.get("os"), src.get("architecture"), src.get("variant")]
    return "/".join(str(p) for p in parts if p)


def _diff_ids(config: dict[str, Any]) -> list[str]:
    rootfs = config.get("rootfs")
    ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    return [str(d) for d in ids] if isinstance(ids, list) else []


def parse_docker(store: Store) -> list[ImageSpec]:
    manifest = _load_json(store, "manifest.json", None, store.where)
    if isinstance(manifest, dict) and ("layers" in manifest or "manifests" in manifest):
        return _parse_registry_manifest(store, manifest)
    if not isinstance(manifest, list):
        if manifest is not None:
            store.problems.append(SourceProblem(store.where, "manifest.json is not a list"))
        return []
    images: list[ImageSpec] = []
    for n, entry in enumerate(manifest):
        if not isinstance(entry, dict) or not isinstance(entry.get("Config"), str):
            store.problems.append(SourceProblem(store.where, f"manifest.json[{n}] has no Config"))
            continue
        config_name = entry["Config"]
        config_digest = digest_from_name(config_name)
        tags = [str(t) for t in entry.get("RepoTags") or [] if isinstance(t, str)]
        name = ", ".join(tags) or (config_digest or f"image{n}")
        config = _load_json(store, config_name, config_digest, f"{store.where}!{name}")
        config = config if isinstance(config, dict) else {}
        diff_ids = _diff_ids(config)
        layers = []
        for i, layer in enumerate(entry.get("Layers") or []):
            blob_digest = digest_from_name(str(layer))
            diff_id = diff_ids[i] if i < len(diff_ids) else None
            shown = blob_digest or diff_id or f"layer{i}"
            layers.append(LayerRef(str(layer), shown, blob_digest, diff_id))
        label = tags[0] if tags else short_digest(config_digest or f"image{n}")
        images.append(ImageSpec(name, label, config, layers, _platform({}, config)))
    return images


def _parse_registry_manifest(store: Store, doc: dict[str, Any]) -> list[ImageSpec]:
    """A directory holding a registry manifest as ``manifest.json`` (skopeo ``dir:``)."""
    data = store.read_meta("manifest.json") or b""
    name = short_digest("sha256:" + hashlib.sha256(data).hexdigest())
    images: list[ImageSpec] = []
    if "manifests" in doc:
        _walk_index(store, doc, name, 0, images)
    else:
        images.append(_image_from_manifest(store, doc, {}, name, {}))
    return images


def parse_oci(store: Store) -> list[ImageSpec]:
    index = _load_json(store, "index.json", None, store.where)
    images: list[ImageSpec] = []
    if isinstance(index, dict):
        _walk_index(store, index, "", 0, images)
    return images


def _ref_name(annotations: dict[str, Any], hint: str) -> str:
    for key in ("io.containerd.image.name", "org.opencontainers.image.ref.name"):
        value = annotations.get(key)
        if isinstance(value, str) and value:
            return value
    return hint


def _walk_index(
    store: Store, index: dict[str, Any], hint: str, depth: int, out: list[ImageSpec]
) -> None:
    if depth > MAX_INDEX_DEPTH:
        store.problems.append(SourceProblem(store.where, "image indexes nested too deep; skipped"))
        return
    for desc in index.get("manifests") or []:
        if not isinstance(desc, dict):
            continue
        digest = str(desc.get("digest", ""))
        notes = {**_dict(index.get("annotations")), **_dict(desc.get("annotations"))}
        name = _ref_name(_dict(desc.get("annotations")), hint)
        path = digest_path(digest)
        if path is None:
            store.problems.append(SourceProblem(store.where, "manifest with an invalid digest"))
            continue
        where = f"{store.where}!{name or short_digest(digest)}"
        if store.resolve(path) is None:
            platform = _platform(desc, {})
            what = f"manifest {digest}" + (f" ({platform})" if platform else "")
            store.problems.append(SourceProblem(where, f"{what} is not in the archive; skipped"))
            continue
        doc = _load_json(store, path, digest, where)
        if not isinstance(doc, dict):
            continue
        if desc.get("mediaType") in INDEX_TYPES or "manifests" in doc:
            _walk_index(store, doc, name, depth + 1, out)
            continue
        out.append(_image_from_manifest(store, doc, desc, name or digest, notes))


def _image_from_manifest(
    store: Store, doc: dict[str, Any], desc: dict[str, Any], name: str, notes: dict[str, Any]
) -> ImageSpec:

    where = f"{store.where}!{name}"
    cdesc = _dict(doc.get("config"))
    config: Any = {}
    cpath = digest_path(str(cdesc.get("digest", "")))
    if cpath is not None and "json" in str(cdesc.get("mediaType", "json")):
        config = _load_json(store, cpath, str(cdesc.get("digest")), where)
    config = config if isinstance(config, dict) else {}
    diff_ids = _diff_ids(config)
    layers: list[LayerRef] = []
    for i, layer in enumerate(doc.get("layers") or []):
        if not isinstance(layer, dict):
            continue
        digest = str(layer.get("digest", ""))
        path = digest_path(digest) or f"<invalid digest in layer {i}>"
        lnotes = _dict(layer.get("annotations"))
        title = str(lnotes.get("org.opencontainers.image.title", ""))
        diff_id = diff_ids[i] if i < len(diff_ids) else None
        media = str(layer.get("mediaType", ""))
        layers.append(LayerRef(path, digest, digest, diff_id, media, title))
    merged = {**notes, **_dict(doc.get("annotations"))}
    annotations = {str(k): str(v) for k, v in merged.items()}
    platform = _platform(desc, config)
    if notes.get("vnd.docker.reference.type") == "attestation-manifest":
        platform = "attestation"
    return ImageSpec(name, name, config, layers, platform, annotations)


def find_images(store: Store) -> list[ImageSpec]:
    """Every image in the store, with labels unique within it."""
    has_oci = store.resolve("index.json") is not None
    images = parse_oci(store) if has_oci else parse_docker(store)
    if not has_oci and not images and store.resolve("manifest.json") is None:
        store.problems.append(
            SourceProblem(store.where, "no manifest.json or index.json (truncated or not an image)")
        )
    _unique_labels(images)
    return images


def _unique_labels(images: list[ImageSpec]) -> None:
    counts: dict[str, int] = {}
    for image in images:
        counts[image.label] = counts.get(image.label, 0) + 1
    seen: dict[str, int] = {}
    for image in images:
        label = image.label
        if counts[label] > 1 and image.platform:
            image.label = f"{label}[{image.platform}]"
        n = seen.get(image.label, 0)
        seen[image.label] = n + 1
        if n:
            image.label = f"{image.label}#{n + 1}"
