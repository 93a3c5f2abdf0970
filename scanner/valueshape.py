"""What an assigned value and the name it is assigned to look like: pure predicates.

The generic rules (``generic.password``, ``generic.api-key``, ...) find *assignments*; whether
the value is a credential is decided here, from the value's shape (a password hash, an
identifier, a path, a template, a type name, a UUID, ...) and from the name it is assigned to
(``db_password`` names a password, ``password_hash`` a hash, ``request_id`` an id).

Every function is pure and tested on its own (``tests/test_value_shape.py``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from scanner.nameshape import Kind
from scanner.valueforms import form_reason
from scanner.valuewords import (
    DOCUMENTATION_VALUES,
    NULLISH,
    PLACEHOLDER_PARTS,
    PLACEHOLDER_VALUES,
    WEAK_PARTS,
    WEAK_VALUES,
)

_CRYPT = re.compile(
    r"^(?:\$(?:2[abxy]?|1|5|6|7|y|gy|apr1|md5|sha1|argon2(?:id|i|d)|pbkdf2(?:-sha\d+)?"
    r"|scrypt|bcrypt(?:-sha256)?|P|H|S)\$"
    r"|(?:pbkdf2_sha\d+|pbkdf2_sha1|argon2|bcrypt_sha256|bcrypt|sha1|md5|unsalted_sha1"
    r"|unsalted_md5|crypt|scrypt|sha256|sha512)\$"
    r"|\{(?:SSHA|SHA|SMD5|MD5|CRYPT|SSHA256|SSHA512|SHA256|SHA512|PBKDF2[-\w]*|ARGON2|BCRYPT)\}"
    r"|(?:sha1|sha256|sha384|sha512|md5|sha224|blake2b?|xxh64)[:=-][0-9a-fA-F+/=]{16,}$"
    r"|(?:sha256|sha384|sha512)-[A-Za-z0-9+/]{30,}={0,2}$"
    r")",
    re.IGNORECASE,
)


def is_hash(value: str) -> bool:
    """A password *hash* or digest, not a password: crypt/passlib/Django/LDAP formats
    (``$2b$12$...``, ``pbkdf2_sha256$...``, ``sha1$salt$hex``, ``{SSHA}...``), or an
    algorithm-prefixed digest (``sha256:ab12...``, ``sha512-...`` subresource integrity)."""
    return bool(_CRYPT.match(value))


_HEX = re.compile(r"^[0-9a-fA-F]+$")


def is_hex_digest(value: str) -> bool:
    """Hex of a digest's length (MD5, SHA-1, SHA-256, SHA-512)."""
    return len(value) in (32, 40, 56, 64, 96, 128) and bool(_HEX.match(value))


UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


def is_uuid(value: str) -> bool:
    return bool(UUID_RE.match(value))


_TYPE_EXPR = re.compile(r"^[A-Za-z_][\w.]*\[[\w., \[\]|]*\]$")


def is_nullish(value: str) -> bool:
    """``None``, ``null``, ``true``, a type name (``str``, ``SecretStr``, ``list[str]``,
    ``Sequence[Key]``), a keyword."""
    v = value.strip("\"'`;,()").lower()
    return v in NULLISH or bool(_TYPE_EXPR.match(value))


_TEMPLATE = re.compile(
    r"\$\{|\{\{|\}\}|\{%|%\}|%\(|\$\(|#\{|<%|%>|^@[A-Za-z_]\w*@$|__[A-Z0-9_]+__"
    r"|^\$(?:[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*)$|^\$[A-Z_][A-Z0-9_]+[^\w]"
    r"|^%[A-Za-z_][A-Za-z0-9_]*%$|%[sdrifx]\b|%[-+0-9.]*[sd]$|\{\d*\}|\{[a-z_][a-z0-9_.]*\}"
    r"|\{[A-Z][A-Z0-9_]{2,}\}|\{[A-Za-z_]\w*\.[\w.]+\}"
    r"|^<[^<>]{2,}>$|^<[A-Za-z_ -]{3,}|^\[[A-Za-z_ -]+\]$|^:[a-z_]+$|^\?+$|^\*+$|^![a-z_]+$"
    r"|^@[A-Z][A-Z0-9]*_[A-Z0-9_]+$|\$[A-Za-z_]\w*(?:\[\w*\]|->\w)"
    r"|^!(?:[a-z][a-z0-9_]*(?:/[\w.-]+)?|Ref|Sub|GetAtt|Join|Select|Split|If|Base64|ImportValue)$",
)


def is_template(value: str) -> bool:
    """Template or format syntax: ``{{ x }}``, ``${X}``, ``%s``, ``%(name)s``, ``{}``,
    ``{0}``, ``{name}``, ``$VAR``, ``<placeholder>``, ``@VAR@``, ``@DB_PASSWORD``, ``#{x}``,
    ``:param``, PHP/Perl interpolation (``$value[0]``, ``$this->x``), a YAML tag
    (``!encrypted/pkcs1-oaep``, ``!vault``)."""
    return bool(_TEMPLATE.search(value))


