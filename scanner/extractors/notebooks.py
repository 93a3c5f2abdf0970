"""Jupyter notebooks (``.ipynb``, nbformat 4 and 3): cells, outputs, attachments, metadata.

The notebook is parsed with :mod:`json` (nothing from Jupyter is imported). Every JSON string
token is also located in the raw text, so each chunk carries a ``line_map`` from its lines to
lines of the ``.ipynb`` file: a finding reports the raw-file line, while ``Position.chunk_line``
is the line within the cell, and the origin detail names the cell (1-based index and type) and,
for outputs, the output index, type and MIME type. Binary MIME payloads (``image/png`` and the
like, base64 in the JSON) are not scanned. Invalid JSON is scanned as plain text, with JSON
escapes (``\\"``, ``\\n``) undone, after a warning.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from scanner.blob import Blob
from scanner.chunking import sniff_encoding
from scanner.extractors.base import Budget, Item
from scanner.extractors.fields import json_fields, rules_path
from scanner.models import Chunk, Origin, SourceProblem

_STRING_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
_ESCAPE = re.compile(r'\\(["\\/bfnrt]|u[0-9a-fA-F]{4})')
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r"}
_SIMPLE_ESCAPES["t"] = "\t"
_BINARY_MIME = ("image/", "video/", "audio/", "application/pdf", "application/octet-stream")
_V3_BINARY = frozenset({"png", "jpeg", "jpg", "gif", "pdf", "webp", "bmp"})
_V3_NOT_CONTENT = frozenset({"output_type", "prompt_number", "execution_count", "metadata"})


class JStr(str):
    """A JSON string value that knows the raw-file line of its token."""

    line: int


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as ordered pairs (duplicate keys kept, so tokens stay in step)."""


def _line_of(value: object, default: int) -> int:
    return getattr(value, "line", default)


def _token_lines(text: str) -> Iterator[int]:
    """The raw line (1-based) of every JSON string token, in document order."""
    line, last = 1, 0
    for m in _STRING_TOKEN.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        yield line


def _attach(node: Any, lines: Iterator[int]) -> Any:
    """The parsed value with dicts for objects and :class:`JStr` (with ``line``) for strings."""
    if isinstance(node, _Pairs):
        out: dict[str, Any] = {}
        for key, value in node:
            next(lines, 0)
            out[key] = _attach(value, lines)
        return out
    if isinstance(node, list):
        return [_attach(value, lines) for value in node]
    if isinstance(node, str):
        located = JStr(node)
        located.line = next(lines, 0)
        return located
    return node


def parse_notebook(text: str) -> Any:
    """The notebook as dicts/lists/:class:`JStr`; raises ValueError/RecursionError if invalid."""
    raw = json.loads(text, object_pairs_hook=_Pairs)
    return _attach(raw, _token_lines(text))


def text_chunk(
    value: Any, origin: Origin, *, strip_ansi: bool = False, joiner: str = ""
) -> Chunk | None:
    """A chunk for a multiline-string field (a list of lines or one string) with its line map."""
    pieces = value if isinstance(value, list) else [value]
    parts: list[str] = []
    starts: list[int] = []
    piece_lines: list[int] = []
    offset = 0
    line = 0
    for piece in pieces:
        if not isinstance(piece, str):
            continue
        line = _line_of(piece, line)
        text = _ANSI.sub("", piece) if strip_ansi else str(piece)
        if parts and joiner:
            text = joiner + text
        parts.append(text)
        starts.append(offset)
        piece_lines.append(line)
        offset += len(text)
    body = "".join(parts)
    if not body.strip():
        return None
    line_map = [piece_lines[0]]
    pos = body.find("\n")
    while pos != -1:
        index = bisect.bisect_right(starts, pos + 1) - 1
        line_map.append(piece_lines[max(index, 0)])
        pos = body.find("\n", pos + 1)
    return Chunk(
        text=body,
        origin=origin,
        first_line=line_map[0],
        line_map=tuple(line_map),
        path_for_rules=rules_path(origin),
    )


