"""What an assigned value and the name it is assigned to look like: pure predicates.

The generic rules (``generic.password``, ``generic.api-key``, ...) find *assignments*; whether
the value is a credential is decided here, from the value's shape (a password hash, an
identifier, a path, a template, a type name, a UUID, ...) and from the name it is assigned to
(``db_password`` names a password, ``password_hash`` a hash, ``request_id`` an id).

Every function is pure and tested on its own (``tests/test_value_shape.py``).
"""

from __future__ import annotations

import enum
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache


class Kind(enum.IntEnum):
    """What a name says its value is, weakest first."""

    NONE = 0
    AUTH = 1  # auth, credentials
    KEY = 2  # key (encryption_key, license_key)
    TOKEN = 3  # token, access_token
    SECRET = 4  # secret, client_secret, api_key, private_key
    PASSWORD = 5  # password, passwd, pwd, passphrase


STRENGTH: dict[Kind, float] = {
    Kind.NONE: 0.0,
    Kind.AUTH: 0.45,
    Kind.KEY: 0.55,
    Kind.TOKEN: 0.7,
    Kind.SECRET: 0.85,
    Kind.PASSWORD: 1.0,
}
"""How strongly a name of each kind says "this value is a credential"."""

# ---------------------------------------------------------------------------------------------
# names

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^a-z0-9]+")

_PASSWORD_WORDS = ("password", "passwd", "passphrase", "passcode", "passwort", "pwd", "pass")
_NOT_PASS = (
    "bypass",
    "compass",
    "surpass",
    "trespass",
    "overpass",
    "underpass",
    "impass",
    "encompass",
)
_NOT_KEY = (
    "monkey",
    "turkey",
    "hockey",
    "donkey",
    "jockey",
    "whiskey",
    "hotkey",
    "passkey",
    "keyboard",
    "keyword",
    "keystroke",
    "keypress",
    "keydown",
    "keyup",
    "keycode",
    "keypad",
    "keyframe",
    "keyframes",
    "keychain",
    "keyring",
    "keystore",
    "keyspace",
    "keytab",
    "keymap",
    "keyset",
    "keyed",
    "keying",
    "keyval",
    "keyvalue",
    "keyfile",
    "keypair",
    "keyid",
    "keyname",
    "keylen",
    "pubkey",
    "publickey",
    "sitekey",
    "primarykey",
    "foreignkey",
    "sortkey",
    "cachekey",
)

