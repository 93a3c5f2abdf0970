"""Structural validators: a candidate must *decode* to what its format promises.

Rules name one with ``checksum = "<name>"``; unlike a checksum, a failed structural check drops
the candidate (it is not the credential its pattern resembles), it does not just lower the
confidence.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mnemonic import Mnemonic

# Claims that real tokens carry (RFC 7519 registered claims and the common private ones).
JWT_CLAIMS = frozenset(
    [
        "iss",
        "sub",
        "aud",
        "exp",
        "nbf",
        "iat",
        "jti",
        "name",
        "email",
        "scope",
        "scp",
        "role",
        "roles",
        "uid",
        "user_id",
        "userid",
        "userId",
        "username",
        "preferred_username",
        "azp",
        "client_id",
        "cid",
        "tid",
        "oid",
        "upn",
        "given_name",
        "family_name",
        "groups",
        "permissions",
        "sid",
        "session_id",
        "sessionid",
        "nonce",
        "auth_time",
        "acr",
        "amr",
        "typ",
        "ref",
        "user",
        "account",
        "org",
        "tenant",
        "tenant_id",
        "app_id",
        "appid",
        "ver",
        "version",
        "data",
        "context",
        "claims",
        "https://hasura.io/jwt/claims",
    ]
)
# Tokens published as documentation examples (jwt.io's default token and its variants).
EXAMPLE_PAYLOADS = (
    {"sub": "1234567890", "name": "John Doe", "iat": 1516239022},
    {"sub": "1234567890", "name": "John Doe", "admin": True},
    {"sub": "1234567890", "name": "John Doe", "admin": True, "iat": 1516239022},
)


def _b64url_json(part: str) -> Any:
    padded = part + "=" * (-len(part) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        return json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def jwt_structure(token: str) -> bool:
    """A JWS compact token worth reporting: the header is a JSON object with a real ``alg``
    (not ``none``), the payload a JSON object with at least one usual claim, and it is not a
    documentation example."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[2]:
        return False
    header = _b64url_json(parts[0])
    if not isinstance(header, dict):
        return False
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() in ("none", ""):
        return False
    payload = _b64url_json(parts[1])
    if not isinstance(payload, dict) or not payload:
        return False
    if not any(k in JWT_CLAIMS for k in payload):
        return False
    return payload not in EXAMPLE_PAYLOADS and not _public_client_key(payload)


def _public_client_key(payload: dict[str, Any]) -> bool:
    """Supabase's ``anon`` key: a JWT meant to ship in browser and mobile code (Row Level
    Security decides what it may do), unlike the ``service_role`` key, which bypasses it."""
    issuer = payload.get("iss")
    return payload.get("role") == "anon" and isinstance(issuer, str) and "supabase" in issuer


BIP39_LENGTHS = (12, 15, 18, 21, 24)


@functools.cache
def _bip39_english() -> Mnemonic:
    from mnemonic import Mnemonic  # the reference implementation (Trezor); read once, lazily

    return Mnemonic("english")


def bip39_phrase(phrase: str) -> bool:
    """A BIP-39 seed phrase: 12 to 24 words of the English list whose last bits are the
    SHA-256 checksum of the entropy the other words spell (one random word sequence in 16 to
    256 passes by chance; ordinary prose almost never uses only list words)."""
    words = phrase.lower().split()
    return len(words) in BIP39_LENGTHS and bool(_bip39_english().check(" ".join(words)))


def sasl_plain(token: str) -> bool:
    """A SASL PLAIN response (RFC 4616, as SMTP, IMAP and XMPP send it in base64):
    ``authzid NUL authcid NUL passwd`` with a user name and a password that are not empty."""
    try:
        raw = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        return False
    parts = raw.split(b"\0")
    if len(parts) != 3 or not parts[1] or len(parts[2]) < 4:
        return False
    # a stand-in that names the field (``\0user\0pass``), or the user name again (``\0kg\0kg``)
    return parts[2].lower() not in _STAND_IN_PASSWORDS and parts[2] != parts[1]


_STAND_IN_PASSWORDS = frozenset([b"pass", b"password", b"passwd", b"secret"])


def base64_text(token: str) -> bool:
    """Base64 of a short printable text (a password as SMTP AUTH LOGIN sends it): valid
    padding, UTF-8, at least four characters, none of them control characters."""
    try:
        text = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    return len(text) >= 4 and text.isprintable()


# PEM and OpenPGP armor wrap base64 at 64 characters (OpenSSH at 70, some tools at 76)
_ARMOR_RUN = re.compile(r"[A-Za-z0-9+/]{40}")


def pem_body(body: str) -> bool:
    """The body of a PEM or OpenPGP armored block: lines of base64 (or one long line), so an
    unbroken run of at least 40 base64 characters somewhere, whatever each line is written
    under (a comment's ``* ``, ``//! ``, ``# ``, a JSON string's ``\\n``). Words written
    between the markers (``Paste the base64 body of your key here ...``) have none."""
    return _ARMOR_RUN.search(body) is not None


STRUCTURE_CHECKS: dict[str, Callable[[str], bool]] = {
    "pem-body": pem_body,
    "jwt-structure": jwt_structure,
    "bip39": bip39_phrase,
    "sasl-plain": sasl_plain,
    "base64-text": base64_text,
}
"""Structural checks by the name a rule gives in ``checksum``."""
