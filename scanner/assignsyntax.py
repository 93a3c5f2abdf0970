"""The syntax of an assignment: the setting name around a credential word, the operator
(``=``, ``:``, ``=>``, a call, an XML element, a CLI flag, a comparison) and the value (a quoted
literal up to its closing quote, or a bare value up to a delimiter). Pure: no I/O
(``tests/test_assignment.py``, ``tests/test_generic_context.py``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scanner.namespan import name_span
from scanner.rulebook.macros import CONVERSION_CALL, XML_ATTRIBUTES

QUOTES = "\"'`"
# a literal in three quotes: Python, and INI files that read it (Grafana's grafana.ini, for a
# value that holds a comment character: ``# ;`` between three double quotes)
TRIPLE_QUOTES = ('"""', "'''")
# letters that open a literal with the quote after them: r"..." b'...' f"..." @"..." $"..."
# N'...', two of them (rb"..."), Rust's raw-string hashes (r#"..."#), C#'s @$"..."
_STRING_PREFIX = r"(?:[rbufRBUF]{1,2}#{0,3}|N|[@$]{1,2})"
_PREFIXED_OPENER = re.compile(_STRING_PREFIX + r"""["'`]""")
# the same prefix at the end of the text between a name and its value's quote
_PREFIX_TAIL = re.compile(r"(?<![\w$@])" + _STRING_PREFIX + "$")
_BARE_STOP = re.compile(r"[;,)\]}<>|]|&(?=[A-Za-z_][\w.-]*=)|&(?:amp|quot);|&$")
_OPERATORS = frozenset(", = : := => == != === !== ?= ||= ??= .= <- -> > ( || ??".split())  # noqa: SIM905
# a conversion call around a literal (``key = []byte("...")``): the literal is the value
_WRAPPER_TAIL = re.compile(CONVERSION_CALL + r"[ \t]{0,2}$")
# a type annotation between the name and ``=``: ``apiKey: string =``, ``token: str =``,
# ``password: String =`` (TypeScript, Python, Kotlin, Swift), ``KEY: &'static str =`` (Rust),
# or a Go ``var`` type: ``apiKey string =``
_TYPED = re.compile(r":\s*&?(?:'static\s+)?[A-Za-z_][\w.\[\]<>|?]*\s*=|string\s*=")
# a PL/SQL declaration: ``c_api_pass CONSTANT VARCHAR2(50) := '...'``
_SQL_TYPED = re.compile(r"(?i)(?:constant\s+)?(?:n?varchar2?|n?char)(?:\(\s*\d{1,5}\s*\))?\s*:=")
# an XML element's start tag from its name to its text, when more than ``>`` stands between:
# up to three quoted attributes (``<apiKey type="string">``; the macros' shape), the text alone
# on the next line under its indentation (group 1: a line break and blanks only), a CDATA
# section (group 2)
_XML_OPEN = re.compile(
    XML_ATTRIBUTES + r"""[ \t]{0,3}>[ \t]{0,3}(\r?\n[ \t]{0,16})?(<!\[CDATA\[)?"""
)
# the end of an element's text: a CDATA section's end (group 1), a line break and blanks (group
# 2: the text was on its own line), the closing tag (group 3: its name)
_XML_CLOSE = re.compile(r"(\]\]>)?([ \t]{0,3}\r?\n[ \t]{0,16})?</([\w.-]{1,64})[ \t]{0,3}>")
# the form of an assignment by its operator (any other operator assigns)
_FORM_OF_OP = {
    "(": "call",
    ">": "xml",
    " ": "flag",
    "==": "compare",
    "!=": "compare",
    "===": "compare",
    "!==": "compare",
}


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
    prefix: str = ""  # the letters before a literal's opening quote: f, rb, $, @...


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
    xml = _XML_OPEN.fullmatch(between) if between != ">" else None
    if xml is not None and lo > 0 and text[lo - 1] == "<":
        return _xml_text(text, name, value_pos, value_end, xml)
    quote = ""
    prefix = ""
    rest = between
    if rest.endswith(TRIPLE_QUOTES):  # a value in three quotes (INI, Python)
        quote, rest = rest[-3:], rest[:-3]
    elif rest.endswith("&quot;"):
        quote, rest = '"', rest[:-6]
    elif rest.endswith(('\\"', "\\'")):
        quote, rest = rest[-1], rest[:-2]
    elif rest and rest[-1] in QUOTES:
        quote, rest = rest[-1], rest[:-1]
        letters = _PREFIX_TAIL.search(rest)
        if letters is not None:
            prefix, rest = letters.group(0), rest[: letters.start()]
    if quote:
        wrapper = _WRAPPER_TAIL.search(rest)
        if wrapper is not None:
            rest = rest[: wrapper.start()]  # key = []byte("..."): the literal is the value
    core = rest.strip()
    core = core.lstrip("\"']").rstrip()  # closing quote/bracket of a quoted key: "password":
    core = core.strip()
    if core.startswith("\\"):  # escaped quotes around a key inside a string: \"password\":
        core = core.lstrip("\\\"'").strip()
    op = core
    if op == "" and rest and rest.strip() == "":
        op = " "
    elif _TYPED.fullmatch(op) or _SQL_TYPED.fullmatch(op):
        op = "="
    elif op not in _OPERATORS:
        if op.endswith("(") and op.rstrip("(").strip() in ("", ")"):
            op = "("
        else:
            return None
    # the value: a literal ends at its closing quote; a bare value at a delimiter
    end = _bare_end(text, value_pos) if value_end is None else value_end
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
    form = _FORM_OF_OP.get(op, "assign")
    if form == "xml" and (lo == 0 or text[lo - 1] != "<" or not text.startswith("</", end)):
        return None
    return Assignment(name, op, quote, value, value_pos, end, form, prefix)


