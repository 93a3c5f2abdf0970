"""The provider seam: requests, targets, the ``Provider`` protocol, value generation, discovery."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from scanner.models import Finding
from scanner.rotation.config import GeneratorSpec, RotationEntry
from scanner.rotation.context import ProviderContext

S = TypeVar("S")


class RotationError(Exception):
    """A rotation step failed. ``retryable`` errors are retried with backoff.

    Messages never contain secret values (providers build them from names, codes and statuses).
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class RotationRequest:
    """One leaked secret (first finding of a fingerprint) and the entry that handles it."""

    finding: Finding
    entry: RotationEntry
    occurrences: int = 1
    detected_at: str = ""

    @property
    def fingerprint(self) -> str:
        return self.finding.fingerprint

    def lease_id(self) -> str | None:
        """A Vault lease id carried by the finding (``extra`` or origin detail ``lease_id``)."""
        extra = dict(self.finding.extra)
        return extra.get("lease_id") or self.finding.origin.detail_dict().get("lease_id")


@dataclass(frozen=True, slots=True)
class Target:
    """What will be changed: ``ref`` (secret id, path, command, URL), ``action`` (what is done to
    it), ``field`` (the JSON key holding the leaked value, from discovery or config)."""

    ref: str
    action: str
    field: str | None = None
    note: str = ""

    def acting(self, action: str) -> Target:
        """This target with ``action``, naming the JSON field it replaces when there is one."""
        where = f" (field {self.field})" if self.field else ""
        return Target(self.ref, action + where, self.field, self.note)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of a successful rotation: plain, secret-free details for the audit log."""

    details: dict[str, str] = field(default_factory=dict)


class Provider(Protocol):
    """A rotation backend. ``resolve`` only reads; ``rotate`` changes things."""

    def resolve(self, request: RotationRequest) -> list[Target]: ...

    def rotate(self, request: RotationRequest, target: Target) -> Outcome: ...


class ConfiguredProvider(Generic[S]):
    """What every provider keeps: its entry, the entry's settings (checked to be a
    ``settings_type``) and the run's context."""

    settings_type: ClassVar[type[Any]]

    def __init__(self, entry: RotationEntry, ctx: ProviderContext) -> None:
        if not isinstance(entry.settings, self.settings_type):
            raise TypeError(f"{type(self).__name__} needs {self.settings_type.__name__}")
        self.entry = entry
        self.settings = cast(S, entry.settings)
        self.ctx = ctx

    def new_value(self, current: str | None = None, field_name: str | None = None) -> str:
        """A generated value; with ``field_name``, ``current`` (a JSON object) with that field
        set to it."""
        return replace_value(current, generate_value(self.entry.generator), field_name)


def generate_value(spec: GeneratorSpec) -> str:
    """A fresh random value: ``length`` characters from ``alphabet`` or URL-safe base64."""
    if spec.alphabet:
        return "".join(secrets.choice(spec.alphabet) for _ in range(spec.length))
    return secrets.token_urlsafe(spec.length)[: spec.length]


def replace_value(current: str | None, generated: str, field_name: str | None) -> str:
    """The new stored value: ``generated``, or ``current`` (a JSON object) with ``field_name``
    set to ``generated``."""
    if field_name is None:
        return generated
    try:
        data = json.loads(current) if current is not None else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise RotationError(
            f"stored value is not a JSON object; cannot replace field `{field_name}`"
        )
    data[field_name] = generated
    return json.dumps(data)


def only_key(data: Mapping[str, Any], ref: str) -> str:
    """The one key of a secret's data; several need ``generator.field`` to pick one."""
    if len(data) == 1:
        return str(next(iter(data)))
    raise RotationError(
        f"{ref}: secret has {len(data)} keys; set `generator.field` to the one to replace"
    )


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def iter_digests(value: str) -> Iterator[tuple[str | None, str]]:
    """``(field, digest)`` of a stored value: the whole value (field ``None``) and, when it is a
    JSON object, each string/number field."""
    yield None, sha256_hex(value)
    try:
        data = json.loads(value)
    except ValueError:
        return
    if isinstance(data, dict):
        for key, item in data.items():
            if isinstance(item, str | int | float) and not isinstance(item, bool):
                yield str(key), sha256_hex(str(item))


def finding_payload(request: RotationRequest, *, with_secret: bool = False) -> dict[str, Any]:
    """The finding as JSON for hooks: no secret unless ``with_secret`` (exec ``pass_secret``)."""
    f = request.finding
    payload: dict[str, Any] = {
        "event": "keyguard.rotation",
        "rotation": request.entry.name,
        "rule_id": f.rule_id,
        "description": f.description,
        "severity": f.severity.label,
        "confidence": f.confidence.label,
        "location": f.origin.display,
        "path": f.origin.path,
        "line": f.position.line,
        "column": f.position.column,
        "fingerprint": f.fingerprint,
        "occurrences": request.occurrences,
        "detected_at": request.detected_at,
        "provenance": f.origin.detail_dict(),
    }
    lease = request.lease_id()
    if lease:
        payload["lease_id"] = lease
    if with_secret:
        payload["secret"] = f.secret.reveal()
    return payload
