"""The shared part of the secrets-manager providers: settings, context and discovery by digest.

A provider lists what its store holds (``stored_values``); the index maps the digest of each
value, and of each JSON field of it, to the secrets holding it. It is built once per run and only
reads. Providers whose stores are shaped differently (Vault's key/value paths, Kubernetes data
maps) override ``build_index``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Generic, TypeVar, cast

from scanner.rotation.base import RotationError, RotationRequest, Target, iter_digests
from scanner.rotation.config import RotationEntry
from scanner.rotation.context import ProviderContext

S = TypeVar("S")


def missing_sdk(package: str, extra: str) -> RotationError:
    """The error for a provider whose client library is not installed."""
    return RotationError(f"{package} is not installed: pip install 'keyguard[{extra}]'")


class IndexedProvider(Generic[S]):
    settings_type: ClassVar[type[Any]]

    def __init__(self, entry: RotationEntry, ctx: ProviderContext) -> None:
        if not isinstance(entry.settings, self.settings_type):
            raise TypeError(f"{type(self).__name__} needs {self.settings_type.__name__}")
        self.entry = entry
        self.settings = cast(S, entry.settings)
        self.ctx = ctx
        self._index: dict[str, list[Target]] | None = None

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
