"""Container images on disk: docker-archive tarballs and OCI image layouts (directory or tar).

Nothing is extracted to disk and no container engine is needed. An input is opened as a *store*
(a directory, a seekable tar, or a compressed tar read as a stream), its manifests give a list of
images, and :func:`iter_image_items` turns them into what the rest of the pipeline understands:

* text chunks for the image config (``Env``, ``Cmd``, ``Entrypoint``, ``Labels``, ``User``,
  ``WorkingDir``, ...), for every ``history[].created_by`` and for manifest annotations;
* one :class:`~scanner.blob.Blob` per regular file of every layer (per image that uses the layer),
  which the extractor registry expands (notebooks, model files, wheels, jars, ...);
* :class:`~scanner.models.SourceProblem` warnings for bad input (truncated archives, digest
  mismatches, unsafe entry names, missing layers, device files); the rest goes on.

Layers are streamed (tar, tar+gzip, tar+zstd with the optional ``zstandard`` package), upper
layers first, so that the whiteouts above a layer are known when it is read: a file hidden by a
later layer is still reported, with ``deleted_in_layer`` naming the layer that hid it. Where no
such order exists (or a compressed outer archive is read as a stream), a first pass over the
layer headers records the whiteouts instead.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import itertools
import json
import lzma
import posixpath
import re
import tarfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast

from scanner.blob import Blob
from scanner.extractors.base import Limits
from scanner.models import Chunk, Origin, SourceProblem

Item = Blob | Chunk | SourceProblem
Opener = Callable[[], BinaryIO]

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BZ2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"
COMPRESSED_MAGICS = (GZIP_MAGIC, ZSTD_MAGIC, BZ2_MAGIC, XZ_MAGIC)
META_LIMIT = 16 * 1024 * 1024
META_TOTAL = 256 * 1024 * 1024
MAX_INDEX_DEPTH = 4
READ_SIZE = 1 << 20
_DIGEST = re.compile(r"^(sha256|sha384|sha512):([0-9a-f]{32,128})$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
CONFIG_FIELDS = (
    "Env",
    "Cmd",
    "Entrypoint",
    "Labels",
    "User",
    "WorkingDir",
    "Shell",
    "OnBuild",
    "Healthcheck",
    "StopSignal",
    "Volumes",
    "ExposedPorts",
)
_READ_ERRORS = (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError, ValueError)


def _zstd_errors() -> tuple[type[BaseException], ...]:
    try:
        import zstandard
    except ImportError:
        return ()
    return (zstandard.ZstdError,)


READ_ERRORS: tuple[type[BaseException], ...] = _READ_ERRORS + _zstd_errors()


# --------------------------------------------------------------------------------------------
# Streams


class _Window(io.RawIOBase):
    """A read-only, seekable window ``[start, start+size)`` on a seekable file."""

    def __init__(self, fh: BinaryIO, start: int, size: int) -> None:
        super().__init__()
        self._fh, self._start, self._size, self._pos = fh, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        self._fh.seek(self._start + self._pos)
        data = self._fh.read(want)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


class _Hashing(io.RawIOBase):
    """Reads through ``inner`` and hashes every byte read (to verify a digest)."""

    def __init__(self, inner: BinaryIO, algorithm: str = "sha256") -> None:
        super().__init__()
        self._inner = inner
        self.hasher = hashlib.new(algorithm)
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        if not data:
            return 0
        self.hasher.update(data)
        self.count += len(data)
        buffer[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        while self.read(READ_SIZE):
            pass


def _buffered(raw: io.RawIOBase) -> io.BufferedReader:
    return io.BufferedReader(raw, READ_SIZE)


def _peek(stream: io.BufferedReader, n: int = 512) -> bytes:
    head = stream.peek(n)[:n]
    return head


def is_tar_head(head: bytes) -> bool:
    """True for a tar header (ustar, gnu, pax) or the zero blocks of an empty tar."""
    if len(head) >= 262 and head[257:262] == b"ustar":
        return True
    return len(head) >= 512 and not any(head[:512])


def decompressor(stream: BinaryIO, head: bytes) -> tuple[BinaryIO | None, str]:
    """A decompressing reader over ``stream`` (or ``stream`` itself) and the compression name.

    The reader is None when the compression needs a package that is not installed.
    """
    if head.startswith(GZIP_MAGIC):
        return cast(BinaryIO, gzip.GzipFile(fileobj=stream, mode="rb")), "gzip"
    if head.startswith(ZSTD_MAGIC):
        try:
            import zstandard
        except ImportError:
            return None, "zstd"
        reader = zstandard.ZstdDecompressor().stream_reader(stream, read_across_frames=True)
        return cast(BinaryIO, reader), "zstd"
    if head.startswith(BZ2_MAGIC):
        return cast(BinaryIO, bz2.BZ2File(stream)), "bzip2"
    if head.startswith(XZ_MAGIC):
        return cast(BinaryIO, lzma.LZMAFile(stream)), "xz"
    return stream, ""


ZSTD_MISSING = "zstd-compressed; install keyguard[zstd] (the zstandard package) to scan it; skipped"


# --------------------------------------------------------------------------------------------
# Names


def clean_name(name: str) -> str:
    """An archive member name without leading ``./`` or ``/`` and trailing ``/``."""
    while name.startswith("./"):
        name = name[2:]
    return name.strip("/")


def is_unsafe_name(name: str) -> bool:
    """Absolute names and names that climb out of the archive (``..``)."""
    return name.startswith("/") or ".." in name.replace("\\", "/").split("/")


def _norm(name: str) -> str:
    return posixpath.normpath("/" + clean_name(name)).lstrip("/")


def _digest_path(digest: str) -> str | None:
    m = _DIGEST.match(digest)
    return f"blobs/{m.group(1)}/{m.group(2)}" if m else None


def _digest_from_name(name: str) -> str | None:
    """``blobs/sha256/<hex>`` or ``<hex>.json`` → ``sha256:<hex>``."""
    parts = clean_name(name).split("/")
    if len(parts) == 3 and parts[0] == "blobs" and _DIGEST.match(f"{parts[1]}:{parts[2]}"):
        return f"{parts[1]}:{parts[2]}"
    if len(parts) == 1:
        stem = parts[0]
        for suffix in (".json", ".tar.gz", ".tar.zst", ".tar"):
            if stem.endswith(suffix) and _HEX64.match(stem[: -len(suffix)]):
                return "sha256:" + stem[: -len(suffix)]
        if _DIGEST.match(stem):  # go-containerregistry names the config "sha256:<hex>"
            return stem
    return None


def short_digest(digest: str) -> str:
    alg, _, hexpart = digest.partition(":")
    return f"{alg}:{hexpart[:12]}" if hexpart else digest


# --------------------------------------------------------------------------------------------
# Stores: where the manifests and blobs of an image input live


class Store(Protocol):
    where: str
    problems: list[SourceProblem]

    def resolve(self, name: str) -> str | None: ...

    def read_meta(self, name: str) -> bytes | None: ...

    def iter_streams(self, names: Sequence[str]) -> Iterator[tuple[str, BinaryIO]]: ...


class DirStore:
    """An OCI layout (or an extracted docker-archive) in a directory."""

    def __init__(self, root: Path, where: str) -> None:
        self.root, self.where = root, where
        self._real = root.resolve()
        self.problems: list[SourceProblem] = []

    def resolve(self, name: str) -> str | None:
        if is_unsafe_name(name):
            return None
        rel = clean_name(name)
        parts = rel.split("/")
        candidates = [rel]
        if len(parts) == 3 and parts[0] == "blobs":
            candidates.append(parts[2])  # skopeo's ``dir:`` layout: blobs named by hex
        for candidate in candidates:
            path = (self.root / candidate).resolve()
            if path.is_relative_to(self._real) and path.is_file():
                return candidate
        return None

    def read_meta(self, name: str) -> bytes | None:
        rel = self.resolve(name)
        if rel is None:
            return None
        try:
            with open(self.root / rel, "rb") as fh:
                data = fh.read(META_LIMIT + 1)
        except OSError:
            return None
        return data if len(data) <= META_LIMIT else None

    def iter_streams(self, names: Sequence[str]) -> Iterator[tuple[str, BinaryIO]]:
        for name in names:
            try:
                fh = open(self.root / name, "rb")  # noqa: SIM115 - closed below
            except OSError as exc:
                self.problems.append(
                    SourceProblem(f"{self.where}!{name}", f"cannot read ({exc.strerror})")
                )
                continue
            with fh:
                yield name, fh


@dataclass(slots=True)
class _Entry:
    kind: str  # "file", "sym", "link", "other"
    size: int = 0
    offset: int = 0
    linkname: str = ""


def _entry(member: tarfile.TarInfo) -> _Entry:
    if member.isfile():
        return _Entry("file", member.size, member.offset_data)
    if member.issym():
        return _Entry("sym", linkname=member.linkname)
    if member.islnk():
        return _Entry("link", linkname=member.linkname)
    return _Entry("other")


class _ArchiveIndex:
    """Member names of an outer tar, with symlink and hardlink resolution (docker save links
    identical layers to each other)."""

    where: str

    def __init__(self) -> None:
        self.entries: dict[str, _Entry] = {}
        self.problems: list[SourceProblem] = []

    def resolve(self, name: str) -> str | None:
        if is_unsafe_name(name):
            return None
        current = _norm(name)
        for _ in range(16):
            entry = self.entries.get(current)
            if entry is None:
                return None
            if entry.kind == "file":
                return current
            if entry.kind == "sym":
                base = posixpath.dirname(current)
                target = entry.linkname
                current = _norm(target if target.startswith("/") else f"{base}/{target}")
            elif entry.kind == "link":
                current = _norm(entry.linkname)
            else:
                return None
        return None


class TarStore(_ArchiveIndex):
    """An uncompressed tar (docker-archive or OCI layout) read in place by offsets."""

    def __init__(self, opener: Opener, size: int, where: str) -> None:
        super().__init__()
        self.opener, self.size, self.where = opener, size, where
        self.truncated = False
        try:
            with opener() as fh, tarfile.open(fileobj=fh, mode="r:") as tf:
                for member in tf:
                    entry = _entry(member)
                    self.entries[_norm(member.name)] = entry
                    if entry.kind == "file" and entry.offset + entry.size > size:
                        self.truncated = True
        except READ_ERRORS as exc:
            self.truncated = True
            self.problems.append(
                SourceProblem(where, f"truncated or unreadable tar archive ({type(exc).__name__})")
            )
        if self.truncated and not self.problems:
            message = "truncated tar archive; scanning what is left"
            self.problems.append(SourceProblem(where, message))

    def read_meta(self, name: str) -> bytes | None:
        rel = self.resolve(name)
        if rel is None:
            return None
        entry = self.entries[rel]
        if entry.size > META_LIMIT:
            return None
        with self.opener() as fh:
            fh.seek(entry.offset)
            return fh.read(entry.size)

    def iter_streams(self, names: Sequence[str]) -> Iterator[tuple[str, BinaryIO]]:
        with self.opener() as fh:
            for name in names:
                entry = self.entries[name]
                end = min(entry.offset + entry.size, self.size)
                window = _Window(fh, entry.offset, max(0, end - entry.offset))
                yield name, cast(BinaryIO, _buffered(window))


class StreamStore(_ArchiveIndex):
    """A compressed tar (``docker save | gzip``): read as a stream, once per pass.

    The first pass keeps the member list and the small JSON members (manifests, configs).
    """

    def __init__(self, opener: Opener, where: str) -> None:
        super().__init__()
        self.opener, self.where = opener, where
        self.meta: dict[str, bytes] = {}
        self.reported: set[str] = set()
        kept = 0
        for name, member, tf in self._members():
            self.entries[name] = _entry(member)
            if not member.isfile() or member.size > META_LIMIT or kept > META_TOTAL:
                continue
            looks_meta = name.endswith(".json") or name in ("oci-layout", "repositories")
            if looks_meta or name.startswith("blobs/") or member.size <= 1 << 20:
                fh = tf.extractfile(member)
                if fh is None:
                    continue
                first = fh.read(1)
                if looks_meta or first == b"{":
                    data = first + fh.read(member.size)
                    self.meta[name] = data
                    kept += len(data)

    def _members(self) -> Iterator[tuple[str, tarfile.TarInfo, tarfile.TarFile]]:
        try:
            with self.opener() as raw:
                buf = io.BufferedReader(cast(io.RawIOBase, raw), READ_SIZE)
                stream, kind = decompressor(cast(BinaryIO, buf), buf.peek(8)[:8])
                if stream is None:
                    self._report(f"archive is {ZSTD_MISSING}")
                    return
                with tarfile.open(fileobj=stream, mode="r|") as tf:
                    for member in tf:
                        yield _norm(member.name), member, tf
        except READ_ERRORS as exc:
            self._report(f"truncated or unreadable compressed archive ({type(exc).__name__})")

    def _report(self, message: str) -> None:
        """Each pass meets the same damage; it is reported once."""
        if message not in self.reported:
            self.reported.add(message)
            self.problems.append(SourceProblem(self.where, message))

    def read_meta(self, name: str) -> bytes | None:
        rel = self.resolve(name)
        return None if rel is None else self.meta.get(rel)

    def iter_streams(self, names: Sequence[str]) -> Iterator[tuple[str, BinaryIO]]:
        wanted = set(names)
        for name, member, tf in self._members():
            if name in wanted and member.isfile():
                fh = tf.extractfile(member)
                if fh is not None:
                    yield name, cast(BinaryIO, fh)


def _file_opener(path: Path) -> Opener:
    def opener() -> BinaryIO:
        return open(path, "rb")  # noqa: SIM115 - the caller closes it

    return opener


def _store_for(opener: Opener, size: int, where: str) -> Store | None:
    with opener() as fh:
        head = fh.read(512)
    if head.startswith(COMPRESSED_MAGICS):
        return StreamStore(opener, where)
    if is_tar_head(head):
        return TarStore(opener, size, where)
    return None


def open_store(path: Path, where: str) -> Store | SourceProblem:
    """The store for an image input on disk: a layout directory or an image tar (compressed too)."""
    if path.is_dir():
        if (path / "index.json").is_file() or (path / "manifest.json").is_file():
            return DirStore(path, where)
        return SourceProblem(where, "directory has no index.json or manifest.json; not an image")
    try:
        size = path.stat().st_size
        store = _store_for(_file_opener(path), size, where)
    except OSError as exc:
        return SourceProblem(where, f"cannot read ({exc.strerror})")
    if store is None:
        return SourceProblem(where, "not a tar archive or image layout; skipped")
    return store


def store_for_blob(blob: Blob) -> Store | None:
    """The store for an image tar met inside a scan (a file on disk or an archive member)."""
    if blob.path is not None:
        path = blob.path
        return _store_for(_file_opener(path), blob.size, blob.origin.display)
    data = blob.data or b""
    return _store_for(lambda: io.BytesIO(data), len(data), blob.origin.display)


def is_layout_dir(path: Path) -> bool:
    """An OCI image layout directory (``oci-layout`` and ``index.json``)."""
    return (path / "oci-layout").is_file() and (path / "index.json").is_file()


# --------------------------------------------------------------------------------------------
# Manifests → images


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
    except (ValueError, UnicodeDecodeError):
        store.problems.append(SourceProblem(where, f"{name} is not valid JSON"))
        return None


def _check_digest(store: Store, data: bytes, expect: str | None, where: str, what: str) -> None:
    m = _DIGEST.match(expect or "")
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
        config_digest = _digest_from_name(config_name)
        tags = [str(t) for t in entry.get("RepoTags") or [] if isinstance(t, str)]
        name = ", ".join(tags) or (config_digest or f"image{n}")
        config = _load_json(store, config_name, config_digest, f"{store.where}!{name}")
        config = config if isinstance(config, dict) else {}
        diff_ids = _diff_ids(config)
        layers = []
        for i, layer in enumerate(entry.get("Layers") or []):
            blob_digest = _digest_from_name(str(layer))
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
        path = _digest_path(digest)
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
    cpath = _digest_path(str(cdesc.get("digest", "")))
    if cpath is not None and "json" in str(cdesc.get("mediaType", "json")):
        config = _load_json(store, cpath, str(cdesc.get("digest")), where)
    config = config if isinstance(config, dict) else {}
    diff_ids = _diff_ids(config)
    layers: list[LayerRef] = []
    for i, layer in enumerate(doc.get("layers") or []):
        if not isinstance(layer, dict):
            continue
        digest = str(layer.get("digest", ""))
        path = _digest_path(digest) or f"<invalid digest in layer {i}>"
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


# --------------------------------------------------------------------------------------------
# Config and history → text chunks


def _field_lines(value: Any) -> list[str]:
    if value is None or value == "" or value == [] or value == {}:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v if isinstance(v, str) else json.dumps(v) for v in value]
    if isinstance(value, dict):
        return [f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in value.items()]
    return [json.dumps(value)]


def _image_origin(base: Origin, image: ImageSpec, member: str, **detail: str) -> Origin:
    extra: dict[str, str] = {"image": image.name}
    if image.platform:
        extra["platform"] = image.platform
    extra.update(detail)
    return Origin(
        base.path, (*base.members, image.label, member), base.detail + tuple(extra.items()), "image"
    )


def _text_chunk(text: str, origin: Origin) -> Chunk:
    return Chunk(text=text, origin=origin, path_for_rules=origin.members[-1])


def iter_config_chunks(image: ImageSpec, base: Origin) -> Iterator[Chunk]:
    """The config fields, the history entries and the annotations of one image."""
    config = image.config
    rest = {k: v for k, v in config.items() if k not in ("history", "rootfs")}
    for section in ("config", "container_config"):
        sub = config.get(section)
        if not isinstance(sub, dict):
            continue
        rest[section] = {k: v for k, v in sub.items() if k not in CONFIG_FIELDS}
        for name in CONFIG_FIELDS:
            lines = _field_lines(sub.get(name))
            if lines:
                where = name if section == "config" else f"{section}.{name}"
                origin = _image_origin(base, image, f"config.{where}", field=where)
                yield _text_chunk("\n".join(lines), origin)
    other = json.dumps(rest, indent=1, sort_keys=True, ensure_ascii=False)
    origin = _image_origin(base, image, "config", field="other")
    yield _text_chunk(other, origin)
    history = config.get("history")
    for i, entry in enumerate(history if isinstance(history, list) else []):
        if not isinstance(entry, dict):
            continue
        for key in ("created_by", "comment", "author"):
            value = entry.get(key)
            if isinstance(value, str) and value:
                member = f"history[{i}]" if key == "created_by" else f"history[{i}].{key}"
                origin = _image_origin(base, image, member, history_index=str(i), field=key)
                yield _text_chunk(value, origin)
    if image.annotations:
        lines = _field_lines(image.annotations)
        yield _text_chunk("\n".join(lines), _image_origin(base, image, "annotations"))


_TOKENISH = re.compile(r"[A-Za-z0-9_+/=.~-]{10,}")


def _looks_secret(word: str) -> bool:
    has_digit = any(c.isdigit() for c in word)
    has_alpha = any(c.isalpha() for c in word)
    mixed = any(c.isupper() for c in word) and any(c.islower() for c in word)
    return (has_digit and has_alpha) or (len(word) >= 16 and mixed)


def redact_command(text: str, limit: int = 160) -> str:
    """A ``created_by`` line fit for provenance: token-like runs (10+ characters mixing letters
    and digits, or 16+ mixing cases) cut to their first 4 characters, and the whole kept short.
    The secret itself is reported by the ``history[i]`` finding; provenance never carries it."""

    def cut(m: re.Match[str]) -> str:
        word = m.group(0)
        return word[:4] + "…" if _looks_secret(word) else word

    line = " ".join(text.split())
    line = _TOKENISH.sub(cut, line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def layer_history(config: dict[str, Any], count: int) -> list[tuple[str, str]]:
    """(history index, redacted ``created_by``) of the entry that made each layer (empty-layer
    entries skipped)."""
    history = config.get("history")
    made: list[tuple[str, str]] = []
    for i, entry in enumerate(history if isinstance(history, list) else []):
        if isinstance(entry, dict) and not entry.get("empty_layer"):
            made.append((str(i), redact_command(str(entry.get("created_by", "")))))
    return (made + [("", "")] * count)[:count]


# --------------------------------------------------------------------------------------------
# Whiteouts


@dataclass(slots=True)
class LayerIndex:
    """Names a layer adds (non-directories), whites out and makes opaque."""

    covers: list[str] = field(default_factory=list)
    whiteouts: list[str] = field(default_factory=list)
    opaques: list[str] = field(default_factory=list)

    def add(self, member: tarfile.TarInfo) -> None:
        name = _norm(member.name)
        base = posixpath.basename(name)
        parent = posixpath.dirname(name)
        if base == ".wh..wh..opq":
            self.opaques.append(parent)
        elif base.startswith(".wh."):
            self.whiteouts.append(posixpath.join(parent, base[4:]))
        elif not member.isdir():
            self.covers.append(name)


class Hider:
    """Which later layer hides a path of a lower layer (whiteout, opaque directory, replaced)."""

    def __init__(self, indexes: Sequence[LayerIndex | None]) -> None:
        self.marks: dict[str, list[tuple[int, str]]] = {}
        self.opaque: dict[str, list[int]] = {}
        for j, index in enumerate(indexes):
            if index is not None:
                self.add(j, index)

    def add(self, j: int, index: LayerIndex) -> None:
        """What layer ``j`` adds and deletes (layers may be added in any order)."""
        for p in index.covers:
            self.marks.setdefault(p, []).append((j, "replaced"))
        for p in index.whiteouts:
            self.marks.setdefault(p, []).append((j, "whiteout"))
        for d in index.opaques:
            self.opaque.setdefault(d, []).append(j)

    def hidden_by(self, path: str, layer: int) -> tuple[int, str] | None:
        best: tuple[int, str] | None = None
        parts = _norm(path).split("/")
        for k in range(len(parts) + 1):
            prefix = "/".join(parts[:k])
            if k:
                for j, how in self.marks.get(prefix, ()):
                    if j > layer and (best is None or j < best[0]):
                        best = (j, how)
            if k < len(parts):
                for j in self.opaque.get(prefix, ()):
                    if j > layer and (best is None or j < best[0]):
                        best = (j, "opaque whiteout")
        return best


def _index_layer(stream: BinaryIO) -> LayerIndex:
    """Headers only: what the layer adds and deletes (errors are reported by the scan pass)."""
    index = LayerIndex()
    try:
        buf = _buffered(cast(io.RawIOBase, _Passthrough(stream)))
        head = _peek(buf)
        if not head.startswith(COMPRESSED_MAGICS) and _seekable(stream) and is_tar_head(head):
            stream.seek(0)
            with tarfile.open(fileobj=stream, mode="r:") as tf:
                for member in tf:
                    index.add(member)
            return index
        inner, _ = decompressor(cast(BinaryIO, buf), head)
        if inner is None:
            return index
        with tarfile.open(fileobj=inner, mode="r|") as tf:
            for member in tf:
                index.add(member)
    except READ_ERRORS:
        pass
    return index


def _seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


class _Passthrough(io.RawIOBase):
    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# --------------------------------------------------------------------------------------------
# Layers → blobs


@dataclass(frozen=True, slots=True)
class Placement:
    """One layer of one image: where a layer's files are reported."""

    image: ImageSpec
    index: int
    ref: LayerRef
    created_by: tuple[str, str]
    hider: Hider

    @property
    def label(self) -> str:
        return f"layer{self.index}@{short_digest(self.ref.digest)}"

    def where(self, base: Origin) -> str:
        return "!".join((base.display, self.image.label, self.label))

    def origin(self, base: Origin, path: str, hidden: tuple[int, str] | None) -> Origin:
        detail: dict[str, str] = {"image": self.image.name}
        if self.image.platform:
            detail["platform"] = self.image.platform
        detail.update(
            layer_index=str(self.index),
            layer_digest=self.ref.digest,
            layer_history_index=self.created_by[0],
            layer_created_by=self.created_by[1],
        )
        if hidden is not None:
            j, how = hidden
            later = self.image.layers[j]
            detail.update(deleted_in_layer=str(j), deleted_in_digest=later.digest, hidden_by=how)
        members = (*base.members, self.image.label, self.label, path)
        return Origin(base.path, members, base.detail + tuple(detail.items()), "image")


