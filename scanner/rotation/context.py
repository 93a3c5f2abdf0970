"""What providers get from the run: the environment and the clock (injected for tests)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProviderContext:
    env: Mapping[str, str]
    now: Callable[[], str]
