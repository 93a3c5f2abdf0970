"""Structural validators (JWT) and the GCP API key shape."""

from __future__ import annotations

import base64
import json

import pytest

from scanner.matcher import Matcher
from scanner.validators.structure import (
    base64_text,
    bip39_phrase,
    jwt_structure,
    pem_body,
    sasl_plain,
)
from testing.cases import Cases, Predicate, predicate_cases
from testing.scan import scan_text, secrets_of

SIG = "Xk7Qm2Lz9Vw4Rt8Pn3Bc6Hs1Fd5Gy0Ja"


def _part(obj: object) -> str:
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _jwt(header: object, payload: object, sig: str = SIG) -> str:
    return f"{_part(header)}.{_part(payload)}.{sig}"


HS256 = {"alg": "HS256", "typ": "JWT"}
# Supabase's service_role key bypasses row-level security: a secret, unlike the anon key
SERVICE = {"iss": "supabase", "ref": "kgfakeproject", "role": "service_role", "iat": 1718000000}


def test_jwt_rule_drops_implausible_tokens(engine_matcher: Matcher) -> None:
    good = _jwt(HS256, {"sub": "svc-keyguard", "iat": 1718000000})
    bad = _jwt({"alg": "none"}, {"sub": "svc-keyguard", "iat": 1718000000})
    found = secrets_of(scan_text(engine_matcher, f'a = "{good}"\nb = "{bad}"\n'), "jwt.token")
    assert found == {good}


GCP = "AIzaSyKeyGuard7wGxV6oDeuTossQQshfZvtqM1"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (f"GOOGLE_API_KEY={GCP}", True),
        (f'"apiKey": "{GCP}",', True),
        (f"https://maps.googleapis.com/maps/api/js?key={GCP}&callback=x", True),
        (f"GOOGLE_API_KEY={GCP}x", False),  # 36 characters after AIza
        (f"GOOGLE_API_KEY={GCP[:-1]}", False),  # 34
        (f'blob = "Zm9v/{GCP}+Ymxv"', False),  # inside base64
        (f"x_{GCP}", False),
        ("GOOGLE_API_KEY=AIzaSyExampleApiKeyForTheDocsPage123456", False),
        ("GOOGLE_API_KEY=AIzaSyabcdefghijklmnopqrstuvwxyzabcdefg", False),
    ],
)
def test_gcp_api_key_shape(engine_matcher: Matcher, text: str, found: bool) -> None:
    assert len(GCP) == 39
    assert bool(secrets_of(scan_text(engine_matcher, text), "gcp.api-key")) is found


PREDICATES: dict[Predicate, Cases] = {
    # a real ``alg`` and at least one usual claim
    jwt_structure: Cases(
        yes=[
            _jwt(HS256, {"sub": "svc-keyguard", "iat": 1718000000, "exp": 1718003600}),
            _jwt({"alg": "RS256", "kid": "k1"}, {"iss": "https://id.kg.invalid"}),
            _jwt(HS256, SERVICE),
        ],
        no=[
            _jwt({"alg": "none", "typ": "JWT"}, {"sub": "svc-keyguard", "iat": 1718000000}),
            _jwt({"typ": "JWT"}, {"sub": "svc-keyguard"}),
            _jwt(HS256, {"foo": "bar", "baz": [1, 2]}),
            _jwt(HS256, {}),
            _jwt(HS256, ["sub"]),
            _jwt(HS256, {"sub": "1234567890", "name": "John Doe", "iat": 1516239022}),
            "eyJhbGciOiJIUzI1NiJ9.eyJub3QganNvbiBhdCBhbGwgaGVyZQ." + SIG,
            _jwt(HS256, {"sub": "x"}, ""),
            _jwt(
                HS256,
                {"iss": "supabase", "ref": "kgfakeproject", "role": "anon", "iat": 1718000000},
            ),
        ],
    ),
    # the English word list, and the checksum the last word carries
    bip39_phrase: Cases(
        yes=[
            "ball voyage supreme power spoon rabbit cycle stay before shove citizen crash",
            "Ball Voyage Supreme Power Spoon Rabbit Cycle Stay Before Shove Citizen Crash",
        ],
        no=[
            "ball voyage supreme power spoon rabbit cycle stay before shove citizen canal",
            "ball voyage supreme power spoon rabbit cycle stay before shove citizen",
            "ball voyage supreme power spoon rabbit cycle stay before shove citizen keyguard",
            "write down the twelve words of your recovery phrase on paper and keep them",
        ],
    ),
    sasl_plain: Cases(
        yes=[
            base64.b64encode(b"\0kgfake@mail.kgfake.invalid\0Tr0ut-KgFake-97").decode(),
            base64.b64encode(b"admin\0kgfake\0Snow-KgFake-21").decode(),
        ],
        no=[
            base64.b64encode(b"\0kgfake\0").decode(),  # no password
            base64.b64encode(b"\0\0Snow-KgFake-21").decode(),  # no user
            base64.b64encode(b"kgfake-is-not-sasl").decode(),
            "LOGIN",
            "not base64!",
        ],
    ),
    pem_body: Cases(
        yes=[
            "MIIBOgIBAAJBAKgFakeKeyGuardRustDocQ9z7Lm2vTq8Wx3Rk5Np0Ys4Hd6Jf1Gc\n9Bv2Xe7Ua3Ko8Ri5",
            # each line under a JSDoc comment's " * ", or in a JSON string
            "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0w\n * Q9z7Lm2vTq8Wx3Rk5Np0Ys4Hd",
            "MIICXAIBAAKBgQCFSWO1ozBchuFQMRFtWlOrf8Ne\\nGEhWHRvlF6vSwgIOXpOJ5Gow",
        ],
        no=[
            "Paste the base64 body of your PKCS8 key here and remove this comment before use",
            "MIIEvQIBADANBgkqhkiG9w0B****************************************",
            # lines of 39: one short of the shortest wrap
            "MIIBOgIBAAJBAKgFakeKeyGuardRustDocQ9z7L\nm2vTq8Wx3Rk5Np0Ys4Hd6Jf1Gc9Bv2Xe7Ua3Ko",
        ],
    ),
    base64_text: Cases(
        yes=[
            base64.b64encode(b"Otter#KgFake71").decode(),
            base64.b64encode("Pässwort-KgFake".encode()).decode(),
        ],
        no=[
            base64.b64encode(b"abc").decode(),  # too short for a password
            base64.b64encode(b"\x00\x01\x02\x03\xff").decode(),  # binary
            base64.b64encode(b"line\nbreak").decode(),
            "UHVmZmluLUtnRmFrZS00NA",  # padding missing
        ],
    ),
}


@pytest.mark.parametrize(("predicate", "value", "expected"), predicate_cases(PREDICATES))
def test_predicates(predicate: Predicate, value: str, expected: bool) -> None:
    assert bool(predicate(value)) is expected
