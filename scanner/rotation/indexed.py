"""The shared part of the secrets-manager providers: the client library, discovery by digest.

The client (an SDK client, or an HTTP session) is made on first use by ``make_client``; imports
of the client library sit in ``with sdk(package, extra):`` so a missing one names the extra to
install. A provider lists what its store holds (``stored_values``); the index maps the digest of
each value, and of each JSON field of it, to the secrets holding it. It is built once per run and
only reads. Providers whose stores are shaped differently (Vault's key/value paths, Kubernetes
data maps) override ``build_index``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from scanner.rotation.base import (
    ConfiguredProvider,
    RotationError,
    RotationRequest,
    S,
    Target,
    iter_digests,
    sha256_hex,
)
from scanner.rotation.config import RotationEntry
from scanner.rotation.context import ProviderContext


def missing_sdk(package: str, extra: str) -> RotationError:
    """The error for a provider whose client library is not installed."""
    return RotationError(f"{package} is not installed: pip install 'keyguard[{extra}]'")


@contextmanager
def sdk(package: str, extra: str) -> Iterator[None]:
    """Around the imports of a provider's client library: ``ImportError`` becomes the
    ``missing_sdk`` error."""
    try:
        yield
    except ImportError:
        raise missing_sdk(package, extra) from None


def index_data(index: dict[str, list[Target]], ref: str, data: Mapping[str, object]) -> None:
    """Add a secret's key/value data: each text value under its key. Only whole values: a key
    is what a rotation replaces (JSON nested in a value is not split into fields)."""
    for key, value in data.items():
        if isinstance(value, str):
            index.setdefault(sha256_hex(value), []).append(Target(ref, "", str(key)))


class IndexedProvider(ConfiguredProvider[S]):
    def __init__(self, entry: RotationEntry, ctx: ProviderContext) -> None:
        super().__init__(entry, ctx)
        self._client: Any = None
        self._index: dict[str, list[Target]] | None = None

    def make_client(self) -> Any:
        """A new client for the store (imports its library)."""
        raise NotImplementedError

    def client(self) -> Any:
        """The store's client, made once per run."""
        if self._client is None:
            self._client = self.make_client()
        return self._client

    def stored_values(self) -> Iterator[tuple[str, str]]:
        """``(secret reference, current text value)`` of every readable secret in scope."""
        raise NotImplementedError

    def build_index(self) -> dict[str, list[Target]]:
        index: dict[str, list[Target]] = {}
        for ref, value in self.stored_values():
            for field_name, digest in iter_digests(value):
                index.setdefault(digest, []).append(Target(ref, "", field_name))
        return index

    def discovery_index(self) -> dict[str, list[Target]]:
        """digest -> secrets (and JSON fields) holding it; built once per run."""
        if self._index is None:
            self._index = self.build_index()
        return self._index

    def holders(self, request: RotationRequest) -> list[Target]:
        """The secrets in scope that hold the leaked value."""
        return self.discovery_index().get(request.finding.secret.digest(), [])
