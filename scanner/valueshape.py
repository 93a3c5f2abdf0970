"""Whether an assigned value is a credential: the verdict of the generic rules on a value.

The generic rules (``generic.password``, ``generic.api-key``, ...) find *assignments*; whether
the value is a credential is decided here, from the value's shape (a password hash, an
identifier, a path, a template, a type name, a UUID, ...: ``valuekinds``, ``valueforms``) and
from the kind of name it is assigned to (``nameshape``): ``reject_reason`` says why a value is
not one, ``value_verdict`` measures the ones that may be (``valuemeasure``).

Pure (``tests/test_value_shape.py``, ``tests/test_real_code_shapes.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from scanner.describingwords import DESCRIBED_WORDS, DESCRIBING_WORDS
from scanner.nameshape import Kind
from scanner.valueforms import form_reason
from scanner.valuekinds import (
    is_bare_identifier,
    is_code_reference,
    is_data_literal,
    is_hash,
    is_identifier_like,
    is_lookup,
    is_nullish,
    is_path_or_url,
    is_placeholder_value,
    is_template,
    is_uuid,
    url_reason,
)
from scanner.valuemeasure import (
    camel_words,
    char_classes,
    counting_share,
    shannon_entropy,
    word_coverage,
)
from scanner.valuewords import DOCUMENTATION_VALUES, EMPTY_DIGESTS

_HTMLISH = re.compile(r"^(?:&[a-z]+;|&#\d+;|[a-z-]+:[a-z-]+;?|\d+(?:px|em|rem|vh|vw|%))$")


@dataclass(frozen=True, slots=True)
class ValueVerdict:
    """Why a value is not a credential (``reason``), or the features of one that may be."""

    reason: str = ""
    length: int = 0
    entropy: float = 0.0
    classes: int = 0
    words: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.reason


_SCOPED = re.compile(r"^@[\w.-]+[/:]|^\.[A-Za-z_][\w.]*$")


_FINGERPRINT = re.compile(r"^(?:[0-9a-fA-F]{2}[:-]){5,}[0-9a-fA-F]{2}$")


_NAMESPACED = re.compile(r"^[a-z][a-z0-9-]*:[A-Za-z][A-Za-z0-9_-]*(?:[:/][A-Za-z0-9_.*-]+)*$")


_SYMBOL = re.compile(r"[^A-Za-z0-9_.:-]")


_CAMEL_WORDS = re.compile(r"^(?:[A-Z][a-z]+){2,}$|^[a-z]+(?:[A-Z][a-z]+)+$")


# words with digits inside them, joined by a dot (``Mapl3.r0cket5``): a password, where a
# dotted name's parts are words (``settings.password2``, ``v1.Secret``)
# or a word, a dot and a capitalised word ending in two or more digits (``freya.Horse56``)
_DOTTED_PASSWORD = re.compile(
    r"[A-Za-z]*[0-9]+[A-Za-z]+[0-9]*(?:\.[A-Za-z0-9]+){1,2}|[A-Za-z0-9]+\.[A-Za-z]*[0-9]+[A-Za-z]+[0-9]*"
    r"|[A-Za-z]{2,}\.[A-Z][a-z]{2,}[0-9]{2,}|[A-Z][a-z]{2,}(?:\.[A-Z][a-z]{2,}){2}[0-9]{1,4}"
    r"|[A-Z][a-z]{2,}\.[A-Z][a-z]{2,}\.[0-9]{1,4}"
)
# a name of hyphenated words ending in a digest: a CI cache key, an artifact or image tag
# (``node-cache-Linux-x64-npm-<sha256>``), not a credential
_HASH_SUFFIXED = re.compile(r"(?:[A-Za-z][A-Za-z0-9.]*-){3,}[0-9a-f]{40,128}")
# a SAS macro variable (``password="&dbpass"``): resolved when the program runs
_SAS_MACRO = re.compile(r"&[A-Za-z_][A-Za-z0-9_]{0,31}\.?")
# a lower-case name of three or more dotted parts, two of them words (a monitoring item key
# ``vendor.5300.fan.discovery``, a metric ``net.if.in.errors``): an identifier
_DOTTED_LOWER = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+){2,}$")
_WORD_PART = re.compile(r"^[a-z]{3,}$")
_GRAPHQL_TYPE = re.compile(r"\[?(?:String|ID|Int|Float|Boolean)!?\]?!?")
_CALLISH = re.compile(r"[A-Za-z_]\w*\(")


_LIST_SEPARATOR = re.compile(r", ?")


def _is_name_list(value: str, kind: Kind) -> bool:
    """Two or more CamelCase names joined by commas (``AutoGenerate,IsolateApps``): each item
    would be turned down as a name on its own."""
    items = _LIST_SEPARATOR.split(value)
    least = 3 if kind is Kind.PASSWORD else 2
    return len(items) >= 2 and all(
        _CAMEL_WORDS.match(item) or camel_words(item) >= least for item in items
    )


COUNTED_SHARE = 0.6
"""A key or token whose letters and digits stand this much in counting runs (``abcd``,
``1234``, ``9876``, ``0000``) is a stand-in. Passwords are left alone: people lengthen a chosen
password with a run (``Admin12345``), and ``is_composed_password`` judges those."""


def _is_counted(value: str) -> bool:
    return sum(c.isalnum() for c in value) >= 10 and counting_share(value) >= COUNTED_SHARE


def _is_encoded_stand_in(decoded: str) -> bool:
    return is_template(decoded) or is_placeholder_value(decoded)


# roff escapes as pod2man writes them: a size change around capitals (``\\s-1STRING\\s0``), a
# font change, a zero-width mark, a hyphen, an escaped backslash
_ROFF_MARK = re.compile(r"\\s[-+]?\d|\\f[BIRP(]|\\e&|\\-(?:>|$)")
_ROFF_ESCAPE = re.compile(r"\\(?:s[-+]?\d|f[BIRP]|f\([A-Z]{2}|\([a-z]{2}|[e&\-|^])")


def _unroff(m: re.Match[str]) -> str:
    """What a roff escape prints: ``\\e`` a backslash, ``\\-`` a hyphen, the rest nothing."""
    esc = m.group()
    return "\\" if esc == "\\e" else "-" if esc == "\\-" else ""


def reject_reason(value: str, kind: Kind, quoted: bool, code: bool, config: bool = False) -> str:
    """Why ``value`` (assigned to a name of ``kind``) is not a credential, or ``""``.

    ``quoted``: it was a string literal; ``code``: it sits in program source, where a bare
    (unquoted) value is an expression rather than a literal.
    """
    if not value:
        return "empty"
    if "\\" in value and _ROFF_MARK.search(value):
        plain = _ROFF_ESCAPE.sub(_unroff, value)
        if plain != value:
            # a manual page's text: ``Secret => \\s-1SECRET\\s0``, ``WebServer\\->new``
            inner = reject_reason(plain, kind, quoted, code, config)
            if inner:
                return inner
    if value in DOCUMENTATION_VALUES:
        return "documentation"
    if value.lower() in EMPTY_DIGESTS:
        return "digest"  # SHA-1 of b"": a fixture's stand-in
    if is_template(value):
        return "template"
    if "%" in value and _is_encoded_stand_in(unquote(value).rstrip(":;,.")):
        return "template"  # token=%5BFiltered%5D: a redaction marker, URL-encoded
    if "%2F" in value.upper() and is_path_or_url(unquote(value)):
        return "path"  # X-Amz-Credential=access_key%2F20170322%2Fus-west-2%2Fsts%2F
    if is_hash(value) or _HASH_SUFFIXED.fullmatch(value):
        return "hash"
    if _SAS_MACRO.fullmatch(value):
        return "template"
    if is_nullish(value):
        return "nullish"
    if is_lookup(value):
        return "lookup"
    url = url_reason(value, quoted)
    if url:
        return url
    if is_path_or_url(value):
        return "path"
    if is_data_literal(value):
        return "data"
    if _HTMLISH.match(value):
        return "css"
    if _GRAPHQL_TYPE.fullmatch(value):
        return "type"  # password: String! in a GraphQL schema
    form = form_reason(value, quoted, kind is Kind.PASSWORD)
    if form:
        return form  # an ARN, a MIME type, an option string, a cmdlet, a flag constant, ...
    dotted_password = kind in (Kind.PASSWORD, Kind.SECRET) and bool(
        _DOTTED_PASSWORD.fullmatch(value)
    )
    if not quoted:
        if code and (is_bare_identifier(value) or is_code_reference(value)):
            return "identifier"
        if is_code_reference(value) and not dotted_password:
            return "identifier"  # in a config file a bare ``Quartz.Mill77`` is a literal
        if value[0] in "([{=<>" or value.endswith(("(", "{", "[")):
            return "expression"
        if code and value[0] in "!&|+*?@\\":
            return "expression"
        if code and any(c in value for c in "()[]{}"):
            return "expression"
    elif is_code_reference(value) and ("." in value or "(" in value) and not dotted_password:
        return "identifier"
    if is_placeholder_value(value):
        return "placeholder"
    if kind is not Kind.PASSWORD and _is_counted(value):
        return "placeholder"  # abcdef123456, 1234abcd-1234-abcd-...: typed, not drawn
    if value.isdigit() and (kind is not Kind.PASSWORD or len(value) < 6 or not quoted):
        return "number"
    if is_uuid(value):
        return ""  # a UUID assigned to a key/secret/token/password name is a key
    if _SCOPED.match(value) or _FINGERPRINT.match(value):
        return "identifier"  # @scope/package, .module.path, aa:bb:cc:dd fingerprints
    if ")" in value and _CALLISH.search(value):
        return "expression"
    if (
        kind is not Kind.PASSWORD
        and _DOTTED_LOWER.match(value)
        and sum(bool(_WORD_PART.match(p)) for p in value.split(".")) >= 2
    ):
        return "identifier"  # vendor.5300.fan.discovery: an item key or a metric name
    if kind is not Kind.PASSWORD and _NAMESPACED.match(value):
        return "identifier"  # aws:ResourceTag/x, ec2:DescribeInstances, urn:x:y
    if not dotted_password and (
        _CAMEL_WORDS.match(value) or camel_words(value) >= (3 if kind is Kind.PASSWORD else 2)
    ):
        return "identifier"  # CorrectHorseStaple, V1SecretVolumeSource: a name, not a secret
    if "," in value and _is_name_list(value, kind):
        return "list"  # AutoGenerate,IsolateApps: keyword settings (an ASP.NET <machineKey>)
    if dotted_password or (
        kind is Kind.PASSWORD and (any(c.isdigit() for c in value) or _SYMBOL.search(value))
    ):
        return ""  # Summer-Time1, my.pass99: a password may look like a name with digits
    if is_identifier_like(value):
        return "identifier"
    if not quoted and value.isalpha() and value.islower() and not config:
        return "word"
    return ""


def value_verdict(
    value: str, kind: Kind, quoted: bool, code: bool, config: bool = False
) -> ValueVerdict:
    reason = reject_reason(value, kind, quoted, code, config)
    if reason:
        return ValueVerdict(reason)
    return ValueVerdict(
        "",
        len(value),
        shannon_entropy(value),
        char_classes(value),
        word_coverage(value),
    )


_LEET = {"@": "a", "4": "a", "3": "e", "0": "o", "1": "i", "$": "s", "5": "s"}
_LETTER_RUN = re.compile(r"[a-z]+")
_LONGEST_WORD = max(map(len, DESCRIBING_WORDS))


def _unleet(low: str) -> str:
    """``p@$$w0rd`` -> ``password``: a digit or symbol that stands for a letter right after a
    letter (``2024`` and ``123`` stay digits)."""
    out: list[str] = []
    for c in low:
        out.append(_LEET[c] if c in _LEET and out and out[-1].isalpha() else c)
    return "".join(out)


def _split_words(run: str) -> list[str] | None:
    """``run`` split into ``DESCRIBING_WORDS`` (``verystrongpassword``), or None."""
    splits: list[list[str] | None] = [[]] + [None] * len(run)
    for i in range(len(run)):
        done = splits[i]
        if done is None:
            continue
        for j in range(i + 2, min(len(run), i + _LONGEST_WORD) + 1):
            if splits[j] is None and run[i:j] in DESCRIBING_WORDS:
                splits[j] = [*done, run[i:j]]
    return splits[len(run)]


def _spelled_words(low: str) -> list[str]:
    words: list[str] = []
    for run in _LETTER_RUN.findall(low):
        split = _split_words(run)
        if split is None:
            return []
        words += split
    return words


def is_described_password(value: str) -> bool:
    """``secret_password_123``, ``Password123!``, ``VeryStrongPasswordHere!``, ``test1111``,
    ``p@ssw0rd``, ``s3krit``: a value spelled only from words that describe a password or a test
    (``DESCRIBING_WORDS``, one of them saying what it is), with digits and symbols around them.
    In a test or a tutorial that is the stand-in for a password, not one someone chose."""
    if len(value) > 40 or not value.isascii():
        return False
    low = value.lower()
    return any(not DESCRIBED_WORDS.isdisjoint(_spelled_words(text)) for text in (low, _unleet(low)))
