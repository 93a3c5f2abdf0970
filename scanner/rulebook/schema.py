"""TOML → ``RuleSpec``: parse and validate rule files; errors name the file, rule id and field."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner.errors import RuleError
from scanner.models import Confidence, Severity
from scanner.rulebook.macros import expand as expand_macros
from scanner.rulebook.macros import unknown_macros
from scanner.safeio import RULE_FILE_LIMIT, UnsafeFileError, read_user_file

if TYPE_CHECKING:  # loaded only for rules that carry a [rules.verify] table
    from scanner.verify.spec import VerifierSpec

ID_RE = re.compile(r"^[a-z0-9]+(\.[a-z0-9][a-z0-9-]*)+$")
_RULE_KEYS = frozenset(
    {
        "id",
        "name",
        "description",
        "severity",
        "confidence",
        "tags",
        "keywords",
        "pattern",
        "prefilter",
        "secret_group",
        "min_entropy",
        "checksum",
        "window",
        "requirements",
        "allow",
        "remediation",
        "references",
        "examples",
        "negative_examples",
        "rotation",
        "anchor",
        "verify",
        "paths",
    }
)
_REQUIREMENT_KEYS = frozenset(
    {"min_digits", "min_upper", "min_lower", "min_special", "min_length", "max_length"}
)
_ALLOW_KEYS = frozenset({"stopwords", "patterns", "paths"})
DEFAULT_WINDOW = 512
LOCATED_TAG = "located"


@dataclass(frozen=True)
class Example:
    text: str
    secret: str | None = None
    path: str | None = None  # where the text is a file's content (rules with ``paths``)


@dataclass(frozen=True)
class Requirements:
    min_digits: int = 0
    min_upper: int = 0
    min_lower: int = 0
    min_special: int = 0
    min_length: int = 0
    max_length: int = 0


@dataclass(frozen=True)
class Allow:
    stopwords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Remediation:
    url: str = ""
    steps: str = ""


@dataclass(frozen=True)
class RuleSpec:
    """A rule as written, validated but not compiled."""

    id: str
    name: str
    description: str
    severity: Severity
    confidence: Confidence
    keywords: tuple[str, ...]
    pattern: str
    secret_group: int | None
    min_entropy: float
    checksum: str | None
    window: int
    requirements: Requirements
    allow: Allow
    remediation: Remediation
    references: tuple[str, ...]
    tags: tuple[str, ...]
    examples: tuple[Example, ...]
    negative_examples: tuple[str, ...]
    source: str
    anchor_keyword: bool = False
    groups: int = -1  # capturing groups in ``pattern``; counted at parse time
    verify: VerifierSpec | None = None  # ``[rules.verify]``: used only with ``--verify``
    # what Hyperscan runs for this rule instead of ``pattern``: a looser regex found inside
    # every match of ``pattern`` (``rules check`` holds the examples to it)
    prefilter: str | None = None
    # regexes on the path: the rule runs only on files whose path matches one (a file format
    # known by its name: pgbouncer's userlist.txt, a Zabbix .psk file)
    paths: tuple[str, ...] = ()

    @property
    def is_generic(self) -> bool:
        return "generic" in self.tags or self.confidence < Confidence.HIGH

    @property
    def located(self) -> bool:
        """Hyperscan locates this rule's possible matches before its regex runs (a
        start-of-match pass over the chunks whose prefilter names it): a keyword-anchored
        rule, or one tagged ``located`` (a rule whose regex is slow to search over a text
        full of its keywords: ``\\b[\\w-]{0,40}?token``)."""
        return self.anchor_keyword or LOCATED_TAG in self.tags

    @property
    def shown_from_match(self) -> bool:
        """A finding of this rule is shown where the whole match starts, not where the
        secret does: a ``private-key`` rule's secret is the key body, its place the
        ``-----BEGIN`` line."""
        return "private-key" in self.tags


def load_rule_file(path: Path) -> list[RuleSpec]:
    """Parse one rule file. Raises ``RuleError`` naming the file, rule and field."""
    import tomllib  # only when there is a file to read (not on every start)

    name = str(path)
    try:
        data = tomllib.loads(read_user_file(path, RULE_FILE_LIMIT).decode("utf-8"))
    except UnsafeFileError as exc:
        raise RuleError(name, None, None, f"cannot read: {exc.reason}") from None
    except OSError as exc:
        raise RuleError(name, None, None, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RuleError(name, None, None, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(name, None, None, f"invalid TOML: {exc}") from None
    except RecursionError:
        raise RuleError(name, None, None, "invalid TOML: nested too deeply") from None
    except (ValueError, OverflowError, MemoryError) as exc:
        raise RuleError(name, None, None, f"invalid TOML: {_one_line(exc)}") from None
    try:
        return parse_rules(data, name)
    except RuleError:
        raise
    except (RecursionError, ValueError, OverflowError, TypeError, MemoryError) as exc:
        # a value no validator anticipated (a 5,000-digit number, a pattern the regex engine
        # rejects in an unexpected way): still the rule file's fault, not keyguard's
        raise RuleError(name, None, None, f"invalid value: {_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def parse_rules(data: Mapping[str, Any], source: str) -> list[RuleSpec]:
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        raise RuleError(source, None, "rules", "expected one or more [[rules]] tables")
    unknown_top = set(data) - {"rules"}
    if unknown_top:
        raise RuleError(source, None, sorted(unknown_top)[0], "unknown top-level key")
    return [parse_rule(entry, source, index) for index, entry in enumerate(rules)]


def parse_rule(entry: Any, source: str, index: int) -> RuleSpec:
    if not isinstance(entry, dict):
        raise RuleError(source, f"#{index + 1}", None, "a rule must be a table")
    rid = entry.get("id")
    if not isinstance(rid, str) or not ID_RE.match(rid):
        raise RuleError(
            source, f"#{index + 1}", "id", "missing or invalid id (e.g. `provider.token-kind`)"
        )
    r = _Reader(entry, source, rid)
    unknown = set(entry) - _RULE_KEYS
    if unknown:
        raise RuleError(source, rid, sorted(unknown)[0], "unknown key")
    paths = _parse_paths(r.str_list("paths"), source, rid)
    keywords = tuple(k.lower() for k in r.str_list("keywords", required=not paths))
    if any(len(k) < 2 for k in keywords):
        raise RuleError(source, rid, "keywords", "keywords must be at least 2 characters")
    if not keywords and not paths:
        raise RuleError(source, rid, "keywords", "needs at least one keyword (or `paths`)")
    examples = tuple(_parse_example(e, source, rid) for e in r.seq("examples", required=True))
    negatives = tuple(r.str_list("negative_examples", required=True))
    secret_group = entry.get("secret_group")
    if secret_group is not None and (not isinstance(secret_group, int) or secret_group < 0):
        raise RuleError(source, rid, "secret_group", "must be a non-negative integer")
    pattern = r.string("pattern", required=True)
    bad = unknown_macros(pattern)
    if bad:
        raise RuleError(source, rid, "pattern", f"unknown macro {{{{{bad[0]}}}}}")
    pattern = expand_macros(pattern)
    anchored = _parse_anchor(entry.get("anchor"), source, rid)
    window = entry.get("window", DEFAULT_WINDOW)
    if not isinstance(window, int) or not 16 <= window <= 1_000_000:
        raise RuleError(source, rid, "window", "must be an integer from 16 to 1000000")
    return RuleSpec(
        id=rid,
        name=r.string("name", required=True),
        description=r.string("description", required=True),
        severity=r.enum("severity", Severity.parse, Severity.HIGH),
        confidence=r.enum("confidence", Confidence.parse, Confidence.HIGH),
        keywords=keywords,
        pattern=pattern,
        secret_group=secret_group,
        min_entropy=r.number("min_entropy", 0.0),
        checksum=entry.get("checksum") if isinstance(entry.get("checksum"), str) else None,
        window=window,
        requirements=_parse_requirements(r.table("requirements"), source, rid),
        allow=_parse_allow(r.table("allow"), source, rid),
        remediation=Remediation(
            url=str(r.table("remediation").get("url", "")),
            steps=str(r.table("remediation").get("steps", "")),
        ),
        references=tuple(r.str_list("references")),
        tags=tuple(r.str_list("tags")),
        examples=examples,
        negative_examples=negatives,
        source=source,
        anchor_keyword=anchored,
        groups=count_groups(pattern),
        verify=_parse_verify(entry, source, rid, pattern),
        prefilter=_parse_prefilter(entry.get("prefilter"), source, rid, anchored),
        paths=paths,
    )


def _parse_paths(values: list[str], source: str, rid: str) -> tuple[str, ...]:
    import regex

    for value in values:
        try:
            regex.compile(value)
        except regex.error as exc:
            raise RuleError(source, rid, "paths", f"{value!r} does not compile: {exc}") from None
    return tuple(values)


def _parse_verify(
    entry: Mapping[str, Any], source: str, rid: str, pattern: str
) -> VerifierSpec | None:
    if "verify" not in entry:
        return None
    from scanner.verify.spec import parse_verify

    return parse_verify(entry["verify"], source, rid, pattern)


def _parse_prefilter(value: Any, source: str, rid: str, anchored: bool) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise RuleError(source, rid, "prefilter", "must be a non-empty regex string")
    if anchored:  # the locator needs the pattern itself: it finds where matches start
        raise RuleError(source, rid, "prefilter", 'cannot be combined with anchor = "keyword"')
    return value


def _parse_anchor(value: Any, source: str, rid: str) -> bool:
    if value is None:
        return False
    if value != "keyword":
        raise RuleError(source, rid, "anchor", 'the only anchor is "keyword"')
    return True


def _parse_example(value: Any, source: str, rid: str) -> Example:
    if isinstance(value, str):
        return Example(value)
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        secret, path = value.get("secret"), value.get("path")
        if secret is not None and not isinstance(secret, str):
            raise RuleError(source, rid, "examples", "`secret` must be a string")
        if path is not None and not isinstance(path, str):
            raise RuleError(source, rid, "examples", "`path` must be a string")
        return Example(value["text"], secret, path)
    raise RuleError(source, rid, "examples", "each example is a string or {text, secret, path}")


def _parse_requirements(table: Mapping[str, Any], source: str, rid: str) -> Requirements:
    unknown = set(table) - _REQUIREMENT_KEYS
    if unknown:
        raise RuleError(source, rid, f"requirements.{sorted(unknown)[0]}", "unknown key")
    for key, value in table.items():
        if not isinstance(value, int) or value < 0:
            raise RuleError(source, rid, f"requirements.{key}", "must be a non-negative integer")
    return Requirements(**table)


def _parse_allow(table: Mapping[str, Any], source: str, rid: str) -> Allow:
    unknown = set(table) - _ALLOW_KEYS
    if unknown:
        raise RuleError(source, rid, f"allow.{sorted(unknown)[0]}", "unknown key")
    out: dict[str, tuple[str, ...]] = {}
    for key in _ALLOW_KEYS:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RuleError(source, rid, f"allow.{key}", "must be a list of strings")
        out[key] = tuple(v.lower() for v in value) if key == "stopwords" else tuple(value)
    return Allow(**out)


class _Reader:
    def __init__(self, entry: Mapping[str, Any], source: str, rid: str) -> None:
        self.entry, self.source, self.rid = entry, source, rid

    def fail(self, key: str, message: str) -> RuleError:
        return RuleError(self.source, self.rid, key, message)

    def string(self, key: str, required: bool = False) -> str:
        value = self.entry.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "missing or not a non-empty string")
        return value

    def seq(self, key: str, required: bool = False) -> Sequence[Any]:
        value = self.entry.get(key)
        if value is None and not required:
            return []
        if not isinstance(value, list) or (required and not value):
            raise self.fail(key, "missing or not a non-empty list")
        return value

    def str_list(self, key: str, required: bool = False) -> list[str]:
        values = self.seq(key, required)
        if not all(isinstance(v, str) and v for v in values):
            raise self.fail(key, "must be a list of non-empty strings")
        return list(values)

    def number(self, key: str, default: float) -> float:
        value = self.entry.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.fail(key, "must be a non-negative number")
        return float(value)

    def table(self, key: str) -> Mapping[str, Any]:
        value = self.entry.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        return value

    def enum(self, key: str, parse: Any, default: Any) -> Any:
        value = self.entry.get(key)
        if value is None:
            return default
        try:
            return parse(str(value))
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None


def count_groups(pattern: str) -> int:
    """Capturing groups in ``pattern`` without compiling it: ``(`` and ``(?P<``, outside
    character classes and escapes."""
    count = 0
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif c == "(" and (pattern[i + 1 : i + 2] != "?" or pattern[i + 1 : i + 4] == "?P<"):
            count += 1
        i += 1
    return count
