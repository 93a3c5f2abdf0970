"""The ``Secret`` wrapper: a secret value that does not leak through ``repr``/``str``."""

from __future__ import annotations

import hashlib

_FINGERPRINT_SALT = b"keyguard-v1:"


class Secret:
    """A secret value. ``str()`` and ``repr()`` are masked; ``reveal()`` returns the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return f"Secret({mask(self._value)!r})"

    def __str__(self) -> str:
        return mask(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        return (Secret, (self._value,))

    def digest(self) -> str:
        """SHA-256 of the value, hex: what baselines and rotation discovery compare."""
        return hashlib.sha256(self._value.encode("utf-8", "surrogatepass")).hexdigest()

    def fingerprint(self) -> str:
        """A short, salted, stable id of the value that does not reveal it."""
        data = _FINGERPRINT_SALT + self._value.encode("utf-8", "surrogatepass")
        return hashlib.sha256(data).hexdigest()[:32]


def mask(value: str, keep: int = 4) -> str:
    """Mask a secret: keep a short prefix, hide the rest and the length."""
    if len(value) <= keep * 2:
        return "*" * 8
    visible = min(keep, len(value) // 4)
    return value[:visible] + "*" * 8
