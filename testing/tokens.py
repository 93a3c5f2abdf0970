"""Synthetic, structurally valid, obviously fake tokens for tests."""

from __future__ import annotations

import zlib

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _b62(n: int, width: int) -> str:
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(body: str = "FakeKeyGuard0Token1Body2Abc9Zz", prefix: str = "ghp_") -> str:
    """A ``ghp_`` token with a valid CRC32 tail; ``body`` must be 30 base62 characters."""
    assert len(body) == 30
    return prefix + body + _b62(zlib.crc32(body.encode()), 6)


def aws_key_id(body: str = "KGFAKE7Q2W3E4R5T") -> str:
    assert len(body) == 16
    return "AKIA" + body


AWS_SECRET = "kgFake9Qz/3xVb7+Lm2Np5Rt8Wy1Hc4Jd6Fs0GkT"
