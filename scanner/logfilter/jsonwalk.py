"""Structured records (JSON values, MessagePack maps): parse keeping what a re-serialisation
must not change, redact every string inside, write back.

Maps parse to ``Pairs`` (ordered key/value pairs, duplicates kept) and JSON numbers to
``RawNumber`` (their spelling kept), so a redacted record differs from its input only in the
redacted strings. A string stored under a key that names a secret (``keyed``) is redacted even
when no rule matches it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from scanner.logfilter.keyed import find_keyed_value, names_secret
from scanner.logfilter.redactor import Redactor, keyed_finding
from scanner.models import Finding


class Pairs(list[tuple[Any, Any]]):
    """A parsed map: ordered key/value pairs."""


class RawNumber(str):
    """A JSON number kept as it was spelled."""


RAW_HOOKS: dict[str, Any] = {
    "object_pairs_hook": Pairs,
    "parse_float": RawNumber,
    "parse_int": RawNumber,
    "parse_constant": RawNumber,
}

_JSON_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|.)")
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "/": "/", "\\": "\\"}


def _unescape(m: re.Match[str]) -> str:
    esc = m.group(0)
    if esc[1] == "u":
        return chr(int(esc[2:], 16))
    return _SIMPLE.get(esc[1], " ")


def json_view(text: str) -> str:
    """JSON text with string escapes undone, for the prefilter (not for redaction)."""
    return _JSON_ESCAPE.sub(_unescape, text) if "\\" in text else text


# lone surrogates: all of them, and those no undecodable byte is read as (``surrogateescape``
# reads byte 0x80-0xff as U+DC80-U+DCFF); a string holds the others only from a ``\u`` escape
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ESCAPED_ONLY = re.compile(r"[\ud800-\udc7f\udd00-\udfff]")


def decode_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def has_raw_bytes(text: str) -> bool:
    """Whether ``text`` (from ``decode_text``) holds bytes that are not UTF-8."""
    return _SURROGATE.search(text) is not None


def _escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def json_string(value: str, raw_bytes: bool) -> str:
    """``value`` as a JSON string, non-ASCII characters kept. A lone surrogate (read from a
    ``\\ud800`` escape) is written as its escape, so the text can be encoded; with
    ``raw_bytes`` (the record held bytes that are not UTF-8) those that stand for such a byte
    stay, to be written back as the byte."""
    text = json.dumps(value, ensure_ascii=False)
    if _SURROGATE.search(text) is None:
        return text
    return (_ESCAPED_ONLY if raw_bytes else _SURROGATE).sub(_escape, text)


def encode_text(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def walk(node: Any, redactor: Redactor, found: list[Finding], key: Any = None) -> Any:
    """``node`` with every string (map keys too) redacted; ``found`` collects findings.
    ``key`` is the map key ``node`` is stored under (for lists: the list's key)."""
    if isinstance(node, RawNumber):
        return node
    if isinstance(node, str):
        if isinstance(key, str):
            keyed = _redact_keyed(key, node, redactor, found)
            if keyed is not None:
                return keyed
        new, findings = redactor.redact(node, "")
        found.extend(findings)
        return new
    if isinstance(node, bytes):
        new, findings = redactor.redact(decode_text(node), "")
        found.extend(findings)
        return encode_text(new) if findings else node
    if isinstance(node, Pairs):
        return Pairs((walk(k, redactor, found), walk(v, redactor, found, k)) for k, v in node)
    if isinstance(node, list):
        return [walk(item, redactor, found, key) for item in node]
    return node


def _redact_keyed(key: str, value: str, redactor: Redactor, found: list[Finding]) -> str | None:
    hit = find_keyed_value(key, value)
    if hit is None:
        return None
    secret = value[hit.start : hit.end]
    found.append(keyed_finding(hit, secret, redactor.origin))
    return value[: hit.start] + redactor.policy.replacement(hit.rule_id, secret)


def strings(node: Any, out: list[str]) -> bool:
    """Collect every string (and text-like binary) inside ``node``, in order; True when some
    string is stored under a key that names a secret."""
    keyed = False
    if isinstance(node, str):
        out.append(node)
    elif isinstance(node, bytes):
        out.append(decode_text(node))
    elif isinstance(node, Pairs):
        for key, value in node:
            keyed |= strings(key, out)
            keyed |= strings(value, out)
            if isinstance(key, str) and isinstance(value, str | list) and names_secret(key):
                keyed = True
    elif isinstance(node, list):
        for item in node:
            keyed |= strings(item, out)
    return keyed


def dump(node: Any, compact: bool, raw_bytes: bool = False) -> str:
    """JSON text of a ``walk`` result (``compact``: no blanks after separators; ``raw_bytes``:
    see ``json_string``)."""
    item, key = (",", ":") if compact else (", ", ": ")
    if isinstance(node, RawNumber):
        return str.__str__(node)
    if isinstance(node, Pairs):
        inner = item.join(
            dump(k, compact, raw_bytes) + key + dump(v, compact, raw_bytes) for k, v in node
        )
        return "{" + inner + "}"
    if isinstance(node, list):
        return "[" + item.join(dump(v, compact, raw_bytes) for v in node) + "]"
    if isinstance(node, str):
        return json_string(node, raw_bytes)
    return json.dumps(node, ensure_ascii=False)