_ENV_LOOKUP = re.compile(
    r"(?:os\.environ|getenv|environ\[|environ\.get|process\.env|ENV\[|ENV\.fetch|System\.getenv"
    r"|Environment\.GetEnvironmentVariable|env\(|config\(|secrets\.|vault:|\bsecret\(|Secret\("
    r"|getpass|input\(|prompt\(|\.get\(|\bargs\.|options\.|opts\.|self\.|this\.|settings\."
    r"|params\[|request\.|req\.|ctx\.|context\.)",
)


def is_lookup(value: str) -> bool:
    """The value is read from somewhere (``os.environ[...]``, ``process.env.X``,
    ``settings.X``, ``self.password``): code, not a literal."""
    return bool(_ENV_LOOKUP.search(value))


_DOTTED = re.compile(r"^@?[A-Za-z_$][\w$]*(?:(?:\.|::|->|\?\.)[A-Za-z_$][\w$]*)+(?:\(\)?)?[;,]?$")


_CALL = re.compile(r"^[A-Za-z_$][\w$.]*(?:\(|\[)")


_PLAIN_IDENT = re.compile(r"^[A-Za-z_$][\w$]*[;,]?$")


def is_code_reference(value: str) -> bool:
    """An identifier, attribute or enum member, or a call: ``Foo.BAR``, ``self.password``,
    ``settings.SECRET_KEY``, ``get_password()``, ``config["x"]``, ``AxisOrder.AUTHORITY``;
    not dotted key material (``j2WqJlIT.Mh57CEnSlMwMp``)."""
    if _CALL.match(value):
        return True
    if not _DOTTED.match(value):
        return False
    return not any(_random_part(p) for p in re.split(r"\.|::|->|\?\.", value))


def _random_part(part: str) -> bool:
    """A dotted part that is key material rather than a name: mixed case and digits
    interleaved (``Mh57CEnSlMwMpTZ``), not ``v1``, ``Tensor`` or ``SECRET_KEY``."""
    if len(part) < 8:
        return False
    if not (_has(part, str.isdigit) and _has(part, str.isupper) and _has(part, str.islower)):
        return False
    if camel_words(part) >= 2:
        return False  # V1SecretVolumeSource, AvgPool2d: a class name
    kinds = ["d" if c.isdigit() else "u" if c.isupper() else "l" for c in part]
    changes = sum(a != b for a, b in zip(kinds, kinds[1:], strict=False))
    return changes >= 0.3 * len(part)


def _has(text: str, test: Callable[[str], bool]) -> bool:
    return any(test(c) for c in text)


def is_bare_identifier(value: str) -> bool:
    """A plain identifier (``db_password``, ``PASSWORD``, ``secretKey``): as a bare value in
    code it is a variable, not a literal."""
    return bool(_PLAIN_IDENT.match(value))


_FILE_EXT = re.compile(
    r"\.(?:js|mjs|cjs|ts|tsx|jsx|py|pyc|json|ya?ml|toml|txt|html?|css|scss|png|jpe?g|svg|gif"
    r"|ico|md|rst|xml|sh|bash|go|rb|java|class|jar|php|lock|cfg|ini|conf|pem|crt|cer|der|key"
    r"|pub|p12|pfx|jks|keystore|kdbx|gpg|asc|csv|log|db|sqlite3?|env|properties|war|zip|gz"
    r"|tgz|tar|bin|exe|dll|so|dylib|pdf|docx?|xlsx?|mp[34]|wav|ttf|woff2?|map|vue|svelte|kt"
    r"|swift|cs|c|h|cpp|hpp|rs|sql|bak|tmp|dat|ppk|pgpass|netrc|htpasswd|secret|token|pwd)$",
    re.IGNORECASE,
)


_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]{1,15}://")


_URL_CREDS = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]{1,15}://[^/@\s:]*:[^/@\s]+@")


_WINPATH = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")


_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9_.@~ -]*$")


def is_path_or_url(value: str) -> bool:
    """A file path or a URL without credentials: ``~/.pgpass``, ``/etc/secret``,
    ``C:\\keys\\a.pem``, ``config/credentials.json``, ``https://host/token``."""
    if _URL.match(value):
        return not _URL_CREDS.match(value)
    if value.startswith(("~/", "./", "../", "~\\", ".\\", "file:")) or _WINPATH.match(value):
        return True
    if (
        value.startswith("/")
        and not any(c in value for c in "+=")
        and not any(_random_part(p) for p in value.split("/"))
    ):
        return True
    if _FILE_EXT.search(value) and not value.endswith("."):
        stem = value.rsplit(".", 1)[0]
        return "/" in value or "\\" in value or not _looks_random(stem)
    if ("/" in value or "\\" in value) and not any(c in value for c in "+="):
        segments = [s for s in re.split(r"[/\\]", value) if s]
        if len(segments) >= 2 and all(
            _PATH_SEGMENT.match(s) and (len(s) <= 3 or s == s.lower() or word_coverage(s) >= 0.75)
            for s in segments
        ):
            return True
    return False