# Tokens after the credential word that make the name about something else: password_hash,
# token_url, secret_name, api_key_id, password_min_length, PasswordLastUsed.
_NEGATIVE_AFTER = frozenset(
    [
        "id",
        "ids",
        "uuid",
        "guid",
        "hash",
        "hashed",
        "hashes",
        "hasher",
        "hashers",
        "digest",
        "checksum",
        "sha",
        "sha1",
        "sha256",
        "sha512",
        "md5",
        "crc",
        "url",
        "urls",
        "uri",
        "uris",
        "endpoint",
        "endpoints",
        "path",
        "paths",
        "file",
        "files",
        "filename",
        "filepath",
        "dir",
        "directory",
        "folder",
        "name",
        "names",
        "type",
        "types",
        "kind",
        "mode",
        "field",
        "fields",
        "len",
        "length",
        "size",
        "min",
        "max",
        "count",
        "counts",
        "num",
        "number",
        "timeout",
        "ttl",
        "expiry",
        "expires",
        "expire",
        "expiration",
        "expired",
        "expiresin",
        "header",
        "headers",
        "param",
        "params",
        "prefix",
        "suffix",
        "format",
        "fmt",
        "pattern",
        "patterns",
        "regex",
        "re",
        "label",
        "labels",
        "prompt",
        "placeholder",
        "message",
        "messages",
        "msg",
        "error",
        "errors",
        "err",
        "help",
        "hint",
        "hints",
        "text",
        "title",
        "desc",
        "description",
        "policy",
        "policies",
        "reset",
        "rule",
        "rules",
        "validator",
        "validators",
        "validation",
        "strength",
        "enabled",
        "enable",
        "disabled",
        "disable",
        "required",
        "require",
        "env",
        "var",
        "vars",
        "variable",
        "variables",
        "column",
        "col",
        "attr",
        "attribute",
        "property",
        "prop",
        "index",
        "idx",
        "location",
        "store",
        "storage",
        "backend",
        "backends",
        "class",
        "cls",
        "method",
        "algorithm",
        "alg",
        "algo",
        "scheme",
        "version",
        "ver",
        "style",
        "color",
        "icon",
        "image",
        "link",
        "route",
        "view",
        "template",
        "tpl",
        "form",
        "input",
        "widget",
        "button",
        "btn",
        "callback",
        "handler",
        "func",
        "fn",
        "function",
        "source",
        "src",
        "target",
        "mapping",
        "map",
        "list",
        "dict",
        "changed",
        "change",
        "age",
        "last",
        "used",
        "date",
        "time",
        "at",
        "updated",
        "created",
        "lifetime",
        "fingerprint",
        "fingerprints",
        "thumbprint",
        "duration",
        "interval",
        "delay",
        "retries",
        "retry",
        "attempts",
        "attempt",
        "history",
        "policy",
        "complexity",
        "requirements",
        "hint",
        "hints",
        "token_type",
        "location",
        "loc",
        "store",
        "ref",
        "reference",
        "arn",
        "secretref",
        "keyref",
        "generator",
        "generate",
        "gen",
        "factory",
        "provider",
        "providers",
        "manager",
        "mgr",
        "service",
        "client",
        "module",
        "util",
        "utils",
        "helper",
        "helpers",
        "option",
        "options",
        "config",
        "conf",
        "setting",
        "settings",
        "flag",
        "flags",
        "file_path",
        "pos",
        "position",
        "offset",
        "start",
        "end",
        "begin",
        "stop",
        "range",
        "limit",
        "limits",
        "lower",
        "upper",
        "changed",
        "visible",
        "visibility",
        "toggle",
        "show",
        "hide",
        "mask",
        "masked",
        "field_name",
        "selector",
        "sel",
        "xpath",
        "locator",
        "element",
        "elem",
        "el",
        "input_id",
        "div",
        "span",
        "request",
        "response",
        "req",
        "resp",
        "res",
        "result",
        "results",
        "value_type",
        "schema",
        "serializer",
        "widget",
        "encoding",
        "encoder",
        "decoder",
        "codec",
        "cipher",
        "algorithm",
        "salt",
        "rounds",
        "iterations",
        "cost",
        "factor",
    ]
)
# Tokens before the credential word that make the name about something else: cache_key,
# primary_key, next_page_token, public_key, csrf_token, session_key, sort_key, forgot_password.
_NEGATIVE_BEFORE = frozenset(
    [
        "cache",
        "result",
        "results",
        "output",
        "marker",
        "sort",
        "primary",
        "foreign",
        "dict",
        "map",
        "lookup",
        "index",
        "partition",
        "row",
        "column",
        "object",
        "bucket",
        "hot",
        "short",
        "shortcut",
        "public",
        "pub",
        "site",
        "publishable",
        "idempotency",
        "natural",
        "composite",
        "unique",
        "registry",
        "config",
        "setting",
        "settings",
        "i18n",
        "translation",
        "message",
        "field",
        "group",
        "state",
        "query",
        "request",
        "shard",
        "routing",
        "dedup",
        "dedupe",
        "match",
        "hash",
        "page",
        "next",
        "prev",
        "previous",
        "continuation",
        "pagination",
        "cursor",
        "sync",
        "csrf",
        "xsrf",
        "session",
        "sessions",
        "lexer",
        "parser",
        "tokenizer",
        "sequence",
        "seq",
        "input",
        "output",
        "max",
        "min",
        "num",
        "number",
        "count",
        "total",
        "len",
        "length",
        "reset",
        "forgot",
        "forget",
        "show",
        "hide",
        "toggle",
        "validate",
        "validation",
        "verify",
        "check",
        "is",
        "has",
        "use",
        "uses",
        "using",
        "require",
        "requires",
        "enable",
        "enables",
        "allow",
        "allows",
        "no",
        "without",
        "missing",
        "invalid",
        "empty",
        "blank",
        "change",
        "update",
        "edit",
        "set",
        "get",
        "new_ssh",
        "ssh",
        "gpg",
        "pgp",
        "gnupg",
        "kms",
        "foreign",
        "s3",
        "redis_cache",
        "memcache",
        "cached",
        "event",
        "events",
        "item",
        "items",
        "node",
        "nodes",
        "entry",
        "entries",
        "record",
        "records",
        "attr",
        "attribute",
        "property",
        "prop",
        "data",
        "meta",
        "metadata",
        "id",
        "uuid",
        "sort_by",
        "order",
        "group_by",
        "partition_by",
        "distinct",
        "cluster",
        "tag",
        "tags",
        "label",
        "labels",
        "form",
        "widget",
        "column_name",
        "translation_key",
        "i18n_key",
        "storage_key",
        "local_storage",
        "localstorage",
        "storage",
        "sessionstorage",
        "react",
        "vue",
        "key_fn",
        "keyfunc",
        "dataset",
        "tab",
        "route",
        "router",
        "menu",
        "mouse",
        "keyboard",
        "press",
        "release",
    ]
)
_ID_WORDS = frozenset({"id", "ids", "uuid", "guid", "uid", "oid", "gid", "pk"})
_HASH_WORDS = frozenset(
    {"hash", "hashed", "hashes", "digest", "checksum", "sha", "sha1", "sha256", "sha512", "md5"}
)