def tree_chunk(node: Any, origin: Origin, fallback_line: int = 1) -> Chunk | None:
    """A chunk with one ``path: value`` line per string leaf of a JSON tree (metadata, JSON)."""
    lines: list[str] = []
    line_map: list[int] = []
    last = fallback_line
    for item in json_fields(node):
        last = _line_of(item.value, last)
        rendered = f"{item.key}: {item.value}"
        lines.append(rendered)
        line_map.extend([last] * (rendered.count("\n") + 1))
    if not lines:
        return None
    return _plain_chunk(lines, line_map, origin)


def _is_binary_mime(mime: str) -> bool:
    return mime.startswith(_BINARY_MIME) and mime != "image/svg+xml"


def _cells(doc: Mapping[str, Any]) -> list[Any]:
    cells: list[Any] = []
    if isinstance(doc.get("cells"), list):
        cells.extend(doc["cells"])
    worksheets = doc.get("worksheets")
    if isinstance(worksheets, list):
        for sheet in worksheets:
            if isinstance(sheet, Mapping) and isinstance(sheet.get("cells"), list):
                cells.extend(sheet["cells"])
    return cells


def _metadata_chunks(node: Mapping[str, Any], where: Origin) -> Iterator[Chunk]:
    """The ``metadata`` mapping of a notebook, cell or output, as one tree chunk."""
    meta = node.get("metadata")
    if isinstance(meta, Mapping):
        chunk = tree_chunk(meta, where.with_detail(part="metadata"))
        if chunk:
            yield chunk


def iter_notebook_chunks(doc: Mapping[str, Any], origin: Origin) -> Iterator[Chunk]:
    """Chunks for every scanned part of a parsed notebook."""
    yield from _metadata_chunks(doc, origin)
    for index, cell in enumerate(_cells(doc), 1):
        if isinstance(cell, Mapping):
            yield from _cell_chunks(cell, index, origin)


def _cell_chunks(cell: Mapping[str, Any], index: int, origin: Origin) -> Iterator[Chunk]:
    cell_type = str(cell.get("cell_type", "unknown"))
    where = origin.with_detail(cell=str(index), cell_type=cell_type)
    for key in ("source", "input"):
        if key in cell:
            chunk = text_chunk(cell[key], where)
            if chunk:
                yield chunk
    yield from _metadata_chunks(cell, where)
    attachments = cell.get("attachments")
    if isinstance(attachments, Mapping):
        for name, bundle in attachments.items():
            if isinstance(bundle, Mapping):
                yield from _bundle_chunks(bundle, where.with_detail(attachment=str(name)))
    outputs = cell.get("outputs")
    if isinstance(outputs, list):
        for out_index, output in enumerate(outputs, 1):
            if isinstance(output, Mapping):
                yield from _output_chunks(output, out_index, where)


def _bundle_chunks(bundle: Mapping[str, Any], where: Origin) -> Iterator[Chunk]:
    """A MIME bundle (``data`` of an output, an attachment): text types only."""
    for mime, value in bundle.items():
        if _is_binary_mime(str(mime)):
            continue
        here = where.with_detail(mime=str(mime))
        if isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            chunk = text_chunk(value, here, strip_ansi=True)
        else:
            chunk = tree_chunk(value, here)
        if chunk:
            yield chunk


