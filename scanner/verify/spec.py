"""``[rules.verify]`` → ``VerifierSpec``: one HTTPS request that tells a live secret from a dead
one, validated at load time (errors name the file, the rule id and the key).

The schema is fixed (docs/verification.md): ``url`` (https, a literal host: the pinned host),
``method`` (GET, HEAD or POST), optional ``headers``, ``query``, ``form`` and ``basic`` carrying
the placeholders ``{secret}`` and ``{part:NAME}``, the ``live`` and optional ``invalid``
conditions (``status`` list, ``json`` dotted-path equalities), ``permission`` and ``docs``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scanner.errors import RuleError

JsonScalar = str | int | float | bool
JsonWant = JsonScalar | tuple[JsonScalar, ...]  # one value, or any of several (a TOML list)

METHODS = ("GET", "HEAD", "POST")
PLACEHOLDER = r"\{(secret|part:[A-Za-z_][A-Za-z0-9_]*)\}"  # compiled on use (re caches it)
_KEYS = frozenset(
    {"url", "method", "headers", "query", "form", "basic", "live", "invalid", "permission", "docs"}
)
_CONDITION_KEYS = frozenset({"status", "json"})
_HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"
_FORBIDDEN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_HOST = r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
MAX_JSON_DEPTH = 8


@dataclass(frozen=True, slots=True)
class Condition:
    """All given conditions must hold: the status is one of ``status`` (when given) and every
    dotted path of ``json`` holds the given value (or one of the given values, for a list) in
    the JSON body."""

    status: tuple[int, ...] = ()
    json: tuple[tuple[str, JsonWant], ...] = ()

    def record(self) -> dict[str, Any]:
        return {
            "status": list(self.status),
            "json": [[k, list(v) if isinstance(v, tuple) else v] for k, v in self.json],
        }

    @classmethod
    def from_record(cls, record: Any) -> Condition:
        if not isinstance(record, dict):
            raise TypeError("not a condition record")
        status = tuple(record["status"])
        pairs = tuple((str(k), tuple(v) if isinstance(v, list) else v) for k, v in record["json"])
        if not all(isinstance(s, int) and not isinstance(s, bool) for s in status):
            raise TypeError("bad status list")
        if not all(_is_want(v) for _, v in pairs):
            raise TypeError("bad json condition")
        return cls(status, pairs)


@dataclass(frozen=True, slots=True)
class VerifierSpec:
    """A validated ``[rules.verify]`` table. ``host`` is the pinned host: the secret goes to it
    and nowhere else."""

    url: str
    method: str
    live: Condition
    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    form: tuple[tuple[str, str], ...] = ()
    basic: tuple[str, str] | None = None
    invalid: Condition | None = None
    permission: str = ""
    docs: str = ""

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    def templates(self) -> Iterator[str]:
        """Every string that may carry a placeholder."""
        yield self.url
        for pairs in (self.headers, self.query, self.form):
            for _, value in pairs:
                yield value
        if self.basic is not None:
            yield from self.basic

    def parts(self) -> frozenset[str]:
        """The named groups the request needs (``{part:NAME}``)."""
        found: set[str] = set()
        for text in self.templates():
            for m in re.finditer(PLACEHOLDER, text):
                if m.group(1).startswith("part:"):
                    found.add(m.group(1)[5:])
        return frozenset(found)

    def record(self) -> dict[str, Any]:
        """Plain JSON data (the rule-spec cache never holds pickles)."""
        return {
            "url": self.url,
            "method": self.method,
            "live": self.live.record(),
            "headers": [list(p) for p in self.headers],
            "query": [list(p) for p in self.query],
            "form": [list(p) for p in self.form],
            "basic": list(self.basic) if self.basic is not None else None,
            "invalid": self.invalid.record() if self.invalid is not None else None,
            "permission": self.permission,
            "docs": self.docs,
        }

    @classmethod
    def from_record(cls, record: Any) -> VerifierSpec:
        """The inverse of ``record``; ``TypeError``/``KeyError``/``ValueError`` otherwise."""
        if not isinstance(record, dict):
            raise TypeError("not a verifier record")
        basic = record["basic"]
        invalid = record["invalid"]
        spec = cls(
            url=_str(record["url"]),
            method=_str(record["method"]),
            live=Condition.from_record(record["live"]),
            headers=_pairs(record["headers"]),
            query=_pairs(record["query"]),
            form=_pairs(record["form"]),
            basic=(_str(basic[0]), _str(basic[1])) if basic is not None else None,
            invalid=Condition.from_record(invalid) if invalid is not None else None,
            permission=_str(record["permission"]),
            docs=_str(record["docs"]),
        )
        if spec.method not in METHODS or not spec.url.startswith("https://"):
            raise ValueError("not a verifier record")
        return spec


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list | tuple):
        raise TypeError("expected a list of pairs")
    return tuple((_str(k), _str(v)) for k, v in value)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _is_want(value: Any) -> bool:
    if isinstance(value, tuple):
        return bool(value) and all(_is_scalar(v) for v in value)
    return _is_scalar(value)


# --- parsing ----------------------------------------------------------------------------------


class _Fail:
    def __init__(self, source: str, rid: str) -> None:
        self.source, self.rid = source, rid

    def __call__(self, key: str, message: str) -> RuleError:
        return RuleError(self.source, self.rid, f"verify.{key}" if key else "verify", message)


def parse_verify(value: Any, source: str, rid: str, pattern: str) -> VerifierSpec:
    """Validate a rule's ``verify`` table; ``pattern`` (macros expanded) names the groups that
    ``{part:NAME}`` may use."""
    fail = _Fail(source, rid)
    if not isinstance(value, dict):
        raise fail("", "must be a table ([rules.verify])")
    unknown = set(value) - _KEYS
    if unknown:
        raise fail(sorted(unknown)[0], "unknown key")
    url = _url(value.get("url"), fail)
    method = value.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise fail("method", f"must be one of {', '.join(METHODS)}")
    method = method.upper()
    spec = VerifierSpec(
        url=url,
        method=method,
        live=_live(value.get("live"), fail),
        headers=_headers(value.get("headers"), fail),
        query=_string_table(value.get("query"), "query", fail),
        form=_string_table(value.get("form"), "form", fail),
        basic=_basic(value.get("basic"), fail),
        invalid=_condition(value.get("invalid"), "invalid", fail),
        permission=_text(value.get("permission"), "permission", fail),
        docs=_text(value.get("docs"), "docs", fail),
    )
    if not spec.docs.startswith("https://"):
        raise fail("docs", "must be an https:// link to the provider's API reference")
    if spec.form and method != "POST":
        raise fail("form", "a form body needs method = 'POST'")
    if method == "HEAD" and any(c is not None and c.json for c in (spec.live, spec.invalid)):
        raise fail("method", "a HEAD response has no body for `json` conditions")
    _check_placeholders(spec, pattern, fail)
    return spec


def _url(value: Any, fail: _Fail) -> str:
    if not isinstance(value, str) or not value:
        raise fail("url", "missing or not a string")
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise fail("url", f"not a URL ({exc})") from None
    if parts.scheme != "https":
        raise fail("url", "must be an https:// URL")
    if "{" in parts.netloc or "}" in parts.netloc:
        raise fail("url", "the host must be a literal (placeholders only in the path or query)")
    try:
        port = parts.port
    except ValueError as exc:
        raise fail("url", f"not a URL ({exc})") from None
    if "@" in parts.netloc or port is not None:
        raise fail("url", "no user info or port: the host alone names where the secret goes")
    host = parts.hostname or ""
    if not re.match(_HOST, host) or host != parts.netloc:
        raise fail("url", f"host {host!r} is not a lowercase DNS name of a provider")
    if parts.fragment:
        raise fail("url", "no #fragment")
    if any(c in value for c in " \r\n\t\\"):
        raise fail("url", "no whitespace or backslashes")
    return value


def _text(value: Any, key: str, fail: _Fail) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fail(key, "missing or not a non-empty string")
    return value


def _string_table(value: Any, key: str, fail: _Fail) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise fail(key, "must be a table of strings")
    out: list[tuple[str, str]] = []
    for name, item in value.items():
        if not isinstance(item, str) or not name:
            raise fail(f"{key}.{name}", "must be a string")
        if any(c in item or c in name for c in "\r\n\0"):
            raise fail(f"{key}.{name}", "no line breaks or NUL")
        out.append((name, item))
    return tuple(out)


def _headers(value: Any, fail: _Fail) -> tuple[tuple[str, str], ...]:
    pairs = _string_table(value, "headers", fail)
    for name, _ in pairs:
        if not re.match(_HEADER_NAME, name):
            raise fail(f"headers.{name}", "not a valid header name")
        if name.lower() in _FORBIDDEN_HEADERS:
            raise fail(f"headers.{name}", "this header is set by keyguard, not by a rule")
    return pairs


def _basic(value: Any, fail: _Fail) -> tuple[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, str) for v in value):
        raise fail("basic", "must be [user, password] (two strings)")
    return (value[0], value[1])


def _live(value: Any, fail: _Fail) -> Condition:
    if value is None:
        raise fail("live", "missing: a table with `status` and/or `json`")
    condition = _condition(value, "live", fail)
    assert condition is not None
    return condition


def _condition(value: Any, key: str, fail: _Fail) -> Condition | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise fail(key, "must be a table with `status` and/or `json`")
    unknown = set(value) - _CONDITION_KEYS
    if unknown:
        raise fail(f"{key}.{sorted(unknown)[0]}", "unknown key (status, json)")
    status = value.get("status", [])
    if not isinstance(status, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in status
    ):
        raise fail(f"{key}.status", "must be a list of HTTP status codes (100-599)")
    json_table = value.get("json", {})
    if not isinstance(json_table, dict):
        raise fail(f"{key}.json", "must be a table of dotted paths to values")
    pairs = tuple(_flatten(json_table, "", key, fail, 0))
    if not status and not pairs:
        raise fail(key, "needs at least one condition (`status` or `json`)")
    return Condition(tuple(status), pairs)


def _flatten(
    table: Mapping[str, Any], prefix: str, key: str, fail: _Fail, depth: int
) -> Iterator[tuple[str, JsonWant]]:
    """``json = { data.ok = true }`` is a nested TOML table; paths are dotted either way."""
    if depth > MAX_JSON_DEPTH:
        raise fail(f"{key}.json", "nested too deeply")
    for name, value in table.items():
        path = f"{prefix}.{name}" if prefix else name
        if not name or any(not p for p in path.split(".")):
            raise fail(f"{key}.json", f"empty path segment in {path!r}")
        if isinstance(value, dict):
            if not value:
                raise fail(f"{key}.json.{path}", "an empty table is not a condition")
            yield from _flatten(value, path, key, fail, depth + 1)
        elif _is_scalar(value):
            yield path, value
        elif isinstance(value, list) and value and all(_is_scalar(v) for v in value):
            yield path, tuple(value)  # any of these values
        else:
            raise fail(
                f"{key}.json.{path}",
                "must be a string, number or boolean, or a non-empty list of them (any of)",
            )


def _check_placeholders(spec: VerifierSpec, pattern: str, fail: _Fail) -> None:
    uses_secret = False
    for text in spec.templates():
        rest = re.sub(PLACEHOLDER, "", text)
        if "{" in rest or "}" in rest:
            raise fail("", f"unknown placeholder in {text!r}: only {{secret}} and {{part:NAME}}")
        uses_secret = uses_secret or "{secret}" in text
    if not uses_secret:
        raise fail("", "the request never sends {secret}")
    for name in sorted(spec.parts()):
        if f"(?P<{name}>" not in pattern:
            raise fail("", f"{{part:{name}}} names no group (?P<{name}>...) of the pattern")
