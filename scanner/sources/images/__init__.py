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

from scanner.sources.images.config import redact_command
from scanner.sources.images.layers import (
    ImageSource,
    content_key,
    iter_image_items,
    top_down_order,
)
from scanner.sources.images.manifests import ImageSpec, LayerRef, find_images
from scanner.sources.images.members import Placement
from scanner.sources.images.names import clean_name
from scanner.sources.images.stores import is_layout_dir, open_store, store_for_blob
from scanner.sources.images.streams import READ_ERRORS
from scanner.sources.images.whiteouts import Hider, LayerIndex

__all__ = [
    "READ_ERRORS",
    "Hider",
    "ImageSource",
    "ImageSpec",
    "LayerIndex",
    "LayerRef",
    "Placement",
    "clean_name",
    "content_key",
    "find_images",
    "is_layout_dir",
    "iter_image_items",
    "open_store",
    "redact_command",
    "store_for_blob",
    "top_down_order",
]