# the prefixes of literals that fill in ``{expression}`` fields: Python f-strings (f, rf, fr,
# any case, with b), C# interpolated strings ($, $@, @$)
_INTERPOLATING_PREFIX = re.compile(r"(?i:[rb]?f|f[rb])|\$@?|@\$")
# a replacement field: ``{}``, ``{0}``, ``{host}``, ``{key[0]}``, ``{_KEY}``; not ``{{``
_FIELD = re.compile(r"(?<!\{)\{(?!\{)[^{}\r\n]{0,80}\}")
_FORMAT_CALL = re.compile(r"[ \t]{0,2}\.format\(")


def is_interpolated(text: str, a: Assignment) -> bool:
    """The literal is filled in where it stands: ``f"{host}-{port}"``, ``$"{user}:{pw}"``, or a
    format string formatted right after its closing quote (``"{}/{}".format(a, b)``). Its
    fields are code, so the value is no literal secret whatever symbols surround them."""
    if not a.quote or _FIELD.search(a.value) is None:
        return False
    if _INTERPOLATING_PREFIX.fullmatch(a.prefix):
        return True
    closing = a.end + len(a.quote)
    return text.startswith(a.quote, a.end) and _FORMAT_CALL.match(text, closing) is not None


def _bare_end(text: str, value_pos: int) -> int:
    """The end of a bare value's run: the next blank or quote."""
    end = value_pos
    n = len(text)
    while end < n and not text[end].isspace() and text[end] not in QUOTES:
        end += 1
    return end


def _xml_text(
    text: str, name: str, value_pos: int, value_end: int | None, tag: re.Match[str]
) -> Assignment | None:
    """The text of the element ``<name ...>`` whose start tag ``tag`` ends at ``value_pos``:
    all of it up to its own ``</name>`` (after the ``]]>`` of a CDATA section it opened; on
    the text's own line, then a line break and the closing tag's indentation), or None."""
    end = _bare_end(text, value_pos) if value_end is None else value_end
    value = text[value_pos:end]
    m = _BARE_STOP.search(value)
    if m is not None:
        value = value[: m.start()]
        end = value_pos + len(value)
    close = _XML_CLOSE.match(text, end)
    if (
        close is None
        or close.group(3) != name
        or bool(close.group(1)) != bool(tag.group(2))
        or (close.group(2) is None) != (tag.group(1) is None)
    ):
        return None
    return Assignment(name, ">", "", value, value_pos, end, "xml")


# a keyword argument or options member between a callee and its value: ``AuthClient(token="``,
# ``new TokenAuth({ secret: '``; group 1 is the argument's name
_KEYWORD_ARGUMENT = re.compile(
    r"""["']?\)?\(\s{0,2}(?:\{\s{0,2}([A-Za-z_]\w{0,30})\s{0,2}[:=]|([A-Za-z_]\w{0,30})\s{0,2}=)"""
    r"""\s{0,2}(?:[rbufRBUF@$]?["'`]|&quot;|\\["'])?"""
)


_OPENS_KEYWORD_ARGUMENT = re.compile(
    r"""["']?\)?\(\s{0,2}(?:\{\s{0,2})?[A-Za-z_]\w{0,30}\s{0,2}[:=]"""
)


