"""Untrusted text (file names, archive members, provenance) on its way out.

Names come from the scanned tree, so they may hold anything a file system allows: escape
sequences that rewrite the terminal, newlines that forge report lines, bidirectional overrides
that reorder what a reviewer reads, and bytes that are not UTF-8 (Python holds them as lone
surrogates, ``U+DC80``-``U+DCFF``, by ``surrogateescape``).

- **Terminal** (text report, warnings, progress): ``terminal_safe`` turns every control
  character, bidi control and lone surrogate into a visible escape: ``\\x1b``, ``\\n``,
  ``\\u202e``, and ``\\xff`` for a byte that is not UTF-8.
- **JSON** (json, jsonl, SARIF): strings keep the exact name. ``json_dumps`` writes a byte
  that is not UTF-8 as the JSON escape of its surrogate, ``\\udcff`` (Python's
  ``surrogateescape``: ``json.loads`` then ``os.fsencode`` give back the original bytes), so the
  document itself is always valid UTF-8.
- **URIs** (SARIF ``artifactLocation.uri``): ``uri_path`` percent-encodes the original bytes
  (``%FF``), RFC 3986's exact representation.
"""

from __future__ import annotations

import json
import re
from typing import Any

_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match[str]) -> str:
    c = m.group(0)
    if c in _NAMED:
        return _NAMED[c]
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # an undecodable byte, as the byte
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with nothing a terminal would act on (see the module docstring)."""
    if text.isprintable() and text.isascii():
        return text
    return _UNSAFE.sub(_escape, text)


def json_dumps(doc: Any, **kwargs: Any) -> str:
    """``json.dumps(doc, ensure_ascii=False, ...)`` that survives undecodable names."""
    text = json.dumps(doc, ensure_ascii=False, **kwargs)
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def uri_path(path: str) -> str:
    """A relative path as a URI reference: the original bytes, percent-encoded."""
    import urllib.parse  # SARIF only: not loaded by the other reports and messages

    text = path.replace("\\", "/").removeprefix("./")
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that no undecodable byte produced
        raw = text.encode("utf-8", "surrogatepass")
    return urllib.parse.quote(raw, safe="/:@-._~!$&'()*+,;=")


def readable(text: str) -> str:
    """For free text meant for people (SARIF messages): undecodable bytes as U+FFFD."""
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)
