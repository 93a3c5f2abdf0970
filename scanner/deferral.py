"""When a generic rule steps aside: the assigned name names a provider that the loaded rules
cover (``MISTRAL_API_KEY``: the Mistral rules decide), so a near miss of a known format is not
reported by the generic rule. English words and credential words are not provider names."""

from __future__ import annotations

import re

from scanner.namespan import name_bounds
from scanner.rulebook.genericwords import GENERIC_WORDS

_NOT_A_PROVIDER = frozenset(
    [
        "age",
        "privatekey",
        "bind",
        "box",
        "line",
        "matrix",
        "modal",
        "monday",
        "segment",
        "spaces",
        "shortcut",
        "together",
        "wise",
        "bolt",
        "checkout",
        "comet",
        "exa",
        "expo",
        "percy",
        "readme",
        "render",
        "sauce",
        "signalfx",
        "neon",
        "dose",
        "atlas",
        "circle",
        "drone",
        "duo",
        "galaxy",
        "jira",
        "linear",
        "lob",
        "notion",
        "octopus",
        "oracle",
        "plaid",
        "square",
        "stream",
        "stability",
        "spaces",
        "vault",
        "zoom",
    ]
)


# Words that name a kind of credential, not who issued it: ``license`` + ``key`` or
# ``consumer`` + ``secret`` joined are not provider names even when a rule's keyword is.
_CREDENTIAL_WORDS = GENERIC_WORDS | frozenset(
    [
        "key",
        "keys",
        "secret",
        "secrets",
        "token",
        "tokens",
        "password",
        "passwd",
        "pwd",
        "pass",
        "consumer",
        "license",
        "master",
        "signing",
        "encryption",
        "subscription",
        "shared",
        "storage",
    ]
)


def _names_provider(name: str, providers: frozenset[str]) -> bool:
    """Whether ``name`` names one of ``providers``: one of its tokens, or two neighbouring
    tokens joined (``new`` + ``relic``) when neither is a credential word (``license`` +
    ``key`` is not a provider's name)."""
    tokens = name_tokens(name)
    for i, token in enumerate(tokens):
        if token in providers:
            return True
        if i + 1 < len(tokens):
            nxt = tokens[i + 1]
            if token in _CREDENTIAL_WORDS or nxt in _CREDENTIAL_WORDS:
                continue
            if token + nxt in providers:
                return True
    return False


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def assignment_name(text: str, start: int, limit: int = 64) -> str:
    """The identifier around ``start`` (``MISTRAL_API_KEY``, ``acme.apiToken``)."""
    lo, hi = name_bounds(text, start, limit)
    return text[lo:hi]


def name_tokens(name: str) -> list[str]:
    """``MISTRAL_API_KEY`` → mistral, api, key; ``newRelicKey`` → new, relic, key."""
    spaced = _CAMEL.sub("_", name)
    return [t for t in re.split(r"[_.\-]+", spaced.lower()) if t]
