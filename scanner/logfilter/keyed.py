"""Secrets recognised by the name they are stored under, not by their shape.

Two places in logs hold such values and the rules cannot see them:

- a libpq / DSN key-value connection string in a text line
  (``host=db port=5432 user=app password=<value> sslmode=require``, ``password='...'``);
- a JSON string under a key that names a password, secret, token, API key or credential
  (``{"db": {"password": "..."}}``, ``{"env": {"AWS_SECRET_ACCESS_KEY": "..."}}``,
  ``{"headers": {"Authorization": "Bearer ..."}}``).

A value is taken only when it looks like a value rather than a placeholder (the project's
placeholder predicates in ``scanner.filters``), so ``password=****``, ``token: ${TOKEN}`` and
``auth=ok`` stay as they are. Pure functions; the ``Redactor`` turns hits into findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scanner import filters
from scanner.deferral import name_tokens
from scanner.namespan import NAME_CHARS

DSN_RULE = "logfilter.dsn-password"
KEYED_RULE = "logfilter.keyed-secret"

# words that make a key name a secret's name wherever they stand in it
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "pass",
        "pwd",
        "secret",
        "secrets",
        "token",
        "credential",
        "credentials",
        "creds",
        "authorization",
        "auth",
        "apikey",
        "privatekey",
    }
)
# glued names: ``PGPASSWORD``, ``dbpasswd``, ``csrftoken``
_SECRET_ENDINGS = ("password", "passwd", "secret", "token", "apikey")
# "... key" names a secret only after one of these (``api_key``, ``AWS_SECRET_ACCESS_KEY``)
_KEY_QUALIFIERS = frozenset(
    {"api", "access", "secret", "private", "signing", "encryption", "master", "client", "app"}
)
# a last word that makes the name describe something about the secret, not the secret itself
_DESCRIPTIVE_TAILS = frozenset(
    {
        "type",
        "types",
        "count",
        "id",
        "ids",
        "url",
        "uri",
        "endpoint",
        "name",
        "names",
        "expires",
        "expiry",
        "expiration",
        "ttl",
        "length",
        "len",
        "size",
        "file",
        "path",
        "ref",
        "version",
        "age",
        "method",
        "source",
        "present",
        "refreshed",
        "changed",
        "enabled",
        "required",
        "hint",
        "policy",
        "format",
        "scope",
        "scopes",
        "hash",
        "prefix",
        "algorithm",
        "alg",
        "kind",
        "mode",
        "status",
        "flow",
        "provider",
        "header",
        "time",
        "at",
        "used",
        "valid",
        "timeout",
    }
)
_AUTH_SCHEME = re.compile(r"(?i)^(bearer|basic|token|digest|apikey|api-key|sso-key)[ \t]+")
_REFERENCE = re.compile(r"(?i)^(?:https?://|file:|vault:|arn:|env:|secret:|/|\.{1,2}/|\$)")
MIN_VALUE = 6
MAX_VALUE = 512


def names_secret(key: str) -> bool:
    """Whether a key such as ``AWS_SECRET_ACCESS_KEY`` or ``db_password`` names a secret
    (``token_type``, ``secret_name``, ``api_key_id`` describe one and do not)."""
    tokens = name_tokens(key)
    if not tokens or tokens[-1] in _DESCRIPTIVE_TAILS:
        return False
    if any(t in _SECRET_WORDS or t.endswith(_SECRET_ENDINGS) for t in tokens):
        return True
    return any(
        t == "key" and i > 0 and tokens[i - 1] in _KEY_QUALIFIERS for i, t in enumerate(tokens)
    )


def looks_like_value(value: str, blanks: bool = False) -> bool:
    """A literal credential rather than a placeholder, reference, flag or sentence
    (``blanks``: the value was quoted, so blanks may belong to it)."""
    if not MIN_VALUE <= len(value) <= MAX_VALUE:
        return False
    if (not blanks and any(c.isspace() for c in value)) or value.isdigit():
        return False
    lowered = value.lower()
    if lowered in ("true", "false", "null", "none", "bearer", "present", "enabled"):
        return False
    if _REFERENCE.match(value) or "redacted" in lowered:
        return False
    return not filters.is_placeholder(value, strict_words=False)


@dataclass(frozen=True, slots=True)
class KeyedHit:
    """Characters ``start:end`` of a text are a secret value; ``rule_id`` says why."""

    start: int
    end: int
    rule_id: str


def find_keyed_value(key: str, value: str) -> KeyedHit | None:
    """The secret part of ``value`` stored under ``key`` (after an auth scheme such as
    ``Bearer``), or None."""
    if not names_secret(key):
        return None
    start = 0
    scheme = _AUTH_SCHEME.match(value)
    if scheme is not None:
        start = scheme.end()
    if not looks_like_value(value[start:]):
        return None
    return KeyedHit(start, len(value), KEYED_RULE)


# libpq conninfo: ``keyword = value`` pairs; a value is single-quoted (``\'`` and ``\\``
# escapes) or runs to the next blank
_DSN_PASSWORD = re.compile(
    r"(?i)(?:password|passwd|pwd)[ \t]*=[ \t]*(?:'((?:[^'\\\n]|\\.){1,256})'|([^\s'\"]{1,256}))"
)
_DSN_CONTEXT = re.compile(
    r"(?i)(?<![\w.-])(?:host|hostaddr|port|dbname|user|sslmode|service|connect_timeout)[ \t]*="
)
_DSN_WORD = re.compile(r"(?:password|passwd|pwd)[ \t]*=")  # over lowered text


def _word_starts(text: str) -> list[int]:
    """Where ``password``, ``passwd`` or ``pwd`` starts a name in ``text`` (any case)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = text  # a character changed length when lowered: look for lower case only
    return [
        m.start()
        for m in _DSN_WORD.finditer(lowered)
        if m.start() == 0 or text[m.start() - 1] not in NAME_CHARS
    ]


def find_dsn_passwords(text: str) -> list[KeyedHit]:
    """Password values of libpq/DSN key-value connection strings in ``text`` (any number of
    lines): a ``password=`` pair on a line that also holds another connection keyword."""
    hits: list[KeyedHit] = []
    for pos in _word_starts(text):
        m = _DSN_PASSWORD.match(text, pos)
        if m is None:
            continue
        group = 1 if m.group(1) is not None else 2
        if not looks_like_value(m.group(group), blanks=group == 1):
            continue
        line_start = text.rfind("\n", 0, pos) + 1
        line_end = text.find("\n", m.end())
        line = text[line_start : len(text) if line_end == -1 else line_end]
        if _DSN_CONTEXT.search(line) is None:
            continue
        start, end = m.span(group)
        hits.append(KeyedHit(start, end, DSN_RULE))
    return hits