_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)


_VERSION = re.compile(r"^v?\d+(?:\.\d+){1,3}(?:[-+.][0-9A-Za-z.]+)?$")


_IP = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$")


_NUMBER = re.compile(r"^[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?[A-Za-z%]{0,3}$")


_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


def is_data_literal(value: str) -> bool:
    """A date, a version, an IP address, a number with a unit (``12px``), a colour."""
    return bool(
        _DATE.match(value)
        or _VERSION.match(value)
        or _IP.match(value)
        or _NUMBER.match(value)
        or _COLOR.match(value)
    )


_WORD_RUN = re.compile(r"[A-Z]?[a-z]{2,}|[A-Z]{2,}(?![a-z])")


_WORDISH = re.compile(r"^[A-Za-z][a-z]+(?:[-_.][A-Za-z][a-z0-9]+)+$|^[a-z]+(?:[A-Z][a-z0-9]+)+$")


_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:[_.:-][a-z0-9]+)+$")


_UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(?:[_.][A-Z0-9]+)+$")


# upper-case words joined by dashes: ``MIT-MAGIC-COOKIE-1``, ``X-API-KEY`` (not ``AB12-CD34``)
_UPPER_WORDS = re.compile(r"^[A-Z]{2,}(?:-(?:[A-Z]{2,}|[0-9]{1,4}))+$")


_CAMEL_PART = re.compile(r"[A-Z][a-z]+|[A-Z]+(?![a-z])|[a-z]+|[0-9]+")


def camel_words(value: str) -> int:
    """How many capitalised words a CamelCase name is made of (``ServerlessV2PlatformVersions``
    → 3, ``Ipv6CidrAssociations`` → 3), or 0 when the value is not such a name: only letters
    and digits, short acronyms and digit groups between the words, words covering most of it."""
    core = value.rstrip(".")
    if not core.isalnum() or not core.isascii() or len(core) > 80:
        return 0
    parts = _CAMEL_PART.findall(core)
    words = [p for p in parts if len(p) >= 3 and p[0].isupper() and p[1:].islower()]
    if len(words) < 2:
        return 0
    fragments = 0
    for p in parts:
        if p in words or (p.islower() and len(p) >= 2 and p is parts[0]):
            continue
        if len(p) > 4:
            return 0  # a long acronym or digit run: not a name
        fragments += 1
    if fragments > len(words):
        return 0  # jF7HW0PnylGtmZdonOicGfTIFw: more stray letters and digits than words
    # a leading lower-case word counts (``encryptionKeySha256``) unless other lower-case runs
    # stand alone after digits or capitals, as in random strings (``hruJbvG8ajxEgMpyQoqd``)
    stray = any(p.islower() for p in parts[1:])
    lead = len(parts[0]) if parts[0].islower() and len(parts[0]) >= 3 and not stray else 0
    if lead + sum(len(w) for w in words) < 0.6 * len(core):
        return 0
    return len(words)


def is_identifier_like(value: str) -> bool:
    """Composed of words the way names are: ``reset_password_confirm``, ``auth.password.invalid``,
    ``current-password``, ``refreshTokenExpiresIn``, ``X-MLflow-Guardrail-Bypass``,
    ``SECRET_KEY_SETTING``: a message id, CSS class, header name or constant, not a secret."""
    if _SNAKE.match(value) and sum(c.isdigit() for c in value) <= 2:
        return True
    if _UPPER_SNAKE.match(value) or _UPPER_WORDS.match(value):
        return True
    if _WORDISH.match(value) and not any(c.isdigit() for c in value[:-2]):
        return True
    # Pascal/camel words separated by - or _ (header names, class names): X-Api-Key-Header
    parts = re.split(r"[-_.]", value)
    if len(parts) >= 4 and parts[0] in ("x", "X") and all(_NAME_PART.match(p) for p in parts[1:]):
        return True  # x-amz-copy-source-server-side-encryption-customer-key-MD5: a header
    return len(parts) >= 2 and all(_NAME_PART.match(p) for p in parts)


_NAME_PART = re.compile(r"^(?:[A-Z]{1,4}[a-z]*|[A-Z]{2,10}|[a-z]{2,})[0-9]?$")