@dataclass(slots=True)
class _LayerScan:
    links: int = 0
    files: int = 0


def iter_image_items(
    store: Store,
    base: Origin,
    limits: Limits,
    depth: int = 0,
    images: list[ImageSpec] | None = None,
) -> Iterator[Item]:
    """Chunks, blobs and problems for every image in ``store`` (see the module docstring)."""
    if images is None:
        images = find_images(store)
    yield from _drain(store)
    for image in images:
        yield from iter_config_chunks(image, base)
    placements: dict[str, list[Placement]] = {}
    unhidden = Hider(())
    for image in images:
        history = layer_history(image.config, len(image.layers))
        for i, ref in enumerate(image.layers):
            name = store.resolve(ref.name)
            if name is None:
                where = f"{base.display}!{image.label}"
                yield SourceProblem(where, f"layer {i} ({ref.digest}) is missing from the archive")
                continue
            placement = Placement(image, i, ref, history[i], unhidden)
            placements.setdefault(name, []).append(placement)
    names = list(placements)
    order = None if isinstance(store, StreamStore) else top_down_order(images, placements)
    if order is None:
        _attach_hiders(store, images, placements, names)
    else:
        _fresh_hiders(images, placements)
        names = order
    yield from _drain(store)
    done: set[str] = set()
    for name, stream in store.iter_streams(names):
        done.add(name)
        collect = LayerIndex() if order is not None else None
        yield from iter_layer_items(stream, placements[name], base, limits, depth, collect)
        if collect is not None:
            for p in placements[name]:
                p.hider.add(p.index, collect)
    yield from _drain(store)
    for name in names:
        if name not in done:
            first = placements[name][0]
            yield SourceProblem(first.where(base), "layer could not be read (truncated archive?)")


