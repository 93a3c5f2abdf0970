"""Zip-based checkpoints (PyTorch ``archive/data.pkl``, Keras ``.keras``, NumPy ``.npz``):
pickles, JSON and small members opened, tensor storages skipped unread."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator

from scanner.blob import Blob
from scanner.extractors.archives import (
    EMPTY_ZIP,
    ZIP_MAGIC,
    ZipExtractor,
    iter_zip_members,
    read_zip_member,
)
from scanner.extractors.base import Budget, Item
from scanner.extractors.fields import (
    strings_chunks,
)
from scanner.extractors.modelbase import problem
from scanner.extractors.pickles import has_object, npy_header
from scanner.models import SourceProblem

MODEL_ZIP_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".npz", ".keras", ".mar", ".pkl")
ZIP_ONLY_SUFFIXES = (".npz", ".keras")
_STORAGE = re.compile(r"(^|/)data/\d+$|\.storage$")


def _has_data_pkl(blob: Blob) -> bool:
    try:
        with blob.open() as fh, zipfile.ZipFile(fh) as zf:
            return any(n.endswith("data.pkl") for n in zf.namelist()[:10_000])
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return False


class ModelZipExtractor:
    """PyTorch zip checkpoints, ``.keras`` and ``.npz``: metadata members only, never storages."""

    name = "model-zip"

    def accepts(self, blob: Blob, head: bytes) -> bool:
        if not head.startswith((ZIP_MAGIC, EMPTY_ZIP)):
            return blob.lower_name.endswith(ZIP_ONLY_SUFFIXES)
        return blob.lower_name.endswith(MODEL_ZIP_SUFFIXES) or _has_data_pkl(blob)

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]:
        if not blob.head(4).startswith((ZIP_MAGIC, EMPTY_ZIP)):
            yield problem(blob, "not a zip archive (wrong magic); printable strings scanned")
            yield from strings_chunks(blob, budget)
            return
        plain = ZipExtractor()

        def handle(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[Item]:
            if _STORAGE.search(info.filename):
                return iter(())
            if info.filename.lower().endswith(".npy"):
                return self._npy(zf, info, blob, budget)
            return plain._member(zf, info, blob, budget)

        yield from iter_zip_members(blob, budget, handle)

    def _npy(
        self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, blob: Blob, budget: Budget
    ) -> Iterator[Item]:
        """Only object and string arrays are read past their header."""
        origin = blob.origin.child(info.filename)
        limits = budget.limits
        with zf.open(info) as member:
            header = npy_header(member, info.file_size)  # type: ignore[arg-type]
        if header is None:
            yield SourceProblem(origin.display, "truncated or invalid .npy header")
            return
        descr = header.get("descr")
        wanted = has_object(descr) or (
            isinstance(descr, str) and descr.lstrip("<>|=")[:1] in ("U", "S")
        )
        if not wanted:
            return
        if info.file_size > limits.max_member_size or not budget.take(info.file_size):
            yield SourceProblem(origin.display, "member larger than the size limit; skipped")
            return
        with zf.open(info) as member:
            item = read_zip_member(member, info, blob, origin, limits)
        yield item