def _looks_random(segment: str) -> bool:
    """A path segment that looks like key material rather than a name."""
    if len(segment) < 12:
        return False
    classes = sum(
        (
            any(c.islower() for c in segment),
            any(c.isupper() for c in segment),
            any(c.isdigit() for c in segment),
        )
    )
    return classes >= 3 and shannon(segment) >= 3.5


def shannon(value: str) -> float:
    if not value:
        return 0.0
    n = len(value)
    return -sum((c / n) * math.log2(c / n) for c in Counter(value).values())


def char_classes(value: str) -> int:
    """How many of lower, upper, digit, symbol the value uses."""
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


def word_coverage(value: str) -> float:
    """Share of the value covered by word-like letter runs (``Summer2024!`` → 0.55)."""
    if not value:
        return 0.0
    return sum(len(w) for w in _WORD_RUN.findall(value)) / len(value)


def is_placeholder_value(value: str) -> bool:
    """A value someone wrote instead of a secret: ``YourPassword``, ``changeme``,
    ``<password>``, ``my_secret``, ``xxxxxxxx``, ``insert-token-here``."""
    low = value.lower()
    if low in PLACEHOLDER_VALUES or low.strip("!#*.") in PLACEHOLDER_VALUES:
        return True
    return any(p in low for p in PLACEHOLDER_PARTS)


def is_weak_value(value: str) -> bool:
    """A well-known default or weak password (``admin``, ``changeit``, ``P@ssw0rd``)."""
    return value.lower() in WEAK_VALUES


def weak_words(value: str) -> int:
    """How many test-ish words (``test``, ``fake``, ``foo``, ``secret``) the value contains."""
    low = value.lower()
    return sum(1 for w in WEAK_PARTS if w in low)


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


_CALLISH = re.compile(r"[A-Za-z_]\w*\(")


def _is_encoded_stand_in(decoded: str) -> bool:
    return is_template(decoded) or is_placeholder_value(decoded)


def reject_reason(value: str, kind: Kind, quoted: bool, code: bool, config: bool = False) -> str:
    """Why ``value`` (assigned to a name of ``kind``) is not a credential, or ``""``.

    ``quoted``: it was a string literal; ``code``: it sits in program source, where a bare
    (unquoted) value is an expression rather than a literal.
    """
    if not value:
        return "empty"
    if value in DOCUMENTATION_VALUES:
        return "documentation"
    if is_template(value):
        return "template"
    if "%" in value and _is_encoded_stand_in(unquote(value).rstrip(":;,.")):
        return "template"  # token=%5BFiltered%5D: a redaction marker, URL-encoded
    if "%2F" in value.upper() and is_path_or_url(unquote(value)):
        return "path"  # X-Amz-Credential=access_key%2F20170322%2Fus-west-2%2Fsts%2F
    if is_hash(value):
        return "hash"
    if is_nullish(value):
        return "nullish"
    if is_lookup(value):
        return "lookup"
    if _URL.match(value) or (not quoted and "://" in value):
        return "url" if not _URL_CREDS.match(value) else "url-credentials"
    if is_path_or_url(value):
        return "path"
    if is_data_literal(value):
        return "data"
    if _HTMLISH.match(value):
        return "css"
    form = form_reason(value, quoted, kind is Kind.PASSWORD)
    if form:
        return form  # an ARN, a MIME type, an option string, a cmdlet, a flag constant, ...
    if not quoted:
        if code and (is_bare_identifier(value) or is_code_reference(value)):
            return "identifier"
        if is_code_reference(value):
            return "identifier"
        if value[0] in "([{=<>" or value.endswith(("(", "{", "[")):
            return "expression"
        if code and value[0] in "!&|+*?@\\":
            return "expression"
        if code and any(c in value for c in "()[]{}"):
            return "expression"
    elif is_code_reference(value) and ("." in value or "(" in value):
        return "identifier"
    if is_placeholder_value(value):
        return "placeholder"
    if value.isdigit() and (kind is not Kind.PASSWORD or len(value) < 6 or not quoted):
        return "number"
    if is_uuid(value):
        return ""  # a UUID assigned to a key/secret/token/password name is a key
    if _SCOPED.match(value) or _FINGERPRINT.match(value):
        return "identifier"  # @scope/package, .module.path, aa:bb:cc:dd fingerprints
    if ")" in value and _CALLISH.search(value):
        return "expression"
    if kind is not Kind.PASSWORD and _NAMESPACED.match(value):
        return "identifier"  # aws:ResourceTag/x, ec2:DescribeInstances, urn:x:y
    if _CAMEL_WORDS.match(value) or camel_words(value) >= (3 if kind is Kind.PASSWORD else 2):
        return "identifier"  # CorrectHorseStaple, V1SecretVolumeSource: a name, not a secret
    if kind is Kind.PASSWORD and (any(c.isdigit() for c in value) or _SYMBOL.search(value)):
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
        shannon(value),
        char_classes(value),
        word_coverage(value),
    )
