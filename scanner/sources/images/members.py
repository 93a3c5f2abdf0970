"""One layer's files: the tar members of a layer blob (or the blob itself, for an OCI artifact
that is not a tar) as blobs, once per placement of the layer in the images that use it; links
not followed, unsafe names read in memory only, sizes bounded."""

from __future__ import annotations

import io
import posixpath
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from scanner.blob import Blob
from scanner.boundedtar import BoundedTarFile
from scanner.extractors.base import Limits
from scanner.models import Origin, SourceProblem
from scanner.sources.images.manifests import ImageSpec, LayerRef
from scanner.sources.images.names import clean_name, is_unsafe_name, short_digest
from scanner.sources.images.streams import ExpansionError, Item
from scanner.sources.images.whiteouts import Hider, LayerIndex


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
class LayerScan:
    links: int = 0
    files: int = 0


@dataclass(frozen=True, slots=True)
class Layer:
    """One layer blob being read: its placements in the images, the origin its files extend,
    the limits, the nesting depth and the layer's name in problems (``where``)."""

    placements: Sequence[Placement]
    base: Origin
    limits: Limits
    depth: int
    where: str


def iter_tar(
    stream: io.BufferedReader,
    layer: Layer,
    collect: LayerIndex | None = None,
    ceiling: int | None = None,
) -> Iterator[Item]:
    """Members in stream order; none may reach past ``ceiling`` (what the stored layer can
    expand to), so a header claiming terabytes ends the layer instead of being read through."""
    counts = LayerScan()
    with BoundedTarFile.open(fileobj=cast(BinaryIO, stream), mode="r|") as tf:
        for member in tf:
            cast(Any, tf).members.clear()  # the stream's header list: keep none
            if ceiling is not None and member.offset_data + member.size > ceiling:
                raise ExpansionError(
                    f"entry {_printable(member.name)[:200]!r} claims {member.size} bytes, more "
                    "than the layer can hold"
                )
            if collect is not None:
                collect.add(member)
            yield from _member(tf, member, layer, counts)
    if counts.links:
        yield SourceProblem(
            layer.where, f"{counts.links} symlink/hardlink entries not followed", "skip"
        )


def _member(
    tf: tarfile.TarFile, member: tarfile.TarInfo, layer: Layer, counts: LayerScan
) -> Iterator[Item]:
    where = layer.where
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
    if member.size > layer.limits.max_file_size:
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
    for p in layer.placements:
        hidden = p.hider.hidden_by(name, p.index)
        origin = p.origin(layer.base, shown, hidden)
        yield Blob.from_bytes(data, origin, _printable(basename), layer.depth + 1)


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


def iter_non_tar(stream: io.BufferedReader, layer: Layer) -> Iterator[Item]:
    """A layer that is not a tar (an OCI artifact such as a model file or an attestation)."""
    data = stream.read(layer.limits.max_file_size + 1)
    if not data:
        return
    if len(data) > layer.limits.max_file_size:
        yield SourceProblem(layer.where, "artifact layer larger than the file size limit; skipped")
        return
    for p in layer.placements:
        name = p.ref.title or "blob"
        yield Blob.from_bytes(data, p.origin(layer.base, name, None), name, layer.depth + 1)
