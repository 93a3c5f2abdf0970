"""Offline checks: entropy, character-class requirements, CRC32 checksums."""

from __future__ import annotations

import zlib

from scanner.rulebook.schema import Requirements
from scanner.validators.offline import (
    atbb_crc32,
    base62,
    github_crc32,
    grafana_crc32,
    meets_requirements,
)
from scanner.valuemeasure import shannon_entropy
from testing.tokens import github_token


def test_entropy_bounds() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == 2.0
    assert 3.9 < shannon_entropy("0123456789abcdef") <= 4.0


def test_base62_pads_to_width() -> None:
    assert base62(0, 6) == "000000"
    assert base62(61, 2) == "0z"
    assert base62(62, 3) == "010"


def test_github_checksum_accepts_valid_and_rejects_one_changed_character() -> None:
    token = github_token()
    assert github_crc32(token)
    broken = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert not github_crc32(broken)


def test_grafana_and_bitbucket_checksums() -> None:
    body = "glsa_" + "kgFakeKeyGuard0Token1Body2Abc9Zz"
    assert len(body) == 37
    token = f"{body}_{zlib.crc32(body.encode()):08x}"
    assert grafana_crc32(token)
    assert not grafana_crc32(token[:-1] + ("0" if token[-1] != "0" else "1"))
    atbb_body = "kgFakeKeyGuard0Token1Body2Ab"
    assert len(atbb_body) == 28
    atbb = f"ATBB{atbb_body}{zlib.crc32(atbb_body.encode()):08X}"
    assert atbb_crc32(atbb)
    assert not atbb_crc32(atbb[:-1] + ("0" if atbb[-1] != "0" else "1"))


def test_requirements() -> None:
    req = Requirements(min_digits=1, min_upper=1, min_lower=1, min_length=6, max_length=10)
    assert meets_requirements("aB3xyz", req)
    assert not meets_requirements("ab3xyz", req)  # no upper case
    assert not meets_requirements("aB3", req)  # too short
    assert not meets_requirements("aB3xyzaB3xyz", req)  # too long