def top_down_order(
    images: Sequence[ImageSpec], placements: dict[str, list[Placement]]
) -> list[str] | None:
    """Layer names ordered so that, in every image, upper layers come before lower ones (their
    whiteouts are then known when a lower layer is read); None when no such order exists (the
    same blob twice in one image, or in opposite orders in two images)."""
    position: dict[tuple[int, int], str] = {}
    for name, group in placements.items():
        for p in group:
            position[(id(p.image), p.index)] = name
    after: dict[str, set[str]] = {name: set() for name in placements}
    indegree = dict.fromkeys(placements, 0)
    for image in images:
        keys = [(id(image), i) for i in range(len(image.layers))]
        present = [position[key] for key in keys if key in position]
        for lower, upper in itertools.pairwise(present):
            if lower not in after[upper]:
                after[upper].add(lower)
                indegree[lower] += 1
    ready = [name for name in placements if indegree[name] == 0]
    order: list[str] = []
    while ready:
        name = ready.pop(0)
        order.append(name)
        for lower in sorted(after[name], key=list(placements).index):
            indegree[lower] -= 1
            if indegree[lower] == 0:
                ready.append(lower)
    return order if len(order) == len(placements) else None


def _fresh_hiders(images: Sequence[ImageSpec], placements: dict[str, list[Placement]]) -> None:
    hiders = {id(image): Hider(()) for image in images}
    for name, group in placements.items():
        placements[name] = [
            Placement(p.image, p.index, p.ref, p.created_by, hiders[id(p.image)]) for p in group
        ]


