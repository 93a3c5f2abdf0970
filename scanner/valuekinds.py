"""Kinds of values that sit where a credential would but are something else: pure predicates
for password hashes and digests, UUIDs, null-ish words and type names, templates, environment
lookups, code references, paths and URLs, data literals (dates, versions, numbers), names made
of words, and placeholders or weak values. ``valueshape.reject_reason`` combines them
(``tests/test_value_shape.py``).
"""

from __future__ import annotations

import re

from scanner.valuemeasure import char_classes, is_random_part, looks_random, word_coverage
from scanner.valuewords import (
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
    r"|md5[0-9a-f]{32}$|SCRAM-SHA-256\$[0-9]{1,7}:"  # PostgreSQL's stored password forms
    # Werkzeug's generate_password_hash: method, then salt and hex digest after "$"
    r"|(?:pbkdf2:sha(?:1|224|256|384|512)(?::[0-9]{1,8})?|scrypt(?::[0-9]{1,8}){0,3})\$[^$\s]{1,64}\$[0-9a-f]{32,}$"
    r")",
    re.IGNORECASE,
)


def is_hash(value: str) -> bool:
    """A password *hash* or digest, not a password: crypt/passlib/Django/LDAP formats
    (``$2b$12$...``, ``pbkdf2_sha256$...``, ``sha1$salt$hex``, ``{SSHA}...``, Werkzeug's
    ``pbkdf2:sha256:600000$salt$hex`` and ``scrypt:32768:8:1$salt$hex``), or an
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
    ``Sequence[Key]``, an optional ``?string``), a keyword."""
    v = value.strip("\"'`;,().?").lower()  # ?string, string?: an optional type
    return v in NULLISH or bool(_TYPE_EXPR.match(value))


_TEMPLATE = re.compile(
    r"\$\{|\{\{|\}\}|\{%|%\}|%\(|\$\(|#\{|<%|%>|^@[A-Za-z_]\w*@$|__[A-Z0-9_]+__"
    r"|^\$(?:[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*)$|^\$[A-Z_][A-Z0-9_]+[^\w]"
    r"|^%[A-Za-z_][A-Za-z0-9_]*%$|%[sdrifx]\b|%[-+0-9.]*[sd]$|\{\d*\}|\{[a-z_][a-z0-9_.]*\}"
    r"|\{[A-Z][A-Z0-9_]{2,}\}|\{[A-Za-z_]\w*\.[\w.]+\}"
    r"|^<[^<>]{2,}>$|^<[A-Za-z_ -]{3,}|^\[[A-Za-z_ -]+\]$|^:[a-z_]+$|^\?+$|^\*+$|^![a-z_]+$"
    r"|^@[A-Z][A-Z0-9]*_[A-Z0-9_]+$|^@[A-Z]{4,}$|^_[A-Z][A-Z0-9]{2,}_$"
    r"|\$[A-Za-z_]\w*(?:\[\w*\]|->\w)|^\$[A-Za-z_]\w*(?:\.|->|::)$"
    r"|^!(?:[a-z][a-z0-9_]*(?:/[\w.-]+)?|Ref|Sub|GetAtt|Join|Select|Split|If|Base64|ImportValue)$"
    r"|%\{[A-Za-z_]|\{[$#][A-Z_]",
)


def is_template(value: str) -> bool:
    """Template or format syntax: ``{{ x }}``, ``${X}``, ``%s``, ``%(name)s``, ``{}``,
    ``{0}``, ``{name}``, ``$VAR``, ``<placeholder>``, ``@VAR@``, ``@DB_PASSWORD``,
    ``@PASSWORD`` (a config template's slot), ``_VALUE_``, ``#{x}``, a variable whose member
    follows in quotes or an expression (PowerShell ``$Params."$name"``),
    ``:param``, PHP/Perl interpolation (``$value[0]``, ``$this->x``), a YAML tag
    (``!encrypted/pkcs1-oaep``, ``!vault``), FreeRADIUS and Ruby ``%{name}``, Zabbix macros
    (``{$NAME}``, ``{#NAME}``). In a generated string of many symbols only a
    closed, named form counts (``is_symbol_soup``)."""
    if _TEMPLATE.search(value) is None:
        return False
    return not is_symbol_soup(value) or has_closed_template(value)


