"""What a setting name says: a password, a secret, a token, a key, or something else that
merely contains such a word (``password_hash``, ``token_url``, ``cache_key``, ``*_id``)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import lru_cache

from scanner.nameafter import (
    AUTH_NOT_CREDENTIAL,
    NEGATIVE_AFTER,
    PASS_NOT_PASSWORD,
    TOKEN_NOT_CREDENTIAL,
)
from scanner.namebefore import KEY_NEGATIVE_BEFORE, NEGATIVE_BEFORE, PASSWORD_NEGATIVE_BEFORE
from scanner.namewords import HASH_WORDS, ID_WORDS, NOT_KEY, NOT_PASS, PASSWORD_WORDS


class Kind(enum.IntEnum):
    """What a name says its value is, weakest first."""

    NONE = 0
    AUTH = 1  # auth, credentials
    KEY = 2  # key (encryption_key, license_key)
    TOKEN = 3  # token, access_token
    SECRET = 4  # secret, client_secret, api_key, private_key
    PASSWORD = 5  # password, passwd, pwd, passphrase


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


_SPLIT = re.compile(r"[^a-z0-9]+")


def split_name(name: str) -> list[str]:
    """``MISTRAL_API_KEY`` → mistral, api, key; ``newRelicKey`` → new, relic, key;
    ``$db->password`` → db, password."""
    return [t for t in _SPLIT.split(_CAMEL.sub("_", name).lower()) if t]


_NOT_PASS_OR_KEY = NOT_PASS + NOT_KEY


def _token_kind(token: str) -> Kind:
    """The credential kind a single name token names (``dbpassword`` → PASSWORD); a numbered
    copy names what the word does (``password2``, ``key1``: rclone's second password)."""
    unnumbered = token.rstrip("0123456789")
    if len(unnumbered) >= 3 and len(token) - len(unnumbered) <= 2:
        token = unnumbered
    if token.endswith(_NOT_PASS_OR_KEY) or token.startswith(NOT_KEY):
        return Kind.NONE
    for word in PASSWORD_WORDS:
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


def _compound_prefix(token: str) -> str:
    """The word glued before a credential word in one token: ``skiptoken`` → ``skip``,
    ``pagetoken`` → ``page``; ``""`` when the token is the bare word or ends otherwise."""
    for word in ("tokens", "token", "keys", "key"):
        if token.endswith(word) and len(token) > len(word):
            return token[: -len(word)]
    return ""


@dataclass(frozen=True, slots=True)
class NameInfo:
    """What an assigned name says about its value."""

    kind: Kind
    tokens: tuple[str, ...]
    head: int  # index of the credential token in ``tokens`` (-1: none)
    reason: str = ""  # why the name is not a credential name ("" when it is)

    @property
    def before(self) -> tuple[str, ...]:
        return self.tokens[: self.head] if self.head >= 0 else ()

    @property
    def after(self) -> tuple[str, ...]:
        return self.tokens[self.head + 1 :] if self.head >= 0 else ()


_MEMBER = re.compile(r"\.|->|::")


def _sets(name: str, info: NameInfo) -> bool:
    """A setter method of a token or secret: ``SetToken``, ``client.setSecret``,
    ``set_token``: ``set`` starts the last member name and the credential word ends it.
    (``set`` before a key, ``setKey``, is a map's or a keyboard's.)"""
    if info.kind not in (Kind.TOKEN, Kind.SECRET) or info.head != len(info.tokens) - 1:
        return False
    member = split_name(_MEMBER.split(name)[-1])
    return len(member) == 2 and member[0] == "set"


_SETTINGS_OBJECTS = frozenset(["config", "settings", "setting", "conf", "cfg"])


def _is_settings_member(name: str, last: str) -> bool:
    """``config.secret``, ``settings.token``: a member of a settings object (the object's name
    then a dot), not a key into configuration (``config_key``)."""
    return last in _SETTINGS_OBJECTS and (last + ".") in name.lower()


# a source file's extension at the end of a name
_SOURCE_FILE = re.compile(
    r"\.(?:c|h|cc|cpp|cxx|hpp|pm|pl|pod|py|rb|go|php|js|ts|java|cs|rs|sh|html?)$", re.IGNORECASE
)


@lru_cache(maxsize=4096)
def name_info(name: str) -> NameInfo:
    """Classify an assigned name: which credential word it ends in, and whether the words
    around it make it about something else (``password_hash``, ``cache_key``)."""
    tokens = tuple(split_name(name))
    if not tokens:
        return NameInfo(Kind.NONE, tokens, -1, "empty")
    if _SOURCE_FILE.search(name):
        # a program's file named after a credential: ``mod_sql_passwd.c: Bug#4138 - ...`` in
        # a ChangeLog, ``crypto/passwd.pm:`` in a list of changed files
        return NameInfo(Kind.NONE, tokens, -1, "file name")
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
        if t in ID_WORDS:
            return NameInfo(kind, tokens, head, "id")
        if t in HASH_WORDS:
            return NameInfo(kind, tokens, head, "hash")
        if t in NEGATIVE_AFTER:
            return NameInfo(kind, tokens, head, "qualifier:" + t)
    if tokens[head] == "pass" and after and after[0] in PASS_NOT_PASSWORD:
        return NameInfo(kind, tokens, head, "qualifier:" + after[0])  # pass_arg, pass_through
    if kind is Kind.AUTH and after and after[0] in AUTH_NOT_CREDENTIAL:
        return NameInfo(kind, tokens, head, "qualifier:" + after[0])  # MySQL's auth_data
    prefix = _compound_prefix(tokens[head])
    if (kind is not Kind.PASSWORD and prefix in NEGATIVE_BEFORE) or (
        kind is Kind.KEY and prefix in KEY_NEGATIVE_BEFORE
    ):
        return NameInfo(kind, tokens, head, "qualifier:" + prefix)  # $skiptoken, pagetoken
    word = tokens[head] in ("token", "tokens")
    if word and not before and after and after[0] in TOKEN_NOT_CREDENTIAL:
        return NameInfo(kind, tokens, head, "qualifier:" + after[0])  # a tokenizer's token_bytes
    if before:
        last = before[-1]
        if (
            last in NEGATIVE_BEFORE
            and kind is not Kind.PASSWORD
            and not _sets(name, info)
            and not _is_settings_member(name, last)
        ):
            return NameInfo(kind, tokens, head, "qualifier:" + last)
        if kind is Kind.PASSWORD and last in PASSWORD_NEGATIVE_BEFORE:
            return NameInfo(kind, tokens, head, "qualifier:" + last)
        if kind is Kind.KEY and last in KEY_NEGATIVE_BEFORE:
            return NameInfo(kind, tokens, head, "qualifier:" + last)  # session_key: an id
        if last == "signing" and before[-2:-1] in (("gpg",), ("pgp",), ("gnupg",)):
            return NameInfo(kind, tokens, head, "qualifier:" + before[-2])  # a key's id
        if last == "key" and before[-2:-1] in (("public",), ("pub",)):
            return NameInfo(kind, tokens, head, "qualifier:public")  # .NET publicKeyToken
        if any(t in ID_WORDS for t in before[-1:]):
            return NameInfo(kind, tokens, head, "id")
        if kind is Kind.KEY and last in HASH_WORDS and "hmac" not in before:
            return NameInfo(kind, tokens, head, "hash")  # _IMAGE_SHA256_KEY: a digest
    return info


NON_SECRET_TAILS = frozenset(
    {
        *ID_WORDS,
        *HASH_WORDS,
        "commit",
        "revision",
        "rev",
        "version",
        "release",
        "etag",
        "fingerprint",
        "thumbprint",
        "request",
        "trace",
        "span",
        "correlation",
        "sha1sum",
        "sha256sum",
        "md5sum",
        "integrity",
        "uuid4",
    }
)
"""Last words of a setting name (or the word just before a value) that say the value is an
identifier, a hash or a version, not a credential: ``stripe_request_id``, ``acme_commit``,
``# acme release <sha>``."""


_NAME_TAIL = re.compile(r"([A-Za-z][A-Za-z0-9_.-]{0,63})[\s\"'`]*(?::=|=>|[=:(,])?[\s\"'`]*$")


_IN_URL_AUTHORITY = re.compile(r"://[^/\s@]*$")
# prose that gives an example of the named thing: ``alert ids (e.g. <uuid>)``, ``request ids
# such as <uuid>``: the name is the word before the connector
_EXAMPLE_OF = re.compile(
    r"(?i)[ \t]*[(,]?[ \t]*(?:e\.g\.?|i\.e\.?|for example|such as)[ \t:,`'\"]*$"
)
_ALGORITHMS = frozenset({"md5", "sha", "sha1", "sha224", "sha256", "sha384", "sha512"})
# a key, password, authentication or user option (and its number or name) right before the
# algorithm's name
_KEY_FOR_ALGORITHM = re.compile(
    r"(?i)(?:key|auth|password|secret|user)[\w-]*[ \t]+(?:[\w.-]{1,64}[ \t]+)?$"
)


# a file name, then a blank, where a setting name would stand: the arguments of a command
# (``state.pkg /tmp/salt_state.tgz <md5> md5``, ``./salt-ssh-copy-id.sh user@host``)
_FILE_NAME = re.compile(
    r"(?i)\.(?:sh|bash|ps1|bat|cmd|py|rb|pl|php|js|ts|go|java|exe|tgz|gz|bz2|xz|tar|zip|deb|rpm"
    r"|whl|jar|yml|yaml|json|toml|txt|md|rst|html|xml|csv|log)$"
)


def names_non_secret(text_before: str) -> bool:
    """True when the name (or word) right before a value says the value is an id, a hash, a
    commit or a version, or is no setting's name at all but a file's that a command takes.
    ``text_before`` is the text up to the value's first character."""
    before = text_before[-96:]
    if _IN_URL_AUTHORITY.search(before):
        return False  # ``https://build:<token>@host``: a user name, not a setting name
    example = _EXAMPLE_OF.search(before)
    if example is not None:
        before = before[: example.start()]
    m = _NAME_TAIL.search(before)
    if m is None:
        return False
    if _FILE_NAME.search(m.group(1)) and not m.group(0)[len(m.group(1)) :].strip():
        return True
    tokens = split_name(m.group(1))
    if not tokens or tokens[-1] not in NON_SECRET_TAILS:
        return False
    if (
        tokens[-1] in _ALGORITHMS
        and not m.group(0)[len(m.group(1)) :].strip(" \t\"'")
        and _KEY_FOR_ALGORITHM.search(before, 0, m.start(1)) is not None
    ):
        return False  # ``md5-key 1 md5 KEY``, ``auth sha PASS``: the algorithm the key is for
    # ``secret_id``, ``api_hash``, ``access_id``, ``dappId``: ids and hashes that are credentials
    return len(tokens) < 2 or tokens[-2] not in CREDENTIAL_QUALIFIERS


CREDENTIAL_QUALIFIERS = frozenset(
    {
        "secret",
        "api",
        "access",
        "auth",
        "private",
        "client",
        "app",
        "dapp",
        "consumer",
        "key",
        "reporter",
    }
)
"""Words before an id or hash word that make the id or hash itself a credential."""