def _output_chunks(output: Mapping[str, Any], out_index: int, cell: Origin) -> Iterator[Chunk]:
    out_type = str(output.get("output_type", "unknown"))
    where = cell.with_detail(output=str(out_index), output_type=out_type)
    if out_type in ("error", "pyerr"):
        head = [output.get(k) for k in ("ename", "evalue") if isinstance(output.get(k), str)]
        if head:
            chunk = text_chunk(head, where, strip_ansi=True, joiner=": ")
            if chunk:
                yield chunk
        trace = output.get("traceback")
        if isinstance(trace, list):
            chunk = text_chunk(
                trace, where.with_detail(part="traceback"), strip_ansi=True, joiner="\n"
            )
            if chunk:
                yield chunk
    elif "text" in output and out_type == "stream":
        chunk = text_chunk(output["text"], where, strip_ansi=True)
        if chunk:
            yield chunk
    data = output.get("data")
    if isinstance(data, Mapping):
        yield from _bundle_chunks(data, where)
    elif out_type not in ("error", "pyerr", "stream"):
        v3 = {k: v for k, v in output.items() if k not in _V3_NOT_CONTENT and k not in _V3_BINARY}
        yield from _bundle_chunks(v3, where)
    yield from _metadata_chunks(output, where)


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code[0] == "u":
        return chr(int(code[1:], 16))
    return _SIMPLE_ESCAPES[code]


PLAIN_WINDOW = 1 << 20
PLAIN_OVERLAP_LINES = 16


def plain_text_chunks(text: str, origin: Origin) -> Iterator[Chunk]:
    """The raw notebook text with JSON escapes undone, in windows of about ``PLAIN_WINDOW``
    characters (consecutive windows share a few lines); each line maps to its raw line."""
    lines: list[str] = []
    line_map: list[int] = []
    size = 0
    for number, raw in enumerate(text.split("\n"), 1):
        plain = _ESCAPE.sub(_unescape, raw)
        pieces = plain.split("\n")
        lines.extend(pieces)
        line_map.extend([number] * len(pieces))
        size += len(plain) + 1
        if size >= PLAIN_WINDOW:
            yield _plain_chunk(lines, line_map, origin)
            keep = _overlap(lines)
            lines, line_map = lines[len(lines) - keep :], line_map[len(line_map) - keep :]
            size = sum(len(line) + 1 for line in lines)
    if lines:
        yield _plain_chunk(lines, line_map, origin)


def _overlap(lines: list[str]) -> int:
    """How many trailing lines to repeat in the next window (small ones only)."""
    keep = size = 0
    for line in reversed(lines[-PLAIN_OVERLAP_LINES:]):
        size += len(line) + 1
        if size > PLAIN_WINDOW // 8:
            break
        keep += 1
    return keep


def _plain_chunk(lines: list[str], line_map: list[int], origin: Origin) -> Chunk:
    return Chunk(
        text="\n".join(lines),
        origin=origin,
        first_line=line_map[0],
        line_map=tuple(line_map),
        path_for_rules=rules_path(origin),
    )


def _encoding(head: bytes) -> str:
    """UTF-8 (a byte order mark dropped), or UTF-16 or UTF-32 when the first bytes say so:
    JSON may be any of them, and UTF-16 read as UTF-8 hid every string of the notebook."""
    encoding = sniff_encoding(head)
    return encoding if encoding in ("utf-32", "utf-16", "utf-16-le", "utf-16-be") else "utf-8-sig"


class NotebookExtractor:
    name = "notebook"

    def accepts(self, blob: Blob, head: bytes) -> bool:
        return blob.lower_name.endswith(".ipynb")

    def extract(self, blob: Blob, budget: Budget) -> Iterator[Item]:
        where = blob.origin.display
        limit = budget.limits.max_file_size
        if blob.size > limit:
            yield SourceProblem(where, "notebook larger than the size limit; skipped")
            return
        text = blob.read_all(limit).decode(_encoding(blob.head(4096)), errors="replace")
        try:
            doc = parse_notebook(text)
        except (ValueError, RecursionError) as exc:
            reason = type(exc).__name__
            yield SourceProblem(where, f"invalid notebook JSON ({reason}); scanned as plain text")
            yield from plain_text_chunks(text, blob.origin)
            return
        if not isinstance(doc, Mapping):
            yield SourceProblem(
                where, "not a notebook (top level is not an object); scanned as text"
            )
            yield from plain_text_chunks(text, blob.origin)
            return
        yield from iter_notebook_chunks(doc, blob.origin)