# Template syntax as written: the marker closed, a name or expression inside.
_CLOSED_TEMPLATE = re.compile(
    r"\$\{\{?\s*[A-Za-z_.][\w.:?=+/ -]{0,80}\}|\{\{-?\s*[\w.$\"'|()\[\] -]{1,80}\}\}"
    r"|\{%-?\s*[\w.$\"'|()= -]{1,80}%\}|<%[=-]?\s*[\w.@$\"'()\[\] -]{1,80}%>"
    r"|%\([A-Za-z_]\w*\)|\$\(\s*[\w./-][\w./$\"'=|+%:, -]{0,80}\)|#\{[\w.@ ]{1,60}\}"
    r"|__[A-Z0-9_]{3,}__|^\$[A-Za-z_]\w*$"
    r"|%\{[A-Za-z_][\w.:-]{0,60}\}|\{[$#][A-Z_][A-Z0-9_.]{0,60}\}"
    r"|\{[a-z_][a-z0-9_]{1,40}\}[^{}\s]{0,200}\{[a-z_][a-z0-9_]{1,40}\}"  # a URL's two fields
)


def has_closed_template(value: str) -> bool:
    """``${NAME}``, ``{{ x.y }}``, ``%(name)s``, ``$(cmd)``, ``%{name}``, ``{$NAME}``, two
    ``{name}`` fields of one path (``/repositories/{workspace}/keys/{key_id}``)... closed, with
    a name inside."""
    return _CLOSED_TEMPLATE.search(value) is not None


def is_symbol_soup(value: str) -> bool:
    """A long value of lower- and upper-case letters, digits and many different symbols, the
    output of a generator (a WordPress salt, a password manager's password): an opener such as
    ``${``, ``{{`` or ``%(`` turns up in it by chance. A generator may leave out one letter case:
    Django's ``get_random_secret_key`` draws 50 characters from ``a-z0-9`` and 14 symbols, so
    from 40 characters three classes do (``...p%()o1wr&j6...``)."""
    if len(value) < 24 or char_classes(value) < (3 if len(value) >= 40 else 4):
        return False
    return len({c for c in value if not c.isalnum()}) >= 5


