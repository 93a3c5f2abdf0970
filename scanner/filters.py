"""False-positive filters: small pure predicates over a candidate secret or its line.

Each ``is_*``/``has_*`` function answers one question and is tested on its own.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from urllib.parse import unquote

from scanner.testvectors import has_counting_bytes
from scanner.valuekinds import (
    has_closed_template,
    is_named_slot,
    is_placeholder_value,
    is_shouted_stand_in,
    is_symbol_soup,
)
from scanner.valuemeasure import char_classes
from scanner.valuewords import DOCUMENTATION_VALUES

ALLOW_MARKER = "keyguard:allow"
ALLOW_NEXT_LINE_MARKER = "keyguard:allow-next-line"

# Well-known documentation values (published by providers as non-working examples), and
# public installed-app OAuth clients shipped in every copy of a tool (the Cloud SDK's
# application-default client: Google documents installed-app client secrets as not secret).
KNOWN_EXAMPLES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "ASIAIOSFODNN7EXAMPLE",
        "AKIAI44QH8DHBEXAMPLE",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com",
        "d-FL95Q19q7MQmFpd7hHD0Ty",
        # the storage emulator's fixed account key (devstoreaccount1), the same in every copy
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
        # the sample test keys printed in Stripe's API reference for every reader
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
        # Hardhat's (and Anvil's) development accounts #0 and #1, printed by every local node
        "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    }
)
_PLACEHOLDER_WORDS = (
    "changeme",
    "change_me",
    "placeholder",
    "redacted",
    "your_",
    "your-",
    "yourkey",
    "yourapi",
    "yoursecret",
    "yourtoken",
    "replace_me",
    "replaceme",
    "insert_",
    "insert-your",
    "dummy",
    "sample",
    "notarealkey",
    "not_a_real",
    "not-a-real",
    "fakefake",
    "secret_here",
    "key_here",
    "token_here",
)
_WEAK_WORDS = ("example",)
_TEMPLATE = re.compile(
    r"\$\{|\{\{|\}\}|%\(|\$\(|^\$(?:[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*)$|^\$[A-Z_][A-Z0-9_]+[^\w]"
    r"|^<[^>]*>$|^<[A-Za-z_ -]{3,}"
    r"|^%[A-Za-z_]+%$|^\[[A-Za-z_ -]+\]$"
    # ``%{User-Name}`` (FreeRADIUS unlang, Ruby and Rails interpolation), ``{$API.PASSWORD}``
    # and ``{#JMXOBJ}`` (Zabbix user and discovery macros)
    r"|%\{[A-Za-z_]|\{[$#][A-Z_]"
)
_RUN4 = re.compile(r"([^0-9])\1{3,}|([0-9])\2{5,}")
_RUN5 = re.compile(r"([^0-9])\1{4,}|([0-9])\2{5,}")
# one letter case only (hex, base32, lower-case alphanumerics): 16 to 36 symbols, so four equal
# letters in a row turn up by chance in 0.2 % (32 hex digits) to 0.5 % (64) of random keys
_ONE_CASE = re.compile(r"[0-9a-z]+|[0-9A-Z]+")
LONG_ONE_CASE = 32
_MASKED = re.compile(r"[*•]{3,}|x{4,}|X{4,}|\.{3,}|#{4,}")
_SEQUENCES = (
    "0123456789",
    "abcdefghijklmnopqrstuvwxyz",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "9876543210",
    "qwertyuiop",
    "asdfghjkl",
)


_ESCAPED = re.compile(r"\\(?:x[0-9a-fA-F]{2}|[0-7]{1,3}|.)")
_VARIABLE = re.compile(r"^\$[A-Za-z_]\w*$")


def is_template(value: str) -> bool:
    """``${VAR}``, ``{{ var }}``, ``%(name)s``, ``$(cmd)``, ``<your-key>``, ``$VAR``,
    ``%{name}``, Zabbix's ``{$MACRO}`` and ``{#MACRO}``, and a
    variable next to escapes (``"\\0$name"`` interpolated in PHP or Perl, ``$name\\-`` in troff)."""
    if _TEMPLATE.search(value):
        return not is_symbol_soup(value) or has_closed_template(value)
    bare = _ESCAPED.sub("", value)
    return bare != value and bool(_VARIABLE.match(bare))


# A path of names joined by ``::`` (Perl packages, Rust and C++ paths, PHP static members), or
# what is left of one after a ``:`` read as the assignment: ``Net::Fake::VERSION_2``,
# ``:SignatureFake::HMAC``, ``&fake::Prk`` (a Rust type), ``Fake::Cache->get()``.
_CODE_PATH = re.compile(r"^(?:&(?:mut )?|:)?[A-Za-z_]\w*(?:::[A-Za-z_]\w*)*(?:->|-|\.)?$")


def is_code_path(value: str) -> bool:
    """A ``::`` path of names (or its tail after a ``:``), not a literal."""
    return (value.startswith(":") or "::" in value) and bool(_CODE_PATH.match(value))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# an escaped byte that is no printable ASCII character: ``\x00``, ``\x1f``, ``\x9b``
_ESCAPED_BYTE = re.compile(r"\\x(?:[01][0-9a-fA-F]|7[fF]|[89a-fA-F][0-9a-fA-F])")


def is_binary(value: str) -> bool:
    """Control characters (``b"\\x9b\\x05..."`` unescaped), or two escaped non-printable bytes
    as the literal is written (``b"\\x00c\\x0f\\xea..."``): raw bytes such as a test vector,
    not a token or a password anyone types or pastes."""
    return bool(_CONTROL.search(value)) or len(_ESCAPED_BYTE.findall(value)) >= 2


# type names read as the value of a declaration: ``LDAPUsername, LDAPPassword string``
_TYPE_NAMES = frozenset({"string", "[]byte", "str", "bytes", "secretstr", "&str", "char[]"})


def is_type_name(value: str) -> bool:
    """A declared type, also as reStructuredText or Markdown writes it (``string``)."""
    return value.strip("`").lower() in _TYPE_NAMES


def is_masked(value: str) -> bool:
    """``****``, ``xxxx``, ``....``: a value someone already masked."""
    return bool(_MASKED.search(value))


def has_long_run(value: str) -> bool:
    """Four identical letters or symbols in a row (``aaaa``, ``----``), or six identical
    digits (``000000``): random numeric ids contain four equal digits often enough. A key of
    ``LONG_ONE_CASE`` or more characters in one letter case (hex, base32) needs five equal
    letters: from its smaller alphabet four come by chance (about 1 key in 200 of 64 hex)."""
    if len(value) >= LONG_ONE_CASE and _ONE_CASE.fullmatch(value):
        return bool(_RUN5.search(value))
    return bool(_RUN4.search(value))


def has_sequence(value: str, length: int = 8) -> bool:
    """A run of ``length`` sequential characters (``abcdefgh``, ``12345678``)."""
    return next(_sequence_runs(value, length), None) is not None


# punctuation in ASCII order and the shifted digit row of a keyboard: the filler of escaping
# tests (``pass!@#$%^&*()_+``, `` !"#$%&'()*+,-.``), not a password anyone chose
_SYMBOL_SEQUENCES = ("!\"#$%&'()*+,-./", "!@#$%^&*()")


def _sequence_runs(value: str, length: int = 8) -> Iterator[str]:
    """The ``length``-character sequences found in ``value``, lazily (the first one answers
    ``has_sequence``)."""
    for seq in (*_SEQUENCES, *_SYMBOL_SEQUENCES):
        for start in range(len(seq) - length + 1):
            if seq[start : start + length] in value:
                yield seq[start : start + length]


def is_stepped(value: str) -> bool:
    """Three or more ascending runs of three or more characters and nothing else:
    ``abc123def456``, ``abc123def456ghi789``: typed along the alphabet and the digit row to
    fill a field, not drawn at random."""
    runs = 1
    length = 1
    for a, b in zip(value, value[1:], strict=False):
        if ord(b) - ord(a) == 1:
            length += 1
            continue
        if length < 3:
            return False
        runs, length = runs + 1, 1
    return length >= 3 and runs >= 3


def is_composed_password(value: str) -> bool:
    """``Aa12345678910!!!!``, ``Summer2024!!!!aaaa``: a human-made password of 10 to 32
    characters that, without its runs and sequences, still mixes upper and lower case and a
    digit or symbol in four or more characters (not ``sk-1234567890``). A run or a sequence is how
    people lengthen a password to meet a policy, not a sign of a stand-in."""
    if not 10 <= len(value) <= 32 or char_classes(value) < 3:
        return False
    rest = _RUN4.sub("", value)
    for run in _sequence_runs(value):
        rest = rest.replace(run, "")
    mixed_case = any(c.isupper() for c in rest) and any(c.islower() for c in rest)
    return len(rest) >= 4 and mixed_case and char_classes(rest) >= 3


def is_known_example(value: str) -> bool:
    """A value published as a non-working example: a provider's documentation key, or a
    standard's example credential (RFC 6749's client ``s6BhdRkqt3:gX1fBat3bV``), for every
    rule (a Basic header in a docstring as much as a generic assignment)."""
    if value in KNOWN_EXAMPLES or value in DOCUMENTATION_VALUES:
        return True
    return any(v in value for v in KNOWN_EXAMPLES)


# what only stands in for a value: metasyntactic words (``foobar``, ``foo:bar``, ``baz_qux``),
# and a credential word, alone (``password``, ``token``), after a determiner (``some_pass``,
# ``the-secret``, ``our_token``) or after a word that says it is not real (``fake_password``,
# ``dummy-token``, ``mock_secret``), and one of several numbered apart (``password_1``,
# ``password_2``: an example's inbound and outbound secrets)
_METASYNTACTIC = re.compile(
    r"^(?:(?:foo|bar|baz|qux|quux|corge|grault|garply|waldo|plugh|xyzzy|thud)[-_.:]?)+\d{0,3}$",
    re.IGNORECASE,
)
_DETERMINED_WORD = re.compile(
    r"^(?:(?:my|your|some|the|our|their|any|this|a|an|fake|dummy|mock|bogus)[-_.]?)?"
    r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|key|api[-_]?key|credential)s?(?:[-_.][0-9])?$",
    re.IGNORECASE,
)


def is_stand_in_word(value: str) -> bool:
    """``foobar``, ``foo:bar``, ``some_pass``: words that stand for a value, not a value."""
    return bool(_METASYNTACTIC.match(value) or _DETERMINED_WORD.match(value))


_BASE64 = re.compile(r"^[A-Za-z0-9+/]{4,}={0,2}$")


def _base64_text(value: str) -> str | None:
    """The printable text that a base64 ``value`` encodes, or None."""
    if len(value) > SHAPE_CHECK_MAX or not _BASE64.match(value):
        return None
    try:
        text = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    text = text.rstrip("\r\n")
    return text if text and text.isprintable() else None


def _is_stand_in_text(text: str) -> bool:
    return is_placeholder_value(text) or is_stand_in_word(text)


ENCODED_MAX = 64
"""The longest value URL-decoded to judge what it encodes (a password, a URL's userinfo)."""


def is_encoded_stand_in(value: str, strict_words: bool = True) -> bool:
    """A stand-in once decoded: URL-encoding of a placeholder, of fewer than four characters
    (``%3A%40c``, an emoji), of raw bytes (``pass%5B%7F``) or of a symbol sequence
    (``pass%21%40%23%24%25%5E%26%2A%28%29``, a URL parser's escaping test); base64 of a
    placeholder (``cGFzc3dvcmQ=``) or of Basic ``user:password`` whose password is one
    (``login:pass``, ``ім'я:пароль``). Only a value of typed length is URL-decoded: a long
    token may hold a ``%`` of its own (Budibase's ``<hex32>%<hex64>``)."""
    if "%" in value and len(value) <= ENCODED_MAX:
        decoded = unquote(value)
        if decoded != value and (len(decoded) < 4 or is_placeholder(decoded, strict_words)):
            return True
    text = _base64_text(value)
    if text is None:
        return False
    _user, sep, password = text.partition(":")
    return _is_stand_in_text(password if sep else text)


def has_placeholder_word(value: str, include_weak: bool) -> bool:
    lowered = value.lower()
    if any(w in lowered for w in _PLACEHOLDER_WORDS):
        return True
    return include_weak and any(w in lowered for w in _WEAK_WORDS)


_WORDS = re.compile(r"[A-Z]?[a-z]{2,}")
_IDENT_CHARS = re.compile(r"^[A-Za-z0-9_.]+$")


def looks_like_identifier(value: str) -> bool:
    """``Mistral3ForConditionalGeneration``, ``.models.v1_secret_list``, ``max_tokens_per_1``:
    word-like runs cover most of the value and nothing but ``_``/``.`` separates them."""
    if not _IDENT_CHARS.match(value) or len(value) > 80:
        return False
    words = _WORDS.findall(value)
    if len(words) < 2:
        return False
    covered = sum(len(w) for w in words)
    return covered >= 0.7 * sum(c.isalpha() for c in value) and covered >= 0.6 * len(value)


# a class named in words (an acronym may lead: ``HTTPStatus``, ``OAuth2Scope``), an upper-case
# member; a random token with one dot (``BUTG1K1DQmBvb.J1``) is neither (possessive: no
# backtracking through a long run of letters and digits)
_ENUM_MEMBER = re.compile(r"^[A-Z]{1,6}[a-z]++(?:[A-Z]{1,5}[a-z]++|[0-9]++)*+\.[A-Z][A-Z0-9_]*$")


def is_enum_member(value: str) -> bool:
    """``AxisOrder.AUTHORITY``, ``Mode.SECRET``: a class attribute, not a value."""
    return bool(_ENUM_MEMBER.match(value))


SHAPE_CHECK_MAX = 100


def is_placeholder(value: str, strict_words: bool = True, runs: bool = True) -> bool:
    """Any of the placeholder shapes; ``strict_words`` adds weak words like ``example``;
    ``runs=False`` for a format whose keys hold runs of one character by design (reCAPTCHA
    keys: ``6L`` and six characters, then ``AAAAA``).

    Shape checks (runs, sequences, masks, words) apply to token-sized values only: long
    secrets such as key blocks legitimately contain runs (``AAAA`` in every OpenSSH key).
    Runs and sequences do not make a placeholder of a generic rule's composed password
    (``strict_words``: the generic rules, whose context assessment judged the value already);
    a provider token's format has no room for them, so there they still do.
    """
    if is_template(value) or is_known_example(value) or is_code_path(value):
        return True
    if is_binary(value) or is_type_name(value):
        return True
    if len(value) > SHAPE_CHECK_MAX:
        return False
    if is_masked(value) or has_placeholder_word(value, strict_words):
        return True
    if is_stand_in_word(value) or is_encoded_stand_in(value, strict_words):
        return True
    if is_shouted_stand_in(value) or is_named_slot(value):
        return True  # MYSUPERSECRETKEY, DB_PASSWORD: capitals naming the credential they stand for
    if has_counting_bytes(value) or is_stepped(value):
        return True
    if not runs or not (has_long_run(value) or has_sequence(value)):
        return False
    return not (strict_words and is_composed_password(value))


def has_allow_marker(line: str, previous_line: str = "") -> bool:
    """The inline marker on the line, or the next-line marker on the line before."""
    if ALLOW_MARKER in line and ALLOW_NEXT_LINE_MARKER not in line:
        return True
    return ALLOW_NEXT_LINE_MARKER in previous_line
