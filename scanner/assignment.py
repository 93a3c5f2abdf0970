"""Assignment context for the generic rules: which name a value is assigned to, how (``=``,
``:``, ``=>``, a call, an XML element, a CLI flag), whether it is a literal, in what kind of
file, and from all that a per-finding confidence.

The generic rules' regexes only *locate* a credential word followed by an assignment; ``assess``
decides whether what is assigned is a credential and how sure we are: the syntax is parsed by
``assignsyntax``, the line around it is judged here, the value is scored by ``assignscore``.
Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import replace

from scanner.assignscore import Assessment, finish, is_out_of_length
from scanner.assignsyntax import (
    QUOTES,
    Assignment,
    in_assigned_block_string,
    is_in_string,
    is_interpolated,
    keyword_argument,
    line_bounds,
    lines_ahead,
    lines_back,
    opener_length,
    parse_assignment,
)
from scanner.filekind import FileContext, file_context
from scanner.namebefore import CALL_NOT_GIVEN
from scanner.nameshape import Kind, NameInfo, name_info
from scanner.namespan import name_span
from scanner.prose import is_phrase_head
from scanner.testvectors import is_test_vector
from scanner.valueforms import is_doc_field, is_pointer_type, is_prose

__all__ = [
    "Assessment",
    "Assignment",
    "assess",
    "assess_cli_password",
    "assess_named",
    "name_span",
    "parse_assignment",
]

# calls that take a name and its value: define('DB_PASSWORD', ...), headers.set("X-Api-Key", ...),
# props.put("mail.smtp.password", ...), DefaultRequestHeaders.Add("X-Api-Key", ...)
_DEFINE = re.compile(
    r"\b(?:define|const|set|setenv|putenv|getenv|get|fetch|config|setting|option|put|add|append"
    r"|setproperty"
    r"|setheader|addheader|set_header|add_header|header|setitem|setdefault)\s*\(\s*['\"]$",
    re.I,
)
_SETTERS = frozenset(
    [
        "set",
        "with",
        "put",
        "add",
        "update",
        "change",
        "use",
        "new",
        "reset",
        "check",
        "verify",
        "validate",
        "login",
        "auth",
    ]
)


def _not_given(words: tuple[str, ...]) -> bool:
    """The words before the credential word of a called method say the call does something
    with a secret rather than take one (``get_secret``, ``loadKey``), or are not words at all
    (``x2Password``); nouns only (``NodeAuthPassword``, ``ApiKey``) name an option set to it."""
    return any(w in CALL_NOT_GIVEN or not w.isalpha() or len(w) < 2 for w in words)


# names that hold the name of something when compared: ``key == "fooBar"``, ``k == "token"``
_LOOKUP_NAMES = frozenset(["key", "k", "name", "field", "attr", "prop", "param", "option"])
# a camelCase or snake_case identifier: ``oauth2Credential``, ``s3Configurations``
# a status badge's address: SonarQube/SonarCloud ``api/project_badges/measure?...&token=``
_BADGE_URL = re.compile(r"(?i)/(?:project_)?badges?/[\w./-]*\?")
_KEY_ID = re.compile(r"(?:0x)?(?:[0-9A-Fa-f]{8}|[0-9A-Fa-f]{16}|[0-9A-Fa-f]{40})!?")
_LONG_KEY_ID = re.compile(r"(?:0x)?(?:[0-9A-Fa-f]{16}|[0-9A-Fa-f]{40})")
# what a package repository's signing key is set beside: a key server, the package manager,
# OpenPGP itself, the keyring (``apt::source { location => ..., repos => ..., key => ... }``);
# not a repository alone, which a CI job's deploy key stands beside as well
_OPENPGP_NEAR = re.compile(
    r"(?i)key[-_ ]?server|(?<![a-z])(?:gpg|pgp|gnupg|apt|yum|zypper|keyring)(?![a-z])"
)
# a capitalised type's name before ``[``: ``Pattern[``, ``Optional[``, ``Array[``
_TYPE_NAME = re.compile(r"[A-Z][A-Za-z0-9_]{1,40}(?:(?:\.|::)[A-Z][A-Za-z0-9_]{0,40})*")
_CALLEE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,80}")  # a function's name, before its "("
_IDENTIFIER = re.compile(r"[a-z][a-z0-9]*(?:[A-Z][a-z0-9]+)+|[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
_URL_USERINFO = re.compile(r"://[^/\s@:\"'`]*$")
_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|N\{[^}]*\}|.)")
_NETRC = re.compile(r"^[ \t]*(?:(?:machine|login|account)[ \t]+\S+[ \t]+|default[ \t]+)*$")
_NETRC_MACHINE = re.compile(r"(?:^|\n)[ \t]*(?:machine[ \t]+\S+|default)\b")
_DB_CLIENT = re.compile(
    r"\b(?:mysql(?:dump|admin|import|check|sh)?|mariadb(?:-dump)?|sshpass|mongo(?:sh|dump|restore"
    r"|import|export)?|redis-cli|sqlcmd|isql|psql|pg_dump|vsql|clickhouse-client|influx)\b",
    re.IGNORECASE,
)


# a public key named on the lines before a bare ``key``: ``PublicKey(key_id=..., key="...")``,
# a recorded ``GET .../secrets/public-key`` and its answer
_PUBLIC_KEY = re.compile(r"(?i)public[-_ ]?key")
# the secret half of an S3-style key pair, set beside an ``access_key`` (ClearML, MinIO, rclone,
# Wasabi, DigitalOcean Spaces): the access key is then the pair's id
_SECRET_KEY_SIBLING = re.compile(r"(?i)secret[-_ ]?(?:access[-_ ]?)?key")


# a property list's value element after a ``<key>`` element: the key holds a name
_PLIST_VALUE = re.compile(
    r"</key>\s{0,200}<(?:string|data|date|dict|array|integer|real|true|false)\b"
)
# the underline of a reStructuredText or Markdown (setext) heading, on the next line
_UNDERLINE = re.compile(r"\r?\n[ \t]{0,40}([-=~^*#+])\1{2,}[ \t]*\r?(?:\n|$)")


_TEST_STATUS = frozenset({"PASS", "XPASS", "KPASS", "UPASS"})
"""Result words of test logs (DejaGnu, TAP, Automake) that read like a ``PASS:`` setting."""


def assess(
    text: str,
    keyword_pos: int,
    value_pos: int,
    path: str = "",
    file: FileContext | None = None,
    want: tuple[Kind, ...] = (),
    value_end: int | None = None,
) -> Assessment | None:
    """Decide whether the value at ``value_pos``, assigned to the name around ``keyword_pos``,
    is a credential; ``want`` restricts the name kinds the calling rule reports."""
    fc = file if file is not None else file_context(path)
    if fc.skip:
        return None
    value_pos += opener_length(text, value_pos)
    span = name_span(text, keyword_pos)
    # ``AuthClient(token="...")``: the keyword argument names the value, not the callee
    span = keyword_argument(text, span[1], value_pos) or span
    info = name_info(text[span[0] : span[1]])
    if info.reason or info.kind is Kind.NONE or (want and info.kind not in want):
        return None
    a = parse_assignment(text, keyword_pos, value_pos, value_end, span)
    if a is None or not a.value or is_out_of_length(a.value, info.kind):
        return None  # (``finish`` turns a value of that length down whatever else holds)
    name_lo = span[0]
    line_start, line_end = line_bounds(text, name_lo, a.end)
    line_before = text[line_start:name_lo]
    in_string = is_in_string(line_before, text[span[1] : span[1] + 1])
    # YAML or prose in ``EXAMPLES = r'''...'''``: literals, not code
    code = fc.kind == "code" and not in_string and not in_assigned_block_string(text, name_lo)
    if a.op == ":" and line_before.count("`") % 2 == 1 and text[span[1] : span[1] + 2] == ':"':
        return None  # a Go struct tag: `json:"token" protobuf_key:"bytes,1,opt,name=key"`
    if _URL_USERINFO.search(line_before):
        return None  # https://deploy-token-1:<token>@host: the URL rules judge the userinfo
    if a.op == ":" and line_before.endswith(":") and in_string:
        return None  # an ARN or URN segment: "arn:aws:secretsmanager:...:secret:MySecret-a1b2"
    if a.form == "flag" and a.value.startswith(("-", "@")):
        return None  # ``--disabled-password --no-create-home``, ``--key @file``: not a value
    if a.op == ":" and not line_before.strip() and text[name_lo : span[1]] in _TEST_STATUS:
        return None  # a test log's result line (PASS, then the test's name), not a password
    if a.form == "xml" and a.name == "key" and _PLIST_VALUE.match(text, a.end):
        return None  # a property list's <key>: the name of the value in the element after it
    if is_interpolated(text, a):
        return None  # f"{plan}-{build}", "{}/{}".format(...): fields filled in by code
    if a.op in (":", "=") and is_phrase_head(text, a.start, a.end):
        return None  # "field_password_confirmation: Confirm password": a label, a message
    if is_doc_field(line_before):
        return None  # a docstring field that documents the name, not an assignment
    if in_string and a.op == ":" and is_prose(line_before):
        return None  # a sentence in a message: "in the password: ..."
    if a.form == "flag":
        flag = text[name_lo : name_lo + 2] == "--" or (
            text[name_lo : name_lo + 1] == "-" and bool(_DB_CLIENT.search(line_before))
        )
        netrc = (
            info.kind is Kind.PASSWORD
            and bool(_NETRC.match(line_before))
            and bool(_NETRC_MACHINE.search(text, max(0, name_lo - 300), name_lo + 1))
        )
        if not (flag or netrc):
            return None
        code = False  # a command line, even inside a comment or docstring of a code file
    if a.form in ("call", "compare") and not a.quote:
        return None
    if a.form == "compare" and (a.name.lower() in _LOOKUP_NAMES or _IDENTIFIER.fullmatch(a.value)):
        return None  # ``if key == "oauth2Credential"``: a dictionary key or field name
    if a.form == "compare" and a.value.isalpha() and a.value.isupper():
        return None  # ``state !== 'ENFORCE'``: an enum constant
    if "\\" in a.value and len(_ESCAPE.sub("x", a.value)) < 6:
        return None  # ``password="\u2163"``: one or two escaped characters (a unicode test)
    if not a.quote and text[a.end : a.end + 1] == "(" and (code or _CALLEE.fullmatch(a.value)):
        return None  # ``private_key = Ed25519PrivateKey.generate()``, HCL ``jsondecode(...)``
    if (
        not a.quote
        and text[a.end : a.end + 1] == "["
        and (_TYPE_NAME.fullmatch(a.value) or (code and _CALLEE.fullmatch(a.value)))
    ):
        return None  # Puppet ``Pattern[/.../]``, ``Module.defaults[key]``: a type, an index
    if a.op == "," and not (a.quote and text[span[1] : span[1] + 1] in QUOTES):
        return None  # only define('DB_PASSWORD', '...'): a quoted name, then a quoted value
    if a.op == "," and not _DEFINE.search(line_before):
        return None
    if a.form == "call" and text[a.end + 1 : a.end + 2] == ",":
        return None  # set_password("service", user, pw): the first of several arguments
    if info.tokens == ("key",) and _PUBLIC_KEY.search(text, lines_back(text, line_start), name_lo):
        return None  # {"key_id": ..., "key": ...} answering a public-key request
    if info.tokens[-2:] == ("access", "key") and _SECRET_KEY_SIBLING.search(
        text, lines_back(text, line_start, 3), lines_ahead(text, line_end, 3, 600)
    ):
        return None  # access_key beside secret_key: the id of the pair, not its secret
    if info.tokens == ("token",) and _BADGE_URL.search(line_before):
        return None  # a status badge's URL (SonarQube project_badges): a read-only badge token
    if text[name_lo : span[1]].lower() == "signingkey" and _KEY_ID.fullmatch(a.value):
        return None  # git's user.signingkey: the ID or fingerprint of a GPG key, not the key
    if (
        info.kind is Kind.KEY
        and _LONG_KEY_ID.fullmatch(a.value)
        and _OPENPGP_NEAR.search(
            text, lines_back(text, line_start, 4), lines_ahead(text, line_end, 4, 600)
        )
    ):
        return None  # apt::source's key, a repo_key beside key_server: an OpenPGP fingerprint
    if info.tokens in (("key",), ("secret",)) and is_test_vector(a.value, text, name_lo):
        return None  # a cipher's known-answer key among its nonce, iv, pt, ct, tag fields
    if a.form == "call":
        callee = name_info(re.split(r"\.|->|::", a.name)[-1])
        if callee.kind is Kind.NONE or callee.after:
            return None  # password.encode("utf-8"): a method of the secret, not the secret
        if callee.before and callee.before[0] not in _SETTERS and _not_given(callee.before):
            return None  # get_secret("name"), load_key("id"): the argument names the secret
    return finish(a, info, fc, code, in_string, line_end - line_start)


def assess_named(
    text: str,
    name: str,
    value_start: int,
    value_end: int,
    quote: str,
    path: str = "",
    file: FileContext | None = None,
) -> Assessment | None:
    """A value whose name is given separately: ``<add key="DbPassword" value="..."/>``,
    ``<property name="password" value="..."/>``."""
    fc = file if file is not None else file_context(path)
    if fc.skip:
        return None
    info = name_info(name)
    if info.reason or info.kind is Kind.NONE:
        return None
    value = text[value_start:value_end]
    if fc.kind == "code" and quote not in ('"', "'", "`") and is_pointer_type(value):
        return None  # a struct field and its type: ``PrivateKey *rsa.PrivateKey``
    a = Assignment(name, "=", quote, value, value_start, value_end, "xml")
    line_start, line_end = line_bounds(text, value_start, value_end)
    if _UNDERLINE.match(text, line_end):
        return None  # "Password Management" over a line of dashes: a heading, not a setting
    line_len = line_end - line_start
    if "&" in value:
        import html

        plain = html.unescape(value)  # &lt;password&gt; is the placeholder <password>
        if (
            plain != value
            and finish(replace(a, value=plain), info, fc, False, False, line_len) is None
        ):
            return None
    return finish(a, info, fc, False, False, line_len)


def assess_cli_password(
    text: str, value_start: int, value_end: int, path: str = "", file: FileContext | None = None
) -> Assessment | None:
    """The argument of a database client's password option (``mysql -pX``, ``sshpass -p X``)."""
    fc = file if file is not None else file_context(path)
    if fc.skip:
        return None
    value = text[value_start:value_end]
    info = NameInfo(Kind.PASSWORD, ("password",), 0)
    # a quoted argument is a literal (``ConvertTo-SecureString 'LanternWalrus535'``), not a name
    before = text[value_start - 1 : value_start]
    quote = before if before in ("'", '"') and text[value_end : value_end + 1] == before else ""
    a = Assignment("password", " ", quote, value, value_start, value_end, "flag")
    line_start, line_end = line_bounds(text, value_start, value_end)
    return finish(a, info, fc, False, True, line_end - line_start)
