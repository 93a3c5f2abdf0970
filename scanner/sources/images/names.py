"""Entry names in image archives: cleaning, safety checks, digests."""

from __future__ import annotations

import posixpath

from scanner.sources.images.streams import DIGEST_RE, HEX64_RE


def clean_name(name: str) -> str:
    """An archive member name without leading ``./`` or ``/`` and trailing ``/``."""
    while name.startswith("./"):
        name = name[2:]
    return name.strip("/")


def is_unsafe_name(name: str) -> bool:
    """Absolute names and names that climb out of the archive (``..``)."""
    return name.startswith("/") or ".." in name.replace("\\", "/").split("/")


def norm_name(name: str) -> str:
    return posixpath.normpath("/" + clean_name(name)).lstrip("/")


def digest_path(digest: str) -> str | None:
    m = DIGEST_RE.match(digest)
    return f"blobs/{m.group(1)}/{m.group(2)}" if m else None


def digest_from_name(name: str) -> str | None:
    """``blobs/sha256/<hex>`` or ``<hex>.json`` → ``sha256:<hex>``."""
    parts = clean_name(name).split("/")
    if len(parts) == 3 and parts[0] == "blobs" and DIGEST_RE.match(f"{parts[1]}:{parts[2]}"):
        return f"{parts[1]}:{parts[2]}"
    if len(parts) == 1:
        stem = parts[0]
        for suffix in (".json", ".tar.gz", ".tar.zst", ".tar"):
            if stem.endswith(suffix) and HEX64_RE.match(stem[: -len(suffix)]):
                return "sha256:" + stem[: -len(suffix)]
        if DIGEST_RE.match(stem):  # go-containerregistry names the config "sha256:<hex>"
            return stem
    return None


def short_digest(digest: str) -> str:
    alg, _, hexpart = digest.partition(":")
    return f"{alg}:{hexpart[:12]}" if hexpart else digest
