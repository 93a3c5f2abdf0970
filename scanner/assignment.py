"""Assignment context for the generic rules: which name a value is assigned to, how (``=``,
``:``, ``=>``, a call, an XML element, a CLI flag), whether it is a literal, in what kind of
file, and from all that a per-finding confidence.

The generic rules' regexes only *locate* a credential word followed by an assignment; ``assess``
decides whether what is assigned is a credential and how sure we are. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scanner.filekind import FileContext, file_context
from scanner.models import Confidence
from scanner.nameshape import Kind, NameInfo, name_info
from scanner.valueforms import is_doc_field, is_prose, names_itself
from scanner.valueshape import (
    is_hex_digest,
    is_uuid,
    is_weak_value,
    value_verdict,
    weak_words,
)

# ---------------------------------------------------------------------------------------------
# files


# ---------------------------------------------------------------------------------------------
# assignments

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_QUOTES = "\"'`"
_BARE_STOP = re.compile(r"[;,)\]}<>|]|&(?=[A-Za-z_][\w.-]*=)|&(?:amp|quot);|&$")
_OPERATORS = frozenset(", = : := => == != === !== ?= ||= ??= -> > ( || ??".split())  # noqa: SIM905
# a type annotation between the name and ``=``: ``apiKey: string =``, ``token: str =``,
# ``password: String =`` (TypeScript, Python, Kotlin, Swift)
_TYPED = re.compile(r":\s*&?[A-Za-z_][\w.\[\]<>|?]*\s*=")


def name_span(text: str, pos: int, limit: int = 64) -> tuple[int, int]:
    """The span of the setting name around ``pos`` (``db_password``, ``--db-password``)."""
    lo = pos
    while lo > 0 and pos - lo < limit and text[lo - 1] in _NAME_CHARS:
        lo -= 1
    hi = pos
    n = len(text)
    while hi < n and hi - pos < limit and text[hi] in _NAME_CHARS:
        hi += 1
    # a trailing dot or dash belongs to the syntax, not the name (``password.`` / ``key-``)
    while hi > pos and text[hi - 1] in ".-":
        hi -= 1
    return lo, hi


@dataclass(frozen=True, slots=True)
class Assignment:
    """One ``name <op> value`` occurrence."""

    name: str
    op: str  # "=", ":", "=>", "(", ">" (XML element), " " (CLI flag), ...
    quote: str  # the opening quote of a literal value, "" when bare
    value: str
    start: int  # span of the value in the text
    end: int
    form: str = "assign"  # assign | call | xml | flag | compare


def parse_assignment(
    text: str,
    keyword_pos: int,
    value_pos: int,
    value_end: int | None = None,
    span: tuple[int, int] | None = None,
) -> Assignment | None:
    """The assignment whose name contains ``keyword_pos`` and whose value starts at
    ``value_pos`` (and, when given, ends at ``value_end``: the end of the regex's value run),
    or None when the syntax does not hold."""
    lo, hi = span if span is not None else name_span(text, keyword_pos)
    if hi > value_pos:
        return None
    name = text[lo:hi]
    between = text[hi:value_pos]
    quote = ""
    rest = between
    if rest.endswith("&quot;"):
        quote, rest = '"', rest[:-6]
    elif rest.endswith(('\\"', "\\'")):
        quote, rest = rest[-1], rest[:-2]
    elif rest and rest[-1] in _QUOTES:
        quote, rest = rest[-1], rest[:-1]
        if rest and rest[-1] in "rbufRBUF@$" and (len(rest) == 1 or not rest[-2].isalnum()):
            rest = rest[:-1]  # r"..." b'...' f"..." @"..." $"..."
    core = rest.strip()
    core = core.lstrip("\"']").rstrip()  # closing quote/bracket of a quoted key: "password":
    core = core.strip()
    if core.startswith("\\"):  # escaped quotes around a key inside a string: \"password\":
        core = core.lstrip("\\\"'").strip()
    op = core
    if op == "" and rest and rest.strip() == "":
        op = " "
    elif _TYPED.fullmatch(op):
        op = "="
    elif op not in _OPERATORS:
        if op.endswith("(") and op.rstrip("(").strip() in ("", ")"):
            op = "("
        else:
            return None
    # the value: a literal ends at its closing quote; a bare value at a delimiter
    if value_end is None:
        end = value_pos
        n = len(text)
        while end < n and not text[end].isspace() and text[end] not in _QUOTES:
            end += 1
    else:
        end = value_end
    value = text[value_pos:end]
    if quote and between.endswith("&quot;"):
        cut = value.find("&quot;")
        if cut == -1:
            return None
        value, end = value[:cut], value_pos + cut
    elif quote:
        closing = text[end : end + 6]
        if not (
            closing.startswith(quote)
            or (quote == '"' and closing.startswith("&quot;"))
            or (between.endswith("\\" + quote) and text[end - 1 : end + 1] == "\\" + quote)
        ):
            return None
        if between.endswith("\\" + quote) and value.endswith("\\"):
            value = value[:-1]
            end -= 1
    else:
        m = _BARE_STOP.search(value)
        if m is not None:
            value = value[: m.start()]
            end = value_pos + len(value)
    form = "assign"
    if op == "(":
        form = "call"
    elif op == ">":
        form = "xml"
    elif op == " ":
        form = "flag"
    elif op in ("==", "!=", "===", "!=="):
        form = "compare"
    if form == "xml" and (lo == 0 or text[lo - 1] != "<" or not text.startswith("</", end)):
        return None
    return Assignment(name, op, quote, value, value_pos, end, form)


def _opener_length(text: str, pos: int) -> int:
    """Length of the opening quote of a literal at ``pos`` (``"``, ``r'``, ``&quot;``, ``\\"``),
    which a rule's value group may include; 0 for a bare value."""
    c = text[pos : pos + 1]
    if not c:
        return 0
    if c in _QUOTES:
        return 1
    nxt = text[pos + 1 : pos + 2]
    if nxt and nxt in _QUOTES and (c in "rbufRBUF@$" or c == "\\"):
        return 2
    if text.startswith("&quot;", pos):
        return 6
    return 0


def _in_string(line_before: str, after_name: str = "") -> bool:
    """The name sits inside a string literal on its line (an odd number of quotes before it):
    ``"Server=db;Password=x;"``, ``cmd = "mysql --password x"``; a quoted key (``"password":``)
    is not inside a string."""
    if line_before.count('"') % 2 == 1:
        return not (line_before.endswith('"') and after_name.startswith('"'))
    if line_before.count("'") % 2 == 1:
        return not (line_before.endswith("'") and after_name.startswith("'"))
    if line_before.count("`") % 2 == 1:  # a JS template literal, a Go raw string
        return not (line_before.endswith("`") and after_name.startswith("`"))
    return False


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
# names that hold the name of something when compared: ``key == "fooBar"``, ``k == "token"``
_LOOKUP_NAMES = frozenset(["key", "k", "name", "field", "attr", "prop", "param", "option"])
# a camelCase or snake_case identifier: ``oauth2Credential``, ``s3Configurations``
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


# ---------------------------------------------------------------------------------------------
# scoring


@dataclass(frozen=True, slots=True)
class Assessment:
    """A generic candidate that survived, with its value span and confidence."""

    value: str
    start: int
    end: int
    score: float
    confidence: Confidence
    kind: Kind


MIN_LENGTH: dict[Kind, int] = {
    Kind.PASSWORD: 6,
    Kind.SECRET: 8,
    Kind.TOKEN: 12,
    Kind.KEY: 16,
    Kind.AUTH: 12,
}
MAX_LENGTH = 200
DROP_BELOW = 0.3
MEDIUM_FROM = 0.5
HIGH_FROM = 0.7


def confidence_of(score: float) -> Confidence | None:
    if score < DROP_BELOW:
        return None
    if score >= HIGH_FROM:
        return Confidence.HIGH
    if score >= MEDIUM_FROM:
        return Confidence.MEDIUM
    return Confidence.LOW


def value_score(
    value: str, info: NameInfo, quoted: bool, code: bool, config: bool = False
) -> float | None:
    """How much the value itself looks like a credential for a name of this kind, in
    [-0.3, 0.4]; None when it is not one at all."""
    kind = info.kind
    verdict = value_verdict(value, kind, quoted, code, config)
    if not verdict.ok:
        return None
    n = verdict.length
    if n < MIN_LENGTH[kind] and not (kind is Kind.PASSWORD and n >= 4 and verdict.classes >= 3):
        return None
    if n > MAX_LENGTH:
        return None
    score = 0.0
    h, classes, words = verdict.entropy, verdict.classes, verdict.words
    if kind is Kind.PASSWORD:
        if classes >= 3:
            score += 0.15
        elif classes == 2:
            score += 0.05
        elif value.isalpha() and value.islower():
            score -= 0.15  # a single lower-case word: "welcome", "secret"
        else:
            score -= 0.05
        if n >= 10:
            score += 0.05
        if n < 8:
            score -= 0.05
        if is_weak_value(value):
            score -= 0.15
        if words >= 0.95 and not any(c.isdigit() for c in value):
            score -= 0.05
    else:
        uuid = is_uuid(value)
        if not uuid:
            if classes == 1 and not (is_hex_digest(value) or n >= 32):
                return None  # one class: a word, a number
            if h < 2.8 or (n >= 20 and h < 3.2):
                return None
            if words >= 0.7 and classes <= 2 and h < 4.2:
                return None  # mostly words: an identifier, a sentence, a message id
            if words >= 0.5 and classes <= 2 and h < 3.5:
                return None  # cachedvol112233, release_2024_01
        if h >= 4.0:
            score += 0.1
        elif h >= 3.5:
            score += 0.05
        if classes >= 3:
            score += 0.05
        if uuid:
            score += 0.05
        if n >= 24:
            score += 0.05
        if words >= 0.5 and not (n >= 32 and h >= 4.5):
            score -= 0.1  # (long high-entropy base64 spells letter runs by chance)
        if is_weak_value(value):
            score -= 0.15
    weak = weak_words(value)
    score -= min(0.25, 0.12 * weak)
    return score


# How strongly a name of each kind says "this value is a credential".
_BASE: dict[Kind, float] = {
    Kind.PASSWORD: 0.45,
    Kind.SECRET: 0.43,
    Kind.TOKEN: 0.4,
    Kind.KEY: 0.3,
    Kind.AUTH: 0.3,
}


def _line_bounds(text: str, lo: int, hi: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, lo) + 1
    end = text.find("\n", hi)
    return start, len(text) if end == -1 else end


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
    value_pos += _opener_length(text, value_pos)
    span = name_span(text, keyword_pos)
    info = name_info(text[span[0] : span[1]])
    if info.reason or info.kind is Kind.NONE or (want and info.kind not in want):
        return None
    a = parse_assignment(text, keyword_pos, value_pos, value_end, span)
    if a is None or not a.value:
        return None
    name_lo = span[0]
    line_start, line_end = _line_bounds(text, name_lo, a.end)
    line_before = text[line_start:name_lo]
    in_string = _in_string(line_before, text[span[1] : span[1] + 1])
    code = fc.kind == "code" and not in_string
    if a.op == ":" and line_before.count("`") % 2 == 1 and text[span[1] : span[1] + 2] == ':"':
        return None  # a Go struct tag: `json:"token" protobuf_key:"bytes,1,opt,name=key"`
    if _URL_USERINFO.search(line_before):
        return None  # https://deploy-token-1:<token>@host: the URL rules judge the userinfo
    if a.op == ":" and line_before.endswith(":") and in_string:
        return None  # an ARN or URN segment: "arn:aws:secretsmanager:...:secret:MySecret-a1b2"
    if a.form == "flag" and a.value.startswith(("-", "@")):
        return None  # ``--disabled-password --no-create-home``, ``--key @file``: not a value
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
    if code and not a.quote and text[a.end : a.end + 1] == "(":
        return None  # ``private_key = Ed25519PrivateKey.generate()``: a call, not a literal
    if a.op == "," and not (a.quote and text[span[1] : span[1] + 1] in _QUOTES):
        return None  # only define('DB_PASSWORD', '...'): a quoted name, then a quoted value
    if a.op == "," and not _DEFINE.search(line_before):
        return None
    if a.form == "call" and text[a.end + 1 : a.end + 2] == ",":
        return None  # set_password("service", user, pw): the first of several arguments
    if a.form == "call":
        callee = name_info(re.split(r"\.|->|::", a.name)[-1])
        if callee.kind is Kind.NONE or callee.after:
            return None  # password.encode("utf-8"): a method of the secret, not the secret
        if callee.before and callee.before[0] not in _SETTERS:
            return None  # get_secret("name"), load_key("id"): the argument names the secret
    return _finish(a, info, fc, code, in_string, line_end - line_start)


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
    a = Assignment(name, "=", quote, value, value_start, value_end, "xml")
    line_start, line_end = _line_bounds(text, value_start, value_end)
    return _finish(a, info, fc, False, False, line_end - line_start)


def assess_cli_password(
    text: str, value_start: int, value_end: int, path: str = "", file: FileContext | None = None
) -> Assessment | None:
    """The argument of a database client's password option (``mysql -pX``, ``sshpass -p X``)."""
    fc = file if file is not None else file_context(path)
    if fc.skip:
        return None
    value = text[value_start:value_end]
    info = NameInfo(Kind.PASSWORD, ("password",), 0)
    a = Assignment("password", " ", "", value, value_start, value_end, "flag")
    line_start, line_end = _line_bounds(text, value_start, value_end)
    return _finish(a, info, fc, False, True, line_end - line_start)


def _finish(
    a: Assignment, info: NameInfo, fc: FileContext, code: bool, in_string: bool, line_len: int
) -> Assessment | None:
    quoted = bool(a.quote)
    if names_itself(a.name, a.value):
        return None
    vs = value_score(a.value, info, quoted, code, fc.kind == "config")
    if vs is None:
        return None
    score = _BASE[info.kind] + vs
    if quoted:
        score += 0.05
    elif fc.kind in ("unknown", "markup") and not in_string:
        score -= 0.05
    if a.form in ("xml", "flag") or (in_string and not quoted and a.op == "="):
        score += 0.05
    if a.form == "compare":
        score -= 0.05
    if fc.test:
        score -= 0.1
    if fc.kind == "markup":
        score -= 0.05
    if line_len > 1000:  # a minified line: names and values are code
        if not quoted or vs < 0.1:
            return None
        score -= 0.15
    conf = confidence_of(score)
    if conf is None:
        return None
    return Assessment(a.value, a.start, a.end, round(score, 3), conf, info.kind)
