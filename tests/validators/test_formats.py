"""Structure checks for OTP seeds, NATS nkey seeds and HTTP Basic credentials."""

from __future__ import annotations

import base64

import pytest

from scanner.validators.formats import basic_auth_b64, crc16_xmodem, nkey_seed, otp_base32
from scanner.validators.offline import CHECKSUMS

SEED = "SUAFAKEKEYGUARD2454ML6LG4TJFCZ4KAEDCMPB5U4MOS7AF5R2FQUNMQY"  # synthetic, valid CRC


def make_seed(kind: int, body: bytes) -> str:
    """An nkey seed of key type ``kind`` (a prefix byte such as 20 << 3 for users)."""
    raw = bytes([(18 << 3) | (kind >> 5), (kind & 31) << 3]) + body
    raw += crc16_xmodem(raw).to_bytes(2, "little")
    return base64.b32encode(raw).decode().rstrip("=")


def test_crc16_xmodem_check_value() -> None:
    assert crc16_xmodem(b"123456789") == 0x31C3  # the CRC-16/XMODEM catalogue check value
    assert crc16_xmodem(b"") == 0


@pytest.mark.parametrize(("kind", "prefix"), [(20 << 3, "SU"), (0, "SA"), (14 << 3, "SO")])
def test_generated_nkey_seeds_validate(kind: int, prefix: str) -> None:
    seed = make_seed(kind, bytes(range(7, 39)))
    assert seed.startswith(prefix + "A") and len(seed) == 58
    assert nkey_seed(seed)


def test_nkey_seed_rejects_bad_checksum_type_and_length() -> None:
    assert nkey_seed(SEED)
    assert not nkey_seed(SEED[:-1] + ("A" if SEED[-1] != "A" else "B"))
    assert not nkey_seed(SEED[:-2])
    assert not nkey_seed(make_seed(9 << 3, bytes(32)))  # not a known key type
    public = base64.b32encode(bytes([20 << 3]) + bytes(34)).decode().rstrip("=")
    assert not nkey_seed(public.ljust(58, "A"))
    assert not nkey_seed("S" * 58)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("FAKEKG2U4UECRCRWTBIZ5MBRPJDH4GXE", True),
        ("KG7FAKEMM6QLA6CL", True),  # 80 bits, the shortest accepted
        ("kg7fakemm6qla6cl", True),  # any case
        ("FAKE5OTPYFTUQBWFC4V2R7BNE3======", True),
        ("KG7FAKEMM6QL", False),  # 60 bits
        ("FAKEKG2U4UECRCRWTBIZ5MBRPJDH4G", False),  # 30 characters: not a base32 length
        ("0123456789ABCDEF", False),  # 0, 1, 8, 9 are not base32
    ],
)
def test_otp_base32(value: str, ok: bool) -> None:
    assert otp_base32(value) is ok


@pytest.mark.parametrize(
    ("creds", "ok"),
    [
        ("deploy:Kq7vTz2mPw9Xr4", True),
        ("svc-ci:FakeKg3!pw8Lm\n", True),
        ("user:password", False),
        ("admin:admin", False),
        ("deploy:", False),
        ("no-colon-here", False),
    ],
)
def test_basic_auth_b64(creds: str, ok: bool) -> None:
    assert basic_auth_b64(base64.b64encode(creds.encode()).decode()) is ok


def test_basic_auth_b64_rejects_non_base64_and_binary() -> None:
    assert not basic_auth_b64("not*base64")
    assert not basic_auth_b64(base64.b64encode(b"\xff\xfe:\x00\x01").decode())
    assert basic_auth_b64(base64.b64encode(b"deploy:Kq7vTz2mPw9Xr4").decode().rstrip("="))


def test_checks_are_registered_for_rules() -> None:
    assert CHECKSUMS["otp-base32"] is otp_base32
    assert CHECKSUMS["nkey-crc16"] is nkey_seed
    assert CHECKSUMS["basic-auth-b64"] is basic_auth_b64
