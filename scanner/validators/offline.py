"""Offline validators: pure functions over a candidate secret."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from scanner.validators.formats import basic_auth_b64, nkey_seed, otp_base32
from scanner.validators.structure import STRUCTURE_CHECKS

if TYPE_CHECKING:
    from scanner.rulebook.schema import Requirements

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def meets_requirements(value: str, req: Requirements) -> bool:
    if req.min_length and len(value) < req.min_length:
        return False
    if req.max_length and len(value) > req.max_length:
        return False
    if req.min_digits and sum(c.isdigit() for c in value) < req.min_digits:
        return False
    if req.min_upper and sum(c.isupper() for c in value) < req.min_upper:
        return False
    if req.min_lower and sum(c.islower() for c in value) < req.min_lower:
        return False
    return not (req.min_special and sum(not c.isalnum() for c in value) < req.min_special)


def base62(number: int, width: int) -> str:
    out = ""
    while number:
        number, rem = divmod(number, 62)
        out = B62[rem] + out
    return out.rjust(width, "0")


def github_crc32(token: str) -> bool:
    """``ghp_``-style and ``npm_`` tokens: the last 6 chars are base62(CRC32(30-char body))."""
    _, sep, body = token.partition("_")
    if not sep or len(body) != 36:
        return False
    return base62(zlib.crc32(body[:30].encode()), 6) == body[30:]


def grafana_crc32(token: str) -> bool:
    """``glsa_`` + 32 + ``_`` + 8 hex: the hex is the CRC32 of the first 37 characters."""
    if len(token) != 46 or token[37] != "_":
        return False
    return f"{zlib.crc32(token[:37].encode()):08x}" == token[38:].lower()


def atbb_crc32(token: str) -> bool:
    """Bitbucket ``ATBB`` + 28 + 8 hex: the hex is the CRC32 of the 28 preceding characters."""
    if len(token) != 40 or not token.startswith("ATBB"):
        return False
    return f"{zlib.crc32(token[4:32].encode()):08x}" == token[32:].lower()


CHECKSUMS: dict[str, Callable[[str], bool]] = {
    "github-crc32": github_crc32,
    "grafana-crc32": grafana_crc32,
    "atbb-crc32": atbb_crc32,
    "otp-base32": otp_base32,
    "nkey-crc16": nkey_seed,
    "basic-auth-b64": basic_auth_b64,
    **STRUCTURE_CHECKS,  # structural checks drop a failing candidate (see structure.py)
}
