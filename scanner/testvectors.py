"""Known-answer test vectors: hex values among the fields of a cipher, MAC, KDF or signature
test vector (``nonce``, ``iv``, ``pt``, ``ct``, ``tag``...), and the counting bytes
(``000102030405...``) test vectors and example IVs are filled with. Published with the
algorithm, such values are not credentials."""

from __future__ import annotations

import re

from scanner.assignsyntax import lines_ahead, lines_back

_HEX_RUN = re.compile(r"[0-9a-fA-F]{16,}")


def has_counting_bytes(value: str, count: int = 8) -> bool:
    """``000102030405060708``, ``8081828384858687``: ``count`` hex bytes that each add one to
    the last, the filler of test vectors and example IVs."""
    for m in _HEX_RUN.finditer(value):
        digits = m.group(0)
        for phase in (0, 1):
            run, prev = 0, -2
            for i in range(phase, len(digits) - 1, 2):
                byte = int(digits[i : i + 2], 16)
                run = run + 1 if byte == (prev + 1) % 256 else 1
                if run >= count:
                    return True
                prev = byte
    return False


# the other fields of a cipher, MAC or KDF test vector: ``nonce``, ``iv``, ``pt``/``ct``,
# ``input``/``output``, ``tag``, ``aad``
_VECTOR_FIELD = re.compile(
    r"""(?im)^[ \t/#*!;-]*(?:(?:let|var|const|my)[ \t]+)?["']?\$?"""
    r"""(nonce|iv|in|input|output|out|pt|ct|plaintext|ciphertext|aad|tag|expected|counter|msg"""
    r"""|sig|digest)"""
    r"""["']?[ \t]*(?::=|=>|=|:)"""
)
_HEX_VALUE = re.compile(r"^(?:[0-9a-fA-F]{2}){8,}$")
# one of them at least: ``msg``, ``digest`` and ``out`` alone also stand beside an application's
# own hard-coded HMAC secret
CIPHER_FIELDS = frozenset(
    {"nonce", "iv", "pt", "ct", "plaintext", "ciphertext", "aad", "tag", "counter"}
)


SIGNATURE_FIELDS = frozenset({"msg", "sig", "digest"})
"""What marks a signature test vector (``Salt`` beside ``Msg`` and ``Sig`` in RSA-PSS vectors)."""


def is_test_vector(
    value: str, text: str, pos: int, reach: int = 6, marks: frozenset[str] = CIPHER_FIELDS
) -> bool:
    """A hex ``value`` at ``pos`` among the fields of a cryptographic test vector: two or more
    different vector fields (``nonce``, ``iv``, ``pt``, ``ct``, ``tag``, ``input``, ``output``...),
    one of them in ``marks`` (by default a cipher's own: ``nonce``, ``iv``, ``pt``, ``ct``,
    ``tag``...), within ``reach`` lines either side. Known-answer keys, published with the
    algorithm, are not credentials."""
    if not _HEX_VALUE.match(value):
        return False
    lo, hi = lines_back(text, pos, reach + 1, 1200), lines_ahead(text, pos, reach, 1200)
    fields = {m.group(1).lower() for m in _VECTOR_FIELD.finditer(text, lo, hi)}
    return len(fields) >= 2 and not fields.isdisjoint(marks)
