"""Logins that are development defaults, not leaks: a URL whose password is its user name on a
local host (``postgres://app:app@localhost/app``), and Oracle's sample ``scott/tiger``. Pure
predicates on the text around a candidate password."""

from __future__ import annotations

import re

# ``://user:user@host``: the host on this machine or a bare service name (``db``, ``postgres``
# in docker-compose), then a port, path, query or the end of the URL
_LOCAL_HOST = re.compile(
    r"@(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]|host\.docker\.internal|[a-z][a-z0-9_-]{0,30})"
    r"(?:[:/?#\"'`\s,;)]|$)",
    re.IGNORECASE,
)


def is_local_echo_login(text: str, start: int, end: int) -> bool:
    """The password of a URL at ``text[start:end]`` is its user name (``billing:billing``) and
    the host is local or a bare service name: a development default, not a leak."""
    if text[end : end + 1] != "@" or text[start - 1 : start] != ":":
        return False
    secret = text[start:end]
    user_start = start - 1 - len(secret)
    if text[user_start - 3 : user_start] != "://":
        return False
    if text[user_start : start - 1].lower() != secret.lower():
        return False
    return _LOCAL_HOST.match(text, end) is not None


# the demonstration login of Oracle's sample schema, which database documentation and test
# configurations use everywhere (``scott/tiger``, SQLAlchemy's ``scott:tiger^5HHH``)
_DEMO_LOGIN = re.compile(r"(?i)(?<![\w.-])scott[:/]tiger")


def is_demo_login(text: str, start: int, end: int) -> bool:
    """The password at ``text[start:end]`` is ``tiger`` (or a variant that starts with it)
    given to the user ``scott``: ``scott:tiger@``, ``scott/tiger``."""
    if not text[start:end].lower().startswith("tiger"):
        return False
    return _DEMO_LOGIN.match(text, max(0, start - 6), start + 5) is not None
