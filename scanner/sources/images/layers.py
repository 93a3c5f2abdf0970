"""Layers to blobs: every regular file of every layer, upper layers first, with the layer
that hid it; and ``ImageSource``, the engine's source for image inputs."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, cast

from scanner.blob import Blob
from scanner.boundedtar import TarBoundsError
from scanner.compression import (
    ZSTD_MISSING,
    is_tar_head,
)
from scanner.extractors.base import Limits
from scanner.models import Origin, SourceProblem
from scanner.sources.images.config import iter_config_chunks, layer_history
from scanner.sources.images.manifests import ImageSpec, find_images
from scanner.sources.images.members import Layer, Placement, iter_non_tar, iter_tar
from scanner.sources.images.stores import Store, StreamStore, open_store
from scanner.sources.images.streams import (
    DIGEST_RE,
    READ_ERRORS,
    READ_SIZE,
    ExpansionError,
    HashingReader,
    Item,
    buffered,
    decompressor,
    peek,
    stored_size,
)
from scanner.sources.images.whiteouts import Hider, LayerIndex, index_layer


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
            indexes[name] = index_layer(stream)
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
    layer = Layer(placements, base, limits, depth, where)
    stored = stored_size(stream)
    raw = HashingReader(stream, _algorithm(first.ref.blob_digest))
    plain: HashingReader | None = None
    try:
        buf = buffered(raw)
        inner, kind = decompressor(cast(BinaryIO, buf), peek(buf))
        if inner is None:
            yield SourceProblem(where, f"layer is {ZSTD_MISSING}")
            return
        plain = HashingReader(inner, _algorithm(first.ref.diff_id)) if kind else None
        tar_in = buffered(plain) if plain is not None else buf
        ceiling = None
        if stored is not None:  # what the stored bytes can expand to
            ceiling = stored * limits.max_ratio if kind else stored
        if is_tar_head(peek(tar_in)):
            yield from iter_tar(tar_in, layer, collect, ceiling)
        else:
            yield from iter_non_tar(tar_in, layer)
        _drain_within(tar_in, plain, ceiling)
        raw.drain()
    except (ExpansionError, TarBoundsError) as exc:
        yield SourceProblem(where, f"{exc}; rest of the layer skipped, digests not checked")
        return
    except READ_ERRORS as exc:
        message = f"truncated or corrupt layer ({type(exc).__name__}); rest of it skipped"
        yield SourceProblem(where, message)
        return
    yield from _verify(where, first.ref.blob_digest, raw, "layer")
    yield from _verify(where, first.ref.diff_id, plain or raw, "uncompressed layer (diff id)")


def _drain_within(tar_in: BinaryIO, plain: HashingReader | None, ceiling: int | None) -> None:
    """Read what follows the layer's tar, for its digest: a compressed layer only as far as its
    stored bytes can expand (zeros after the tar must not be decompressed without end)."""
    while tar_in.read(READ_SIZE):
        if plain is not None and ceiling is not None and plain.count > ceiling:
            raise ExpansionError(f"layer data expands past {ceiling} bytes, its ratio limit")


def _algorithm(digest: str | None) -> str:
    m = DIGEST_RE.match(digest or "")
    return m.group(1) if m else "sha256"


def _verify(
    where: str, expect: str | None, hashed: HashingReader, what: str
) -> Iterator[SourceProblem]:
    m = DIGEST_RE.match(expect or "")
    if m is None:
        return
    actual = hashed.hasher.hexdigest()
    if actual != m.group(2):
        message = f"{what} digest mismatch: expected {expect}, content is {m.group(1)}:{actual}"
        yield SourceProblem(where, message + "; scanned anyway")


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