_ENV_LOOKUP = re.compile(
    r"(?:os\.environ|getenv|environ\[|environ\.get|process\.env|ENV\[|ENV\.fetch|System\.getenv"
    r"|Environment\.GetEnvironmentVariable|env\(|config\(|secrets\.|vault:|\bsecret\(|Secret\("
    r"|getpass|input\(|prompt\(|\.get\(|\bargs\.|options\.|opts\.|self\.|this\.|settings\."
    r"|params\[|request\.|req\.|ctx\.|context\.|^\$(?i:env):\w)",  # PowerShell $env:NAME
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
    not dotted key material (``j2WqJlIT.Mh57CEnSlMwMp``). A path that ends in ``::`` is
    Rust's, cut where its generic arguments begin (``Vec::<u8>``, ``buf.read_i32::<BigEndian>()``
    read up to the ``<``): the rest of it is the same name."""
    if _CALL.match(value):
        return True
    if value.endswith("::") and len(value) > 2:
        stem = value[:-2]
        return bool(_PLAIN_IDENT.match(stem)) or is_code_reference(stem)
    if not _DOTTED.match(value):
        return False
    return not any(is_random_part(p) for p in re.split(r"\.|::|->|\?\.", value))


def is_bare_identifier(value: str) -> bool:
    """A plain identifier (``db_password``, ``PASSWORD``, ``secretKey``): as a bare value in
    code it is a variable, not a literal."""
    return bool(_PLAIN_IDENT.match(value))


_FILE_EXT = re.compile(
    r"\.(?:js|mjs|cjs|ts|tsx|jsx|py|pyc|json|ya?ml|toml|txt|html?|css|scss|png|jpe?g|svg|gif"
    r"|ico|md|rst|xml|sh|bash|go|rb|java|class|jar|php|lock|cfg|ini|conf|pem|crt|cer|der|key"
    r"|pub|p12|pfx|jks|keystore|kdbx|gpg|pgp|sig|csr|asc|csv|log|db|sqlite3?|env|properties|war|zip|gz"
    r"|tgz|tar|bin|exe|dll|so|dylib|pdf|docx?|xlsx?|mp[34]|wav|ttf|woff2?|map|vue|svelte|kt"
    r"|swift|cs|c|h|cpp|hpp|rs|sql|bak|tmp|dat|ppk|pgpass|netrc|htpasswd|secret|token|pwd)$",
    re.IGNORECASE,
)


_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]{1,31}://")


_URL_CREDS = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]{1,31}://[^/@\s:]*:[^/@\s]+@")


# a drive path, a UNC path, or a Windows registry key as PowerShell and reg.exe write it
# (``HKLM:\\SOFTWARE\\...``, ``HKEY_LOCAL_MACHINE\\...``, ``Registry::HKEY_USERS\\...``)
_WINPATH = re.compile(
    r"^(?:[A-Za-z]:[\\/]|\\\\|(?:Registry::)?(?:HK(?:LM|CU|CR|U|CC):|HKEY_[A-Z_]{4,})\\)"
)


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
        and not any(is_random_part(p) for p in value.split("/"))
    ):
        return True
    if _FILE_EXT.search(value) and not value.endswith("."):
        stem = value.rsplit(".", 1)[0]
        return "/" in value or "\\" in value or not looks_random(stem)
    if ("/" in value or "\\" in value) and not any(c in value for c in "+="):
        segments = [s for s in re.split(r"[/\\]", value) if s]
        if len(segments) >= 2 and all(
            _PATH_SEGMENT.match(s) and (len(s) <= 3 or s == s.lower() or word_coverage(s) >= 0.75)
            for s in segments
        ):
            return True
    return False


def url_reason(value: str, quoted: bool) -> str:
    """``"url"`` for a URL (a bare value with ``://`` is one), ``"url-credentials"`` for a URL
    with a user and password, ``""`` for anything else."""
    if not (_URL.match(value) or (not quoted and "://" in value)):
        return ""
    return "url-credentials" if _URL_CREDS.match(value) else "url"


_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)


# a version, or a package manager's range of them: npm's and Cargo's ``^4.0.0``, ``~1.2.3``,
# ``>=2.1.0`` in a dependency list, where a dependency's name may hold ``pass`` (``minipass``)
_VERSION = re.compile(r"^(?:[\^~]|[<>]=?|=)?v?\d+(?:\.\d+){1,3}(?:[-+.][0-9A-Za-z.]+)?$")


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


_WORDISH = re.compile(r"^[A-Za-z][a-z]+(?:[-_.][A-Za-z][a-z0-9]+)+$|^[a-z]+(?:[A-Z][a-z0-9]+)+$")


_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:[_.:-][a-z0-9]+)+$")


_UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(?:[_.][A-Z0-9]+)+$")


# upper-case words joined by dashes: ``MIT-MAGIC-COOKIE-1``, ``X-API-KEY``,
# ``T-WIN-2012-DATACTR-64`` (an image name); not ``AB12-CD34``
_UPPER_WORDS = re.compile(r"^(?:[A-Z]{2,}|[A-Z]-[A-Z]{2,})(?:-(?:[A-Z]{2,}|[0-9]{1,4}))+$")


def is_identifier_like(value: str) -> bool:
    """Composed of words the way names are: ``reset_password_confirm``, ``auth.password.invalid``,
    ``current-password``, ``refreshTokenExpiresIn``, ``X-MLflow-Guardrail-Bypass``,
    ``SECRET_KEY_SETTING``: a message id, CSS class, header name or constant, not a secret."""
    value = value.lstrip("_")  # ``_private_key_pkcs12``: a private name
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


_SHOUTED = re.compile(r"^[A-Z]{8,64}$")
# what a capitals-only stand-in names: the credential it stands for
_SHOUTED_NAMES = ("SECRET", "TOKEN", "PASSWORD", "PASSWD", "PASSPHRASE", "APIKEY")
_SHOUTED_VOWELS = frozenset("AEIOUY")
SHOUTED_VOWEL_SHARE = 0.3
"""Vowels in English words are about 40 % of the letters, in capitals drawn at random 23 %."""


def is_shouted_stand_in(value: str) -> bool:
    """``MYSUPERSECRETKEY``, ``VERYLONGSECRETSTRING``, ``THISISMYAPIKEY``: capital letters
    only, no digit, spelled like words (vowels as often as in English) and naming the
    credential it stands for (``SECRET``, ``TOKEN``, ``PASSWORD``, or ending in ``KEY``): what
    a README or tutorial writes where the key goes. A key drawn from capitals has digits or
    few vowels, and a chosen password of capital words does not name itself (``MONKEYBUSINESS``
    holds ``KEY`` inside a word, not at the end)."""
    if not _SHOUTED.match(value):
        return False
    if not (value.endswith("KEY") or any(w in value for w in _SHOUTED_NAMES)):
        return False
    vowels = sum(c in _SHOUTED_VOWELS for c in value)
    return vowels >= SHOUTED_VOWEL_SHARE * len(value)


# an upper-case name of underscore-joined parts (``HOMER_DB_PASSWORD``, ``_DBC_DBPASS_``,
# ``XXX_SMTP_PASSWORD_XXX``): the slot a packaging script or a reader fills in
_SLOT = re.compile(r"^[A-Z0-9]*(?:_[A-Z0-9]*)+$")
_SLOT_NAMES = ("PASS", "PASSWD", "PASSWORD", "PWD", "SECRET", "TOKEN", "APIKEY", "KEY")


def is_named_slot(value: str) -> bool:
    """``HOMER_DB_PASSWORD``, ``_DBC_DBPASS_``, ``XXX_FDPASSWORD_XXX2``: capitals, digits and
    underscores, with a part that names the credential (``DBPASS``, ``PASSWORD``, ``API_KEY``)
    and a part that is not a number: the name of what goes there (an environment variable, a
    template's substitution marker), never a drawn key, which has no underscore-separated
    words."""
    if "_" not in value or not _SLOT.match(value):
        return False
    parts = [p for p in value.split("_") if p]
    if sum(not p.isdigit() for p in parts) < 2:
        return False
    return any(p.endswith(_SLOT_NAMES) or p.startswith(_SLOT_NAMES[:5]) for p in parts)


def is_placeholder_value(value: str) -> bool:
    """A value someone wrote instead of a secret: ``YourPassword``, ``changeme``,
    ``<password>``, ``my_secret``, ``xxxxxxxx``, ``insert-token-here``, ``MYSUPERSECRETKEY``,
    ``DB_PASSWORD``."""
    low = value.lower()
    if low in PLACEHOLDER_VALUES or low.strip("!#*.") in PLACEHOLDER_VALUES:
        return True
    if is_shouted_stand_in(value) or is_named_slot(value):
        return True
    joined = low.replace("%2b", "").replace("+", "")
    if joined != low and joined in PLACEHOLDER_VALUES:
        return True  # ``pass+word``: a placeholder written with a plus (SQLAlchemy's docs)
    return any(p in low for p in PLACEHOLDER_PARTS)


def is_weak_value(value: str) -> bool:
    """A well-known default or weak password (``admin``, ``changeit``, ``P@ssw0rd``)."""
    return value.lower() in WEAK_VALUES


def weak_words(value: str) -> int:
    """How many test-ish words (``test``, ``fake``, ``foo``, ``secret``) the value contains."""
    low = value.lower()
    return sum(1 for w in WEAK_PARTS if w in low)