def _drain(store: Store) -> Iterator[SourceProblem]:
    yield from store.problems
    store.problems.clear()


def _attach_hiders(
    store: Store, images: list[ImageSpec], placements: dict[str, list[Placement]], names: list[str]
) -> None:
    """Index the layers that can hide something (all but a bottom layer) and give every
    placement its image's hider."""
    need = [n for n in names if any(p.index > 0 for p in placements[n])]
    indexes: dict[str, LayerIndex] = {}
    if need:
        for name, stream in store.iter_streams(need):
            indexes[name] = _index_layer(stream)
    by_image: dict[int, list[LayerIndex | None]] = {
        id(image): [None] * len(image.layers) for image in images
    }
    for name, group in placements.items():
        for p in group:
            by_image[id(p.image)][p.index] = indexes.get(name)
    hiders = {key: Hider(value) for key, value in by_image.items()}
    for name, group in placements.items():
        placements[name] = [
            Placement(p.image, p.index, p.ref, p.created_by, hiders[id(p.image)]) for p in group
        ]


def iter_layer_items(
    stream: BinaryIO,
    placements: Sequence[Placement],
    base: Origin,
    limits: Limits,
    depth: int,
    collect: LayerIndex | None = None,
) -> Iterator[Item]:
    """Every regular file of one layer blob, once per placement; digests checked at the end.
    ``collect`` receives what the layer adds and deletes."""
    first = placements[0]
    where = first.where(base)
    raw = _Hashing(stream, _algorithm(first.ref.blob_digest))
    plain: _Hashing | None = None
    try:
        buf = _buffered(raw)
        inner, kind = decompressor(cast(BinaryIO, buf), _peek(buf))
        if inner is None:
            yield SourceProblem(where, f"layer is {ZSTD_MISSING}")
            return
        plain = _Hashing(inner, _algorithm(first.ref.diff_id)) if kind else None
        tar_in = _buffered(plain) if plain is not None else buf
        if is_tar_head(_peek(tar_in)):
            yield from _iter_tar(tar_in, placements, base, limits, depth, where, collect)
        else:
            yield from _non_tar(tar_in, placements, base, limits, depth, where)
        while tar_in.read(READ_SIZE):
            pass
        raw.drain()
    except READ_ERRORS as exc:
        message = f"truncated or corrupt layer ({type(exc).__name__}); rest of it skipped"
        yield SourceProblem(where, message)
        return
    yield from _verify(where, first.ref.blob_digest, raw, "layer")
    yield from _verify(where, first.ref.diff_id, plain or raw, "uncompressed layer (diff id)")


