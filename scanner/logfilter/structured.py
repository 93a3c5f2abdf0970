"""JSON-framed line formats: JSON lines (``json``, ``fluentd-json``) and rsyslog ``mmexternal``.

A group of lines is scanned as one chunk first; only the lines where that scan (or a key that
names a secret) found something are parsed and redacted string by string.
"""

from __future__ import annotations

import json
import re
from typing import Any

from scanner.logfilter.jsonwalk import (
    RAW_HOOKS,
    dump,
    has_raw_bytes,
    json_string,
    json_view,
    walk,
)
from scanner.logfilter.keyed import names_secret
from scanner.logfilter.options import MARKER, RsyslogInput
from scanner.logfilter.records import BlockFilter
from scanner.models import Finding

# a secret-ish word in a member name, up to the end of a string-valued (or array) member's key;
# searched in lowered text, the key's start is found from here
_KEYED_MEMBER = re.compile(
    r'(?:pass|pwd|secret|token|cred|auth|key)[^"\\\n]{0,40}"[ \t]*:[ \t]*[\["]'
)
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_SHORT_ESCAPES: tuple[tuple[str, str], ...] = (
    ('\\"', '"'),
    ("\\/", "/"),
    *((f"\\{c}", " ") for c in "ntrbf"),
)


def keyed_lines(text: str) -> set[int]:
    """Indices of the lines of ``text`` with a member stored under a key that names a secret."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = text
    lines = set()
    for m in _KEYED_MEMBER.finditer(lowered):
        start = lowered.rfind('"', 0, m.start()) + 1
        key = text[start : m.end()].split('"', 1)[0]
        if start and names_secret(key):
            lines.add(text.count("\n", 0, start))
    return lines


def _unicode(m: re.Match[str]) -> str:
    char = chr(int(m.group(1), 16))
    return char if char.isprintable() else " "


def json_lines_view(text: str) -> str:
    """JSON lines with string escapes undone (C-level replacements) and every line kept: an
    escaped line break becomes a blank. Offsets change; line numbers do not. The group scan of
    ``JsonFilter`` runs on this, so the matcher need not unescape the group itself."""
    if "\\" not in text:
        return text
    view = text.replace("\\\\", "\x00")
    for escape, plain in _SHORT_ESCAPES:
        if escape in view:
            view = view.replace(escape, plain)
    if "\\u" in view:
        view = _UNICODE_ESCAPE.sub(_unicode, view)
    return view.replace("\x00", "\\")


class JsonFilter(BlockFilter):
    """JSON lines: strings (keys and values) redacted inside the parsed value; key order,
    duplicate keys and number spellings kept; a record that is not JSON is redacted as text."""

    def __init__(self, *args: Any, compact: bool | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.compact = compact

    def is_dirty(self, line: str) -> bool:
        return self.redactor.is_dirty(json_view(line)) or bool(keyed_lines(line))

    def marker(self, reason: str = MARKER) -> str:
        return json.dumps({"message": reason})

    def group(self, text: str, first: int) -> str:
        view = json_lines_view(text)
        spans, _ = self.redactor.find_spans(view)
        dirty = {view.count("\n", 0, span.start) for span in spans} | keyed_lines(text)
        if not dirty:
            return text
        lines = text.split("\n")
        for i in sorted(dirty):
            lines[i] = self.line(lines[i], first + i)
        return "\n".join(lines)

    def redact_record(self, line: str, record: int) -> str:
        try:
            value = json.loads(line, **RAW_HOOKS)
        except ValueError:
            new, findings = self.redactor.redact(line, "\n")
            self.count(findings, [record] * len(findings))
            return new
        found: list[Finding] = []
        new_value = walk(value, self.redactor, found)
        if not found:
            return line
        self.count(found, [record] * len(found))
        compact = self.compact if self.compact is not None else '": ' not in line
        return dump(new_value, compact, has_raw_bytes(line))


class RsyslogFilter(BlockFilter):
    """rsyslog ``mmexternal``: per message, ``{}`` when unchanged, else ``{"msg": "..."}``."""

    def __init__(self, *args: Any, fulljson: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fulljson = fulljson

    @classmethod
    def for_input(cls, *args: Any, rsyslog_input: RsyslogInput, **kwargs: Any) -> RsyslogFilter:
        return cls(*args, fulljson=rsyslog_input is RsyslogInput.FULLJSON, **kwargs)

    def process(self, block: bytes, first: int) -> bytes:
        out = super().process(block, first)
        return out if out.endswith(b"\n") else out + b"\n"

    def is_dirty(self, line: str) -> bool:
        return self.redactor.is_dirty(json_view(line) if self.fulljson else line)

    def clean_line(self, line: str) -> str:
        return "{}"

    def marker(self, reason: str = MARKER) -> str:
        return json.dumps({"msg": reason})

    def group(self, text: str, first: int) -> str:
        ends = text.endswith("\n")
        records = text.count("\n") + (0 if ends else 1)
        replies = ["{}"] * records
        if self.fulljson:
            view = json_lines_view(text)
            spans, _ = self.redactor.find_spans(view)
            lines = text.split("\n")
            for i in sorted({view.count("\n", 0, span.start) for span in spans}):
                replies[i] = self.line(lines[i], first + i)
        else:
            new, findings, where = self.redactor.redact_lines(text, "\n")
            self.count(findings, [first + i for i in where])
            lines = new.split("\n")
            for i in sorted(set(where)):
                replies[i] = json.dumps({"msg": lines[i]}, ensure_ascii=False)
        return "\n".join(replies) + ("\n" if ends else "")

    def redact_record(self, line: str, record: int) -> str:
        msg: Any = line
        if self.fulljson:
            data = json.loads(line)
            msg = data.get("msg") if isinstance(data, dict) else None
        if not isinstance(msg, str):
            return "{}"
        new, findings = self.redactor.redact(msg, "")
        if not findings:
            return "{}"
        self.count(findings, [record] * len(findings))
        return '{"msg": ' + json_string(new, has_raw_bytes(line)) + "}"
