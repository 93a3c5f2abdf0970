"""Offline structure checks for credential formats that a regex cannot verify on its own.

Each function takes the secret a rule extracted and answers whether it is well formed; rules
name them with ``checksum = "..."`` (see ``CHECKSUMS`` in ``scanner.validators.offline``). A
failed check does not drop the finding, it lowers its confidence to low.
"""

from __future__ import annotations

import base64
import binascii

_B32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_B32_VALID_TAILS = frozenset({0, 2, 4, 5, 7})  # unpadded base32 lengths mod 8 that decode
NKEY_SEED_LENGTH = 58  # 2 prefix bytes + 32-byte ed25519 seed + 2 CRC bytes = 36 bytes
_NKEY_SEED_BYTE = 18 << 3  # the 5 bits that base32-encode to 'S'
_NKEY_TYPES = {0 << 3, 2 << 3, 13 << 3, 14 << 3, 20 << 3, 23 << 3}  # A, C, N, O, U, X


def _b32decode(value: str) -> bytes | None:
    value = value.rstrip("=").upper()
    if not value or any(c not in _B32 for c in value) or len(value) % 8 not in _B32_VALID_TAILS:
        return None
    try:
        return base64.b32decode(value + "=" * (-len(value) % 8))
    except (binascii.Error, ValueError):
        return None


def otp_base32(value: str) -> bool:
    """An OTP shared secret: RFC 4648 base32 (padding optional, any case) of at least 10 bytes
    (80 bits, the shortest key authenticator apps accept)."""
    raw = _b32decode(value.replace(" ", ""))
    return raw is not None and len(raw) >= 10


def crc16_xmodem(data: bytes) -> int:
    """CRC-16 with polynomial 0x1021 and initial value 0 (XMODEM), as NATS nkeys use."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def nkey_seed(value: str) -> bool:
    """A NATS nkey seed: 58 base32 characters decoding to the seed prefix byte, a key type
    (user, account, operator, server, cluster, curve), 32 bytes and a little-endian CRC-16."""
    if len(value) != NKEY_SEED_LENGTH:
        return False
    raw = _b32decode(value)
    if raw is None or len(raw) != 36:
        return False
    if raw[0] & 0xF8 != _NKEY_SEED_BYTE:
        return False
    kind = ((raw[0] & 0x07) << 5) | (raw[1] >> 3)
    if kind not in _NKEY_TYPES or raw[1] & 0x07:
        return False
    return crc16_xmodem(raw[:34]) == int.from_bytes(raw[34:], "little")


_PLACEHOLDER_PASSWORDS = frozenset(
    {"password", "passwd", "pass", "pwd", "secret", "changeme", "test", "admin", "guest"}
)


def basic_auth_b64(value: str) -> bool:
    """HTTP Basic credentials: base64 of printable ``user:password`` text (RFC 7617) whose
    password is not empty and not a placeholder word (``user:password``, ``admin:admin``)."""
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    text = text.rstrip("\r\n")
    user, sep, password = text.partition(":")
    if not sep or not password or password.lower() in _PLACEHOLDER_PASSWORDS:
        return False
    if password.lower() == user.lower():
        return False
    return all(c.isprintable() for c in text) and len(user) <= 256