def _algorithm(digest: str | None) -> str:
    m = _DIGEST.match(digest or "")
    return m.group(1) if m else "sha256"


def _verify(where: str, expect: str | None, hashed: _Hashing, what: str) -> Iterator[SourceProblem]:
    m = _DIGEST.match(expect or "")
    if m is None:
        return
    actual = hashed.hasher.hexdigest()
    if actual != m.group(2):
        message = f"{what} digest mismatch: expected {expect}, content is {m.group(1)}:{actual}"
        yield SourceProblem(where, message + "; scanned anyway")


def _iter_tar(
    stream: io.BufferedReader,
    placements: Sequence[Placement],
    base: Origin,
    limits: Limits,
    depth: int,
    where: str,
    collect: LayerIndex | None = None,
) -> Iterator[Item]:
    counts = _LayerScan()
    with tarfile.open(fileobj=cast(BinaryIO, stream), mode="r|") as tf:
        for member in tf:
            if collect is not None:
                collect.add(member)
            yield from _member(tf, member, placements, base, limits, depth, where, counts)
    if counts.links:
        yield SourceProblem(where, f"{counts.links} symlink/hardlink entries not followed", "skip")


def _member(
    tf: tarfile.TarFile,
    member: tarfile.TarInfo,
    placements: Sequence[Placement],
    base: Origin,
    limits: Limits,
    depth: int,
    where: str,
    counts: _LayerScan,
) -> Iterator[Item]:
    raw_name = member.name
    name = clean_name(raw_name) if not is_unsafe_name(raw_name) else raw_name
    basename = posixpath.basename(clean_name(raw_name))
    if member.isdir() or basename.startswith(".wh."):
        return
    if is_unsafe_name(raw_name):
        yield SourceProblem(
            where,
            f"entry {raw_name[:200]!r} has an absolute or parent-relative name; "
            "read in memory only, never written",
        )
    if member.issym() or member.islnk():
        counts.links += 1
        if _link_escapes(member):
            kind = "symlink" if member.issym() else "hardlink"
            message = f"{kind} to {member.linkname[:200]!r} points outside the image; not followed"
            yield SourceProblem(f"{where}!{name}", message)
        return
    if not member.isfile():
        yield SourceProblem(f"{where}!{name}", "device file or FIFO entry skipped")
        return
    if member.size > limits.max_file_size:
        message = f"larger than the file size limit ({member.size} bytes); skipped"
        yield SourceProblem(f"{where}!{name}", message)
        return
    fh = tf.extractfile(member)
    if fh is None:
        return
    data = fh.read(member.size)
    if len(data) < member.size:
        raise EOFError("unexpected end of layer data")
    counts.files += 1
    shown = _printable(name)
    for p in placements:
        hidden = p.hider.hidden_by(name, p.index)
        yield Blob.from_bytes(data, p.origin(base, shown, hidden), _printable(basename), depth + 1)