def split_name(name: str) -> list[str]:
    """``MISTRAL_API_KEY`` → mistral, api, key; ``newRelicKey`` → new, relic, key;
    ``$db->password`` → db, password."""
    return [t for t in _SPLIT.split(_CAMEL.sub("_", name).lower()) if t]


def _token_kind(token: str) -> Kind:
    """The credential kind a single name token names (``dbpassword`` → PASSWORD)."""
    if token.endswith(_NOT_PASS) or token.startswith(_NOT_KEY) or token.endswith(_NOT_KEY):
        return Kind.NONE
    for word in _PASSWORD_WORDS:
        if token in (word, word + "s") or (token.endswith(word) and len(token) <= len(word) + 8):
            return Kind.PASSWORD
    if token in ("secret", "secrets") or token.endswith("secret"):
        return Kind.SECRET
    if token in ("apikey", "apikeys", "privatekey", "secretkey", "accesskey", "signingkey"):
        return Kind.SECRET
    if token in ("token", "tokens") or (token.endswith("token") and len(token) <= 14):
        return Kind.TOKEN
    if token in ("key", "keys") or (token.endswith("key") and len(token) <= 12):
        return Kind.KEY
    if token in ("credential", "credentials", "creds", "cred") or token.endswith("credentials"):
        return Kind.AUTH
    if token == "auth":
        return Kind.AUTH
    return Kind.NONE


@dataclass(frozen=True, slots=True)
class NameInfo:
    """What an assigned name says about its value."""

    kind: Kind
    tokens: tuple[str, ...]
    head: int  # index of the credential token in ``tokens`` (-1: none)
    reason: str = ""  # why the name is not a credential name ("" when it is)

    @property
    def strength(self) -> float:
        return 0.0 if self.reason else STRENGTH[self.kind]

    @property
    def before(self) -> tuple[str, ...]:
        return self.tokens[: self.head] if self.head >= 0 else ()

    @property
    def after(self) -> tuple[str, ...]:
        return self.tokens[self.head + 1 :] if self.head >= 0 else ()


@lru_cache(maxsize=4096)
def name_info(name: str) -> NameInfo:
    """Classify an assigned name: which credential word it ends in, and whether the words
    around it make it about something else (``password_hash``, ``cache_key``)."""
    tokens = tuple(split_name(name))
    if not tokens:
        return NameInfo(Kind.NONE, tokens, -1, "empty")
    # the last credential word decides: api_key_secret → secret; password_reset_token → token
    head, kind = -1, Kind.NONE
    for i in range(len(tokens) - 1, -1, -1):
        k = _token_kind(tokens[i])
        if k is not Kind.NONE:
            head, kind = i, k
            break
    if head < 0:
        return NameInfo(Kind.NONE, tokens, -1, "no credential word")
    # api_key: the pair "api key" is a secret, not a mere key; private_key / secret_key too
    if kind is Kind.KEY and head > 0 and tokens[head - 1] in ("api", "private", "secret"):
        kind = Kind.SECRET
    if kind is Kind.KEY and head > 0 and tokens[head - 1] in ("access", "master", "signing"):
        kind = Kind.SECRET
    if kind is Kind.TOKEN and head > 0 and tokens[head - 1] in ("access", "auth", "api", "bot"):
        kind = Kind.SECRET if tokens[head - 1] != "access" else Kind.TOKEN
    after = tokens[head + 1 :]
    before = tokens[:head]
    info = NameInfo(kind, tokens, head)
    # a credential word inside the value part ("password_hash") → about something else
    for t in after:
        if t in _ID_WORDS:
            return NameInfo(kind, tokens, head, "id")
        if t in _HASH_WORDS:
            return NameInfo(kind, tokens, head, "hash")
        if t in _NEGATIVE_AFTER:
            return NameInfo(kind, tokens, head, "qualifier:" + t)
    if before:
        last = before[-1]
        if last in _NEGATIVE_BEFORE and kind is not Kind.PASSWORD:
            return NameInfo(kind, tokens, head, "qualifier:" + last)
        if kind is Kind.PASSWORD and last in {
            "forgot",
            "forget",
            "reset",
            "show",
            "hide",
            "toggle",
            "validate",
            "require",
            "requires",
            "min",
            "max",
            "enable",
            "allow",
            "no",
            "use",
            "is",
            "has",
            "hash",
            "hashed",
            "encrypted",
            "hashing",
        }:
            return NameInfo(kind, tokens, head, "qualifier:" + last)
        if any(t in _ID_WORDS for t in before[-1:]):
            return NameInfo(kind, tokens, head, "id")
    return info


