"""Word lists that say what a setting name is about (data for ``nameshape``): the password
words, words that merely contain ``pass`` or ``key`` (``bypass``, ``keyboard``), id and hash
words. The qualifiers around a credential word are in ``namebefore`` and ``nameafter``."""

from __future__ import annotations

PASSWORD_WORDS = ("password", "passwd", "passphrase", "passcode", "passwort", "pwd", "pass")


NOT_PASS = (
    "bypass",
    "compass",
    "surpass",
    "trespass",
    "overpass",
    "underpass",
    "impass",
    "encompass",
)


NOT_KEY = (
    "monkey",
    "turkey",
    "hockey",
    "donkey",
    "jockey",
    "whiskey",
    "hawkey",
    "lackey",
    "turnkey",
    "latchkey",
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


ID_WORDS = frozenset({"id", "ids", "uuid", "guid", "uid", "oid", "gid", "pk"})


HASH_WORDS = frozenset(
    {"hash", "hashed", "hashes", "digest", "checksum", "sha", "sha1", "sha256", "sha512", "md5"}
)
