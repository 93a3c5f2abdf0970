"""The test-only routing override: ``KEYGUARD_TEST_VERIFY_ROUTES`` and ``KEYGUARD_TEST_VERIFY_CA``.

``KEYGUARD_TEST_VERIFY_ROUTES="api.github.com=127.0.0.1:8443,sts.amazonaws.com=127.0.0.1:9443"``
sends the request meant for a pinned host to a loopback address instead (the Host header stays the
pinned host; TLS is verified against ``KEYGUARD_TEST_VERIFY_CA`` with a certificate for the
loopback address). Only loopback targets are accepted, so the override can never send a secret to
another machine; it is read from the environment only (never from a rule or config file).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import UserError

ROUTES_ENV = "KEYGUARD_TEST_VERIFY_ROUTES"
CA_ENV = "KEYGUARD_TEST_VERIFY_CA"


@dataclass(frozen=True, slots=True)
class Route:
    address: str  # a loopback IP literal
    port: int

    @property
    def netloc(self) -> str:
        return (
            f"[{self.address}]:{self.port}"
            if ":" in self.address
            else f"{self.address}:{self.port}"
        )


@dataclass(frozen=True, slots=True)
class Routes:
    table: tuple[tuple[str, Route], ...] = ()
    ca_file: Path | None = None

    def get(self, host: str) -> Route | None:
        for name, route in self.table:
            if name == host:
                return route
        return None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Routes:
        """The override from ``env``; ``UserError`` for a malformed or non-loopback route."""
        text = env.get(ROUTES_ENV, "").strip()
        if not text:
            return cls()
        table = tuple(_route(item.strip()) for item in text.split(",") if item.strip())
        ca = env.get(CA_ENV, "").strip()
        return cls(table, Path(ca) if ca else None)


def _route(item: str) -> tuple[str, Route]:
    host, sep, target = item.partition("=")
    address, colon, port_text = target.rpartition(":")
    address = address.strip("[]")
    if not sep or not colon or not host or not port_text.isdigit():
        raise UserError(f"{ROUTES_ENV}: {item!r} is not host=ADDRESS:PORT")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise UserError(f"{ROUTES_ENV}: {address!r} is not an IP address") from None
    if not ip.is_loopback:
        raise UserError(f"{ROUTES_ENV}: {address} is not a loopback address; refused")
    port = int(port_text)
    if not 0 < port < 65536:
        raise UserError(f"{ROUTES_ENV}: port {port} out of range")
    return host.strip().lower(), Route(str(ip), port)