def _printable(name: str) -> str:
    """A member name as valid UTF-8 (tar names that are not are decoded with surrogates)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _link_escapes(member: tarfile.TarInfo) -> bool:
    """A link whose target climbs above the image root (absolute targets stay inside it)."""
    target = member.linkname.replace("\\", "/")
    if member.islnk():
        return is_unsafe_name(target)
    if target.startswith("/"):
        return False
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(clean_name(member.name)), target))
    return joined == ".." or joined.startswith("../")


def _non_tar(
    stream: io.BufferedReader,
    placements: Sequence[Placement],
    base: Origin,
    limits: Limits,
    depth: int,
    where: str,
) -> Iterator[Item]:
    """A layer that is not a tar (an OCI artifact such as a model file or an attestation)."""
    data = stream.read(limits.max_file_size + 1)
    if not data:
        return
    if len(data) > limits.max_file_size:
        yield SourceProblem(where, "artifact layer larger than the file size limit; skipped")
        return
    for p in placements:
        name = p.ref.title or "blob"
        yield Blob.from_bytes(data, p.origin(base, name, None), name, depth + 1)


def content_key(blob: Blob) -> str:
    """sha256 of a layer member's content, plus its name suffix (the name picks the extractor)."""
    suffix = blob.lower_name.rpartition(".")[2] if "." in blob.name else ""
    return f"{hashlib.sha256(blob.data or b'').hexdigest()}:{suffix}"


def _guarded(items: Iterator[Item], where: str) -> Iterator[Item]:
    """Read errors below the image code (a file removed mid-scan, no memory) end this input only."""
    try:
        yield from items
    except OSError as exc:
        yield SourceProblem(
            where, f"cannot read ({exc.strerror or type(exc).__name__}); rest skipped"
        )
    except MemoryError:
        yield SourceProblem(where, "out of memory; rest skipped")


@dataclass(frozen=True, slots=True)
class ImageSource:
    """Image inputs (docker-archive tars, OCI layouts): config and history chunks, every layer
    file as a blob keyed by its content, problems."""

    paths: tuple[str, ...]
    limits: Limits

    def items(self) -> Iterator[Item]:
        for given in self.paths:
            path = Path(given)
            if not path.exists():
                yield SourceProblem(given, "no such file or directory", "missing")
                continue
            store = open_store(path, given)
            if isinstance(store, SourceProblem):
                yield store
                continue
            for item in _guarded(iter_image_items(store, Origin(given), self.limits), given):
                if isinstance(item, Blob) and item.key is None:
                    item = replace(item, key=content_key(item))
                yield item
