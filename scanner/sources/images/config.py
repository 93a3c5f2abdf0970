"""An image's config and build history as text chunks (``Env``, ``Cmd``, ``Labels``, ...)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from scanner.models import Chunk, Origin
from scanner.sources.images.manifests import ImageSpec

CONFIG_FIELDS = (
    "Env",
    "Cmd",
    "Entrypoint",
    "Labels",
    "User",
    "WorkingDir",
    "Shell",
    "OnBuild",
    "Healthcheck",
    "StopSignal",
    "Volumes",
    "ExposedPorts",
)


def _field_lines(value: Any) -> list[str]:
    if value is None or value == "" or value == [] or value == {}:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v if isinstance(v, str) else json.dumps(v) for v in value]
    if isinstance(value, dict):
        return [f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in value.items()]
    return [json.dumps(value)]


def _image_origin(base: Origin, image: ImageSpec, member: str, **detail: str) -> Origin:
    extra: dict[str, str] = {"image": image.name}
    if image.platform:
        extra["platform"] = image.platform
    extra.update(detail)
    return Origin(
        base.path, (*base.members, image.label, member), base.detail + tuple(extra.items()), "image"
    )


def _text_chunk(text: str, origin: Origin) -> Chunk:
    return Chunk(text=text, origin=origin, path_for_rules=origin.members[-1])


def iter_config_chunks(image: ImageSpec, base: Origin) -> Iterator[Chunk]:
    """The config fields, the history entries and the annotations of one image."""
    config = image.config
    rest = {k: v for k, v in config.items() if k not in ("history", "rootfs")}
    for section in ("config", "container_config"):
        sub = config.get(section)
        if not isinstance(sub, dict):
            continue
        rest[section] = {k: v for k, v in sub.items() if k not in CONFIG_FIELDS}
        for name in CONFIG_FIELDS:
            lines = _field_lines(sub.get(name))
            if lines:
                where = name if section == "config" else f"{section}.{name}"
                origin = _image_origin(base, image, f"config.{where}", field=where)
                yield _text_chunk("\n".join(lines), origin)
    other = json.dumps(rest, indent=1, sort_keys=True, ensure_ascii=False)
    origin = _image_origin(base, image, "config", field="other")
    yield _text_chunk(other, origin)
    history = config.get("history")
    for i, entry in enumerate(history if isinstance(history, list) else []):
        if not isinstance(entry, dict):
            continue
        for key in ("created_by", "comment", "author"):
            value = entry.get(key)
            if isinstance(value, str) and value:
                member = f"history[{i}]" if key == "created_by" else f"history[{i}].{key}"
                origin = _image_origin(base, image, member, history_index=str(i), field=key)
                yield _text_chunk(value, origin)
    if image.annotations:
        lines = _field_lines(image.annotations)
        yield _text_chunk("\n".join(lines), _image_origin(base, image, "annotations"))


_TOKENISH = re.compile(r"[A-Za-z0-9_+/=.~-]{10,}")


def _looks_secret(word: str) -> bool:
    has_digit = any(c.isdigit() for c in word)
    has_alpha = any(c.isalpha() for c in word)
    mixed = any(c.isupper() for c in word) and any(c.islower() for c in word)
    return (has_digit and has_alpha) or (len(word) >= 16 and mixed)


def redact_command(text: str, limit: int = 160) -> str:
    """A ``created_by`` line fit for provenance: token-like runs (10+ characters mixing letters
    and digits, or 16+ mixing cases) cut to their first 4 characters, and the whole kept short.
    The secret itself is reported by the ``history[i]`` finding; provenance never carries it."""

    def cut(m: re.Match[str]) -> str:
        word = m.group(0)
        return word[:4] + "…" if _looks_secret(word) else word

    line = " ".join(text.split())
    line = _TOKENISH.sub(cut, line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def layer_history(config: dict[str, Any], count: int) -> list[tuple[str, str]]:
    """(history index, redacted ``created_by``) of the entry that made each layer (empty-layer
    entries skipped)."""
    history = config.get("history")
    made: list[tuple[str, str]] = []
    for i, entry in enumerate(history if isinstance(history, list) else []):
        if isinstance(entry, dict) and not entry.get("empty_layer"):
            made.append((str(i), redact_command(str(entry.get("created_by", "")))))
    return (made + [("", "")] * count)[:count]