# ---------------------------------------------------------------------------------------------
# values

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


_NULLISH = frozenset(
    [
        "utf-8",
        "utf8",
        "ascii",
        "latin-1",
        "latin1",
        "base64",
        "none",
        "null",
        "nil",
        "undefined",
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "empty",
        "blank",
        "nan",
        "n/a",
        "na",
        "tbd",
        "todo",
        "fixme",
        "string",
        "str",
        "bytes",
        "int",
        "integer",
        "bool",
        "boolean",
        "any",
        "object",
        "char",
        "text",
        "varchar",
        "secretstr",
        "password",
        "optional",
        "required",
        "default",
        "unknown",
        "invalid",
        "missing",
        "secret",
        "token",
        "key",
        "value",
        "values",
    ]
)


_TYPE_EXPR = re.compile(r"^[A-Za-z_][\w.]*\[[\w., \[\]|]*\]$")


def is_nullish(value: str) -> bool:
    """``None``, ``null``, ``true``, a type name (``str``, ``SecretStr``, ``list[str]``,
    ``Sequence[Key]``), a keyword."""
    v = value.strip("\"'`;,()").lower()
    return v in _NULLISH or bool(_TYPE_EXPR.match(value))


_TEMPLATE = re.compile(
    r"\$\{|\{\{|\}\}|\{%|%\}|%\(|\$\(|#\{|<%|%>|^@[A-Za-z_]\w*@$|__[A-Z0-9_]+__"
    r"|^\$(?:[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*)$|^\$[A-Z_][A-Z0-9_]+[^\w]"
    r"|^%[A-Za-z_][A-Za-z0-9_]*%$|%[sdrifx]\b|%[-+0-9.]*[sd]$|\{\d*\}|\{[a-z_][a-z0-9_.]*\}"
    r"|^<[^<>]{2,}>$|^<[A-Za-z_ -]{3,}|^\[[A-Za-z_ -]+\]$|^:[a-z_]+$|^\?+$|^\*+$|^![a-z_]+$",
)


def is_template(value: str) -> bool:
    """Template or format syntax: ``{{ x }}``, ``${X}``, ``%s``, ``%(name)s``, ``{}``,
    ``{0}``, ``{name}``, ``$VAR``, ``<placeholder>``, ``@VAR@``, ``#{x}``, ``:param``."""
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
    for p in parts:
        if p in words or (p.islower() and len(p) >= 2 and p is parts[0]):
            continue
        if len(p) > 4:
            return 0  # a long acronym or digit run: not a name
    if sum(len(w) for w in words) < 0.6 * len(core):
        return 0
    return len(words)


def is_identifier_like(value: str) -> bool:
    """Composed of words the way names are: ``reset_password_confirm``, ``auth.password.invalid``,
    ``current-password``, ``refreshTokenExpiresIn``, ``X-MLflow-Guardrail-Bypass``,
    ``SECRET_KEY_SETTING``: a message id, CSS class, header name or constant, not a secret."""
    if _SNAKE.match(value) and sum(c.isdigit() for c in value) <= 2:
        return True
    if _UPPER_SNAKE.match(value):
        return True
    if _WORDISH.match(value) and not any(c.isdigit() for c in value[:-2]):
        return True
    # Pascal/camel words separated by - or _ (header names, class names): X-Api-Key-Header
    parts = re.split(r"[-_.]", value)
    return len(parts) >= 2 and all(_NAME_PART.match(p) for p in parts)


_NAME_PART = re.compile(r"^(?:[A-Z]{1,4}[a-z]*|[a-z]{2,})[0-9]?$")


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