def opens_keyword_argument(text: str, name_end: int) -> bool:
    """A call with a keyword argument (or options member) starts where a name ends:
    ``AuthClient(token=``; the name is then not the one that names a value."""
    if "(" not in text[name_end : name_end + 3]:
        # the pattern's "(" comes within three characters (``nameregions`` relies on it too)
        return False
    return _OPENS_KEYWORD_ARGUMENT.match(text, name_end) is not None


def keyword_argument(text: str, name_end: int, value_pos: int) -> tuple[int, int] | None:
    """The span of the keyword argument (or options member) that names the value at
    ``value_pos`` when a call's name ends at ``name_end``: in ``AuthClient(token="...")`` the
    value is the ``token``, not the ``AuthClient``. None when no argument name stands between."""
    m = _KEYWORD_ARGUMENT.fullmatch(text, name_end, value_pos)
    if m is None:
        return None
    group = 1 if m.group(1) is not None else 2
    return m.span(group)


def opener_length(text: str, pos: int) -> int:
    """Length of the opening quote of a literal at ``pos`` (``"``, ``r'``, ``&quot;``, ``\\"``),
    which a rule's value group may include; 0 for a bare value."""
    c = text[pos : pos + 1]
    if not c:
        return 0
    if text.startswith(TRIPLE_QUOTES, pos):
        return 3
    if c in QUOTES:
        return 1
    if c == "\\" and text[pos + 1 : pos + 2] in tuple(QUOTES):
        return 2
    prefixed = _PREFIXED_OPENER.match(text, pos)
    if prefixed is not None:
        return prefixed.end() - pos
    if text.startswith("&quot;", pos):
        return 6
    return 0


def is_in_string(line_before: str, after_name: str = "") -> bool:
    """The name sits inside a string literal on its line (an odd number of quotes before it):
    ``"Server=db;Password=x;"``, ``cmd = "mysql --password x"``; a quoted key (``"password":``)
    is not inside a string."""
    for q in QUOTES:  # double, single, back quote (a JS template literal, a Go raw string)
        if line_before.count(q) % 2 == 1:
            return not (line_before.endswith(q) and after_name.startswith(q))
    return False


def lines_back(text: str, pos: int, lines: int = 6, limit: int = 3000) -> int:
    """The start of the line ``lines`` lines before the one at ``pos`` (the line's own start
    when ``pos`` is inside it counts as one), at most ``limit`` characters back."""
    floor = max(0, pos - limit)
    for _ in range(lines):
        if pos <= floor:
            return floor
        pos = text.rfind("\n", floor, pos - 1) + 1
    return max(pos, floor)


def lines_ahead(text: str, pos: int, lines: int, limit: int) -> int:
    """The end of the line ``lines`` lines after the one at ``pos``, at most ``limit``
    characters ahead (or the end of the text)."""
    ceiling = min(len(text), pos + limit)
    for _ in range(lines + 1):
        nxt = text.find("\n", pos + 1, ceiling)
        if nxt < 0:
            return ceiling
        pos = nxt
    return pos


def line_bounds(text: str, lo: int, hi: int) -> tuple[int, int]:
    """The start and end of the line(s) holding ``text[lo:hi]``."""
    start = text.rfind("\n", 0, lo) + 1
    end = text.find("\n", hi)
    return start, len(text) if end == -1 else end


# a multi-line string assigned to a name: ``EXAMPLES = r'''``, ``DOC = """`` (an Ansible
# module's DOCUMENTATION, EXAMPLES and RETURN hold YAML this way)
_BLOCK_OPENER = re.compile(r"(?:^|\n)[ \t]*[A-Za-z_]\w*[ \t]*=[ \t]*[rRuUbB]{0,2}$")
BLOCK_STRING_REACH = 20000


def in_assigned_block_string(text: str, pos: int) -> bool:
    """``pos`` lies inside a triple-quoted string assigned to a name: the nearest triple quote
    before it opens ``NAME = \"\"\"`` (no other triple quote stands between). Text there is a
    literal, not code: ``password: oedu2eGh`` in a module's EXAMPLES is a value, not a type
    annotation. A docstring or a string whose opener lies beyond ``BLOCK_STRING_REACH``
    characters answers False, as code would."""
    floor = max(0, pos - BLOCK_STRING_REACH)
    quote = max(text.rfind(q, floor, pos) for q in TRIPLE_QUOTES)
    if quote < 0:
        return False
    return _BLOCK_OPENER.search(text, max(floor, quote - 200), quote) is not None