# Values that people write where a real secret would go.
PLACEHOLDER_VALUES = frozenset(
    [
        "password",
        "passwd",
        "pass",
        "pwd",
        "secret",
        "secrets",
        "token",
        "tokens",
        "apikey",
        "api_key",
        "key",
        "keys",
        "mykey",
        "mysecret",
        "mypassword",
        "mypass",
        "mytoken",
        "yourpassword",
        "yourpass",
        "yoursecret",
        "yourtoken",
        "yourkey",
        "changeme",
        "example",
        "sample",
        "demo",
        "dummy",
        "fake",
        "placeholder",
        "xxx",
        "xxxxxx",
        "xxxxxxxx",
        "redacted",
        "hidden",
        "masked",
        "removed",
        "notsecret",
        "none",
        "null",
        "nil",
        "true",
        "false",
        "empty",
        "blank",
        "required",
        "optional",
        "todo",
        "tbd",
        "some_secret",
        "my_secret",
        "my_password",
        "your_password",
        "your_secret",
        "your_token",
        "your_api_key",
        "api-key",
        "apitoken",
        "access_token",
        "accesstoken",
        "auth_token",
        "authtoken",
        "secret_key",
        "secretkey",
        "private_key",
        "privatekey",
        "client_secret",
        "clientsecret",
        "secret-key",
        "api_secret",
        "apisecret",
        "username",
        "user_password",
        "userpassword",
        "db_password",
        "dbpassword",
    ]
)
# Well-known weak or default passwords: real credentials often enough (a default database
# password in a committed config), but reported with low confidence only.
WEAK_VALUES = frozenset(
    [
        "admin",
        "administrator",
        "root",
        "user",
        "guest",
        "default",
        "changeit",
        "letmein",
        "qwerty",
        "qwerty123",
        "abc123",
        "abcdef",
        "abcd1234",
        "123456",
        "1234567",
        "12345678",
        "123456789",
        "1234567890",
        "000000",
        "111111",
        "hunter2",
        "s3cr3t",
        "s3cret",
        "secr3t",
        "password1",
        "password123",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "pa55word",
        "pa$$word",
        "test",
        "testing",
        "tester",
        "testpass",
        "testpassword",
        "testsecret",
        "testtoken",
        "testkey",
        "test123",
        "test1234",
        "secret123",
        "admin123",
        "root123",
        "foobar",
        "foo",
        "bar",
        "baz",
        "qux",
        "supersecret",
        "topsecret",
        "verysecret",
        "insecure",
        "welcome",
        "welcome1",
        "mysql",
        "postgres",
        "oracle",
        "sa",
    ]
)
_PLACEHOLDER_PARTS = (
    "your",
    "example",
    "sample",
    "dummy",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "replace",
    "insert",
    "enter",
    "redacted",
    "xxxx",
    "****",
    "....",
    "<",
    ">",
    "lorem",
    "ipsum",
    "notreal",
    "not_real",
    "not-real",
    "fixme",
    "todo",
)
_WEAK_PARTS = (
    "test",
    "fake",
    "mock",
    "demo",
    "foo",
    "bar",
    "secret",
    "password",
    "passwd",
    "token",
)


def is_placeholder_value(value: str) -> bool:
    """A value someone wrote instead of a secret: ``YourPassword``, ``changeme``,
    ``<password>``, ``my_secret``, ``xxxxxxxx``, ``insert-token-here``."""
    low = value.lower()
    if low in PLACEHOLDER_VALUES or low.strip("!#*.") in PLACEHOLDER_VALUES:
        return True
    return any(p in low for p in _PLACEHOLDER_PARTS)


def is_weak_value(value: str) -> bool:
    """A well-known default or weak password (``admin``, ``changeit``, ``P@ssw0rd``)."""
    return value.lower() in WEAK_VALUES


def weak_words(value: str) -> int:
    """How many test-ish words (``test``, ``fake``, ``foo``, ``secret``) the value contains."""
    low = value.lower()
    return sum(1 for w in _WEAK_PARTS if w in low)


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


def reject_reason(value: str, kind: Kind, quoted: bool, code: bool, config: bool = False) -> str:
    """Why ``value`` (assigned to a name of ``kind``) is not a credential, or ``""``.

    ``quoted``: it was a string literal; ``code``: it sits in program source, where a bare
    (unquoted) value is an expression rather than a literal.
    """
    if not value:
        return "empty"
    if is_template(value):
        return "template"
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
