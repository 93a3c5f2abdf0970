"""Named pattern fragments that rule files use instead of pasting the same regex tail.

A rule's ``pattern`` may contain ``{{name}}``; it is replaced by the fragment below before the
pattern is compiled (by both engines) or its groups are counted. Only the key-body macros
(``hex32``, ``hex40``, ``hex64``, ``uuid``) hold a capture group: the secret; the others hold none.

- ``{{assign}}``: an assignment operator between a name and its value, with optional quotes
  (``=``, ``:``, ``:=``, ``::=``, ``=>``, ``||=``, ``?=``, ``.=``, ``<-``, ``||``, ``??``,
  ``"key": "``, ``KEY='``, an XML element ``<acmeKey>`` with up to three quoted attributes and
  its text on the same line or alone on the next (a line break and indentation only), in
  ``<![CDATA[`` or a .NET setting's ``<value>``, a .NET ``<add key="AcmeKey" value="``, prose
  ``acme key is ...``, a name and its value as two string arguments:
  ``getenv("ACME_KEY", "...")`` (also quoted twice, as Gradle's ``buildConfigField("String",
  "ACME_KEY", "\\"...\\"")`` writes it), a setter call ``setApiKey("...")``, a Markdown
  table cell or ``to`` between a quoted or `code` name and value, and a bare blank on the same
  line: a CLI flag ``--acme-key VALUE``, ``ENV ACME_KEY VALUE``) or a dash in prose (``Acme
  token - VALUE``), a declared type before ``=`` (``apiKey: string = "``, ``API_KEY: &str =
  "``, Go ``apiKey string = "``),
  or the rest of a Terraform variable block named by the setting, up to its ``default``:
  ``variable "acme_key" {`` then ``type = string`` then ``default = "...`` (an ``output``
  block's ``value = "...`` likewise), or the ``value``
  of a ``name``/``value`` pair: ``- name: ACME_KEY`` then ``value: ...`` (Kubernetes ``env``),
  ``{"name": "ACME_KEY", "value": "...``, or a property list's ``<key>AcmeKey</key>`` then
  ``<string>...``.
- ``{{call}}``: after a provider word, a constructor or set-up call whose first argument is the
  key, quoted: ``acme.Client("``, ``new AcmeClient("``, ``acme.init('``, ``acme.NewClient("``,
  ``Acme("``, or whose first keyword argument or options member is named after a credential:
  ``AcmeClient(api_key="``, ``new Acme({ apiKey: "``. Rules write it as an alternative to
  their name and assignment:
  ``(?i:acme)(?:(?:[\\w.-]{0,30}|{{between}})(?i:{{cred}}){{name}}{{assign}}|{{call}})(BODY)``.
- ``{{name}}``: the rest of a setting name after the provider word (``_API_KEY``, ``.secret``,
  ``-token``; up to 30 name characters).
- ``{{cred}}``: a credential word in a setting name after the provider word (``key``,
  ``token``, ``secret``, ``credentials``, ``auth`` but not ``author``, ``pat`` but not ``path``),
  so that ``ACME_TOKEN`` is read like ``ACME_KEY``; rules write it in their case-insensitive
  word group with any words of their own: ``(?i:{{cred}}|pass|pwd)``.
- ``{{between}}``: what else may stand between a provider word and its credential word: up to
  two words in prose (``Acme API key``, ``acme personal access token``, ``Acme API-key``), or
  the end of a section or parent key and up to four sibling settings (``[acme]`` then
  ``token = ...``; ``acme:`` then ``  api_key: ...``; ``"acme": {`` then ``"token": ...``;
  a PHP array ``'acme' => [`` or ``'acme' => array(`` or ``$config['acme'] = [`` then
  ``'api_key' => ...``; a Ruby hash ``:acme => {`` then ``:api_key => ...``;
  a Terraform block ``provider "acme" {`` or ``resource "acme_app" "main" {`` then
  ``token = ...``; an XML element ``<acme>`` or ``<service name="acme">`` then child elements
  ``<url>...</url>`` and ``<apiKey>``; a comment header ``# Acme`` or ``# Acme API
  credentials`` then ``API_KEY=...``), or an inline map on the same line
  (``{"acme": {"url": "...", "key": ...``, ``acme: { api_key: ...``, a PHP array
  ``'acme' => ['url' => '...', 'api_key' => ...`` or ``array(``, ``:acme => { :api_key =>``).
  Rules write it as an alternative to their own name gap: ``(?:[\\w.-]{0,30}|{{between}})``.
- ``{{near}}``: a short gap between a provider word and its key (a setting name and an
  assignment, up to 40 characters on the line, or a line break and indentation), for providers
  whose keys are written in many shapes (``acme: {"key": "..."}``, ``acme key ...``, a
  Terraform ``variable "acme_key" {`` block's ``default = "..."``), and
  like ``{{between}}`` a credential-named setting further down the provider's section.
- ``{{gap}}``: a loose gap of up to 40 characters between a provider word and its value
  (the rest of a setting name, quotes, brackets, a ``:`` or ``=``, a line break, a Rust
  ``&str`` type), for rules
  whose keys have a distinctive body; rules write it before ``{{loose_assign}}``:
  ``(?i:acme){{gap}}{{loose_assign}}(BODY)``.
- ``{{loose_assign}}``: the operator that ends ``{{gap}}`` (``=>``, ``::=``, ``:=``, ``?=``,
  PHP ``.=``, R ``<-``, ``||``, ``:``, ``=``, a blank, ``(``, ``,``, ``>``; an XML element's
  ``>`` also with its text alone on the next line under up to 16 blanks of indentation), up to
  five blanks, quotes or ``=``, and an optional ``Bearer ``/``token `` scheme.
- ``{{header}}``: after a provider's API host, the rest of the line up to an auth header or
  parameter and its value: ``api.acme.io ... -H "Authorization: Bearer ``, ``X-Api-Key: ``,
  ``"apikey": "``.
- ``{{query}}``: the rest of a URL up to a credential-named query parameter: ``acme.io/v1/
  items?format=json&api_key=``; rules write it as an alternative to ``{{near}}``:
  ``(?i:acme)(?:{{near}}|{{query}})(BODY)``.
- ``{{host}}``: the host of a URL after its userinfo ``@`` (an IPv6 literal or DNS labels, an
  optional port, then the character that ends the host). No label may be ``example``
  (``example.com``, ``db.example.org``), so documentation URLs do not match.
- ``{{hex32}}``, ``{{hex40}}``, ``{{hex64}}``, ``{{uuid}}``: common key bodies, bounded by word
  boundaries, captured as the secret.
"""

from __future__ import annotations

import re

# A DNS label that is not ``example`` (any case): shorter, longer, or 7 characters that differ
# from it at some position. Regexes without lookahead cannot say "not this word" otherwise.
_LABEL = (
    r"(?:[A-Za-z0-9_-]{1,6}|[A-Za-z0-9_-]{8,63}|[\-0-9A-DF-Z_a-df-z][A-Za-z0-9_-]{6}"
    r"|[Ee][\-0-9A-WYZ_a-wyz][A-Za-z0-9_-]{5}|[Ee][Xx][\-0-9B-Z_b-z][A-Za-z0-9_-]{4}"
    r"|[Ee][Xx][Aa][\-0-9A-LN-Z_a-ln-z][A-Za-z0-9_-]{3}"
    r"|[Ee][Xx][Aa][Mm][\-0-9A-OQ-Z_a-oq-z][A-Za-z0-9_-]{2}"
    r"|[Ee][Xx][Aa][Mm][Pp][\-0-9A-KM-Z_a-km-z][A-Za-z0-9_-]"
    r"|[Ee][Xx][Aa][Mm][Pp][Ll][\-0-9A-DF-Z_a-df-z])"
)

# The label of a Terraform/HCL variable block and its ``default`` (or an ``output`` block and
# its ``value``), with up to four attributes (``type``, ``description``, ``sensitive``...)
# before it: ``variable "acme_key" {`` then ``  type = string`` then ``  default = "``.
# Written after a name, as an operator.
_HCL_ATTRIBUTES = r"""(?:[A-Za-z_]\w{0,20}[ \t]{0,12}=[^\r\n{}]{0,80}\r?\n\s{0,12}){0,4}"""
_HCL_DEFAULT = (
    r"""["'][ \t]{0,3}\{\s{0,12}"""
    + _HCL_ATTRIBUTES
    + r"""(?:default|value)[ \t]{0,12}=[ \t]{0,3}["']"""
)

# The ``value`` that follows a ``name`` entry naming the setting: a Kubernetes or Compose
# ``env`` item (``- name: ACME_KEY`` then ``value: "...``), an inline map or an ECS JSON pair
# (``{"name": "ACME_KEY", "value": "...``). ``valueFrom:`` is a reference, not a value.
_NAME_VALUE = (
    r"""["']?[ \t]{0,3}(?:\r?\n[ \t]{0,16}|,[ \t]{0,3}["']?)value["']?[ \t]{0,3}:[ \t]{0,3}"""
    r"""(?:["'`]|&quot;)?"""
)

# A string literal's prefix before its opening quote: C# verbatim and Objective-C ``@"``,
# Python ``b"`` ``r"`` ``rb"`` ``u"``, Rust ``r#"`` and ``b"``. Optional; the value starts after
# the quote, so a bare value that begins with one of these letters is read as before.
STRING_PREFIX = r"(?:@|[bBrRuU]{1,2}#{0,3})?"

# A type between a declared name and ``=``: ``apiKey: string =`` (TypeScript), ``API_KEY:
# &str =`` and ``&'static str`` (Rust), ``token: Optional[str] =`` (Python), ``key: String =``
# (Kotlin, Swift, Scala), ``apiKey string =`` (a Go ``var``).
_TYPED = (
    r"""["']?[ \t]{0,3}(?::[ \t]{0,3}&?(?:'static[ \t]{1,3})?[A-Za-z_][\w.\[\]<>|?]{0,30}"""
    r"""|[ \t]{1,3}string)[ \t]{0,3}=[ \t]{0,3}(?:""" + STRING_PREFIX + r"""["'`]|&quot;)?"""
)

# An XML element named by the setting, up to its text: up to three attributes
# (``<acmeKey type="string" encrypted="false">``), the ``>``, then the value on the same line or
# alone on the next line under its indentation (never further: a line break and blanks only),
# optionally in a ``<![CDATA[`` section or the ``<value>`` child of a .NET ``<setting
# name="AcmeKey" serializeAs="String">``.
XML_ATTRIBUTES = (
    r"""(?:[ \t]{1,3}[\w:.-]{1,24}[ \t]{0,2}=[ \t]{0,2}["'][^"'<>\r\n]{0,40}["']){0,3}"""
)
_XML_TEXT = (
    r"""["']?"""
    + XML_ATTRIBUTES
    + r"""[ \t]{0,3}>[ \t]{0,3}(?:\r?\n[ \t]{0,16})?(?:<!\[CDATA\[|<value>)?"""
)

# A property list's ``<key>AcmeApiKey</key>`` and the ``<string>`` after it (up to two lines
# further down: macOS and iOS Info.plist and .plist settings files).
_PLIST_STRING = r"""</key>[ \t]{0,8}(?:\r?\n[ \t]{0,16}){0,2}<string>[ \t]{0,3}"""

_ASSIGN = (
    r"""(?:"""
    + _HCL_DEFAULT
    + r"""|"""
    + _PLIST_STRING
    + r"""|"""
    + _XML_TEXT
    + r"""|"""
    + _NAME_VALUE
    + r"""|"""
    + _TYPED
    # blanks before the operator: up to 40 where a formatter aligns a block (terraform fmt)
    + r"""|(?:["'`\]]{0,2}(?:[ \t]{4,40}|\s{0,3})"""
    r"""(?::{1,3}=|=>|\|\|=|\?\?=|\?=|\.=|<-|:|=|>|\|\||\?\?|\sis\s)"""
    r"""|["']\s{1,3}value\s{0,2}=|["']?\)?\(\s{0,2})\s{0,3}(?:"""
    + STRING_PREFIX
    + r"""["'`]|&quot;)?"""
    # "NAME", "value" on one line, never "a",\n"b"; Gradle's buildConfigField("String", "NAME",
    # "\"value\"") and buildConfigField "String", "NAME", '"value"' quote the value twice
    r"""|["'][ \t]{0,2},[ \t]{0,3}["'`](?:\\?["'])?"""
    r"""|["'`]?[ \t]{1,3}(?:\||to)[ \t]{1,3}["'`]"""
    r"""|[ \t]{1,3}-{1,2}[ \t]{1,3}["'`]?"""  # prose: "Acme token - VALUE"
    r"""|["'`]?[ \t]{1,3}(?:["'`]|&quot;)?)"""
)
# up to four sibling entries of an inline map before the credential's: ``"url": "...", ``
_MAP_ENTRIES = r"""(?::?["']?[\w.-]{1,30}["']?[ \t]{0,3}[:=][^,{}\r\n]{0,80},[ \t]{0,3}){0,4}"""
_CRED = r"(?:key|token|secret|credentials?|auth(?:\b|[_.-]|token|key)|pat\b|pat[_.-])"

# The end of a section, parent key or comment header naming the provider, then up to four
# sibling settings, then the start of the credential's own setting name: ``[acme]``,
# ``acme:``, ``"acme": {``, PHP ``'acme' => [`` / ``=> array(`` / ``$cfg['acme'] = [``, Ruby
# ``:acme => {`` (its entries may start with ``:``), ``provider "acme" {``, an XML element
# ``<acme>`` or ``<service name="acme">`` (its children ``<url>...</url>`` as siblings, then
# ``<apiKey>``), or a line that ends in the provider and at most three more words (``# Acme``,
# ``# Acme API credentials``, ``## Acme``).
_SIBLINGS = r"""(?:[ \t]{0,12}[<:]?["']?[\w.-]{1,30}["']?[ \t]{0,16}[=:>][^\r\n]{0,80}\r?\n){0,4}"""
# the rest of the provider's line: the section or parent key's end, or the header's words
_SECTION_HEAD = (
    r"""[\w.-]{0,20}(?:\]|["']?\]?[ \t]{0,3}(?:[:=]|=>)[ \t]{0,3}(?:[{\[]|array\()?"""
    r"""|["'](?:[ \t]{1,3}["'][\w.-]{0,40}["'])?[ \t]{0,3}\{|["']?>"""
    r"""|(?:[ \t]{1,2}[A-Za-z][\w-]{0,15}){0,3}[ \t]{0,2}(?:\*/|-->|#{1,3})?)[ \t]{0,3}\r?\n"""
)
_SECTION = _SECTION_HEAD + _SIBLINGS + r"""[ \t]{0,12}(?:export[ \t]{1,3}|<|:)?["']?[\w.-]{0,12}"""

# a conversion call around a literal, between the operator and the quote: Go ``[]byte("...")``,
# Python ``bytes.fromhex("...")``, ``b64decode("...")``, ``SecretStr("...")``, Node
# ``Buffer.from("...")``, .NET ``Encoding.UTF8.GetBytes("...")``. No longer than this: with
# generic.api-key, a longer list (``hex.DecodeString``) no longer compiles for the start-of-match
# locator (`keyguard rules check` warns).
CONVERSION_CALL = (
    r"(?:\[\]byte|bytes\.fromhex|bytes|(?:base64\.)?b64decode|(?:binascii\.)?unhexlify"
    r"|Buffer\.from|Encoding\.UTF8\.GetBytes|SecretStr)\("
)

# one positional argument of a call and the comma after it: a quoted literal, or an identifier,
# member or expression without commas or parentheses (``BoxConfig(clientId, "secret", ...)``)
_ARGUMENT = r"""(?:"[^"\r\n]{0,200}"|'[^'\r\n]{0,200}'|[^,()"'\r\n]{1,120})[ \t]*,\s{0,40}"""

# far down the same file: an SDK's client class imported at the top under its bare name, then
# constructed with the key (PHP ``use MessageBird\Client;`` ... ``new Client('...')``, Python
# ``from messagebird import Client`` ... ``Client('...')``); rules using it set a ``window``.
# The prefilter's loosening opens the gap (``[\s\S]{0,}``): no cheaper form is needed.
_FAR_IN_FILE = r"""[\s\S]{0,3000}?"""
_IMPORTED_CLIENT = (
    r"""(?:\\|\.|::|[ \t]{1,4}import[ \t]{1,4})Client\b[^\r\n]{0,60}\r?\n"""
    + _FAR_IN_FILE
    + r"""\b(?:new[ \t]{1,4})?Client[ \t]*\(\s{0,4}["']"""
)

MACROS: dict[str, str] = {
    "arg": _ARGUMENT,
    "imported_client": _IMPORTED_CLIENT,
    "convert": r"(?:" + CONVERSION_CALL + r"[ \t]{0,2})?",
    "assign": _ASSIGN,
    "name": r"[\w.-]{0,30}",
    "call": (
        r"""(?:[\w.:]{0,24}?(?i:client|init|initiali[sz]e|configure|config|setup|connect|login"""
        r"""|authenticate|auth|new|api|sdk|session)\w{0,12})?\(\s{0,2}"""
        # a first keyword argument or options-object member named after a credential:
        # AcmeClient(api_key="...")  new Acme({ apiKey: "..." })
        r"""(?:\{\s{0,2})?(?:["']?(?:[A-Za-z_]\w{0,20}?)?(?i:"""
        + _CRED
        + r""")\w{0,12}["']?\s{0,2}[:=]\s{0,2})?(?:["'`]|&quot;)"""
    ),
    "cred": _CRED,
    "between": (
        r"""(?:(?:[ \t]{1,2}[A-Za-z][A-Za-z0-9]{1,11}){0,2}[ \t_.-]{1,2}|"""
        + _SECTION
        + r"""|[\w.-]{0,20}["']?[ \t]{0,3}(?:[:=][ \t]{0,3}\{|=>[ \t]{0,3}(?:[{\[]|array\())"""
        + r"""[ \t]{0,3}"""
        + _MAP_ENTRIES
        + r""":?["']?[\w.-]{0,12})"""
    ),
    "near": (
        r"""(?:[\w.-]{0,30}["'\]]{0,2}\s{0,3}(?::{1,3}=|=>|\|\|=|\?=|<-|:|=|>|\s)\s{0,3}(?:["'`]|&quot;)?"""
        r"""|[\w.-]{0,30}""" + _HCL_DEFAULT + r"""|[^\r\n]{0,40}?[\s"'`=:(,\[{>]"""
        r"""|[^\r\n]{0,30}\r?\n[^\r\n]{0,40}?[\s"'`=:(,\[{>]"""
        # further down a section: only a setting named after a credential
        r"""|""" + _SECTION + r"""(?i:""" + _CRED + r""")[\w.-]{0,20}""" + _ASSIGN + r""")"""
    ),
    "host": (
        r"""(?:\[[0-9A-Fa-f:.]{2,45}\]|(?:"""
        + _LABEL
        + r"""\.){0,10}"""
        + _LABEL
        + r""")(?::[0-9]{1,5})?\.?(?:[/?#,;"'`\s\\)\]}>|]|$)"""
    ),
    # or the rest of a Terraform variable block named by the provider, up to its ``default``
    # (``variable "acme_key" {`` then ``type = string`` then ``default``): the operator follows
    "gap": (
        r"""(?:[\w.-]{0,30}["'][ \t]{0,3}\{\s{0,12}"""
        + _HCL_ATTRIBUTES
        + r"""(?:default|value)[ \t]{0,12}|[\w.\-\s:'"{(,\[\]/@;&]{0,40})"""
    ),
    "loose_assign": (
        r"""["'\]]{0,2}\s{0,4}(?:=>|::=|:=|\?=|\.=|<-|\|\||>[ \t]{0,3}\r?\n[ \t]{0,16}"""
        r"""|[:=\s(,>])[\s"'`=]{0,5}(?:""" + STRING_PREFIX + r"""["'`])?"""
        r"""(?:(?i:bearer|token)\s{1,3})?"""
    ),
    "header": (
        r"""[^\r\n]{0,160}?(?i:authorization|x-api-key|x-api-token|api-key|apikey|x-access-token"""
        r"""|x-auth-token|token|key)[\"']?\s{0,3}[:=,]\s{0,3}[\"']?"""
        r"""(?:(?i:bearer|token|basic)\s{1,3})?"""
    ),
    "query": r"""[\w./?&=%:-]{0,160}?[?&][A-Za-z_-]{0,12}(?i:key|token|secret)=""",
    "hex32": r"\b([a-fA-F0-9]{32})\b",
    "hex40": r"\b([a-fA-F0-9]{40})\b",
    "hex64": r"\b([a-fA-F0-9]{64})\b",
    "uuid": r"\b([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\b",
}
"""Fragments by name. ``hex32``/``hex40``/``hex64``/``uuid`` include the secret's capture group."""

PREFILTER_FORMS: dict[str, str] = {
    _HCL_ATTRIBUTES: r"[^{}]{0,}",
    _MAP_ENTRIES: r"[^{}\r\n]{0,}",
    # the rest of the provider's line before a section: any run of the characters its endings
    # use (names, quotes, brackets, ``:``, ``=>``, ``array(``, comment marks), then the break
    _SECTION_HEAD: r"""[\w.\-\]"'\[{(:=> \t*/#]{0,}\r?\n""",
    # up to four lines that start like a setting or an element
    _SIBLINGS: r"""(?:[ \t]{0,}[<:"'\w.-][^\r\n]{0,}\r?\n){0,4}""",
    # any number of attributes, any blanks and line breaks after the ``>``
    _XML_TEXT: (
        r"""["']?(?:[ \t][\w:.= \t-]{0,}["'][^"'<>\r\n]{0,}["']){0,}[ \t]{0,3}>\s{0,}"""
        r"""(?:<!\[CDATA\[|<value>)?"""
    ),
    # any blanks and line breaks between a property list's key and its string
    _PLIST_STRING: r"""</key>\s{0,}<string>[ \t]{0,}""",
}
"""Cheaper stand-ins, for the Hyperscan prefilter only, of the repeated groups that make
macro-heavy patterns too large for Hyperscan to compile (a group of up to four lines, entries
or XML attributes, each with bounded repeats, and the many ways a section's first line ends):
each stand-in matches everything its group matches, so the prefilter still names every rule
whose pattern matches. The XML stand-in keeps the attributes' shape (``name="..."``), so that
its possible matches end where the text stops looking like attributes rather than at the end
of the line."""

_MACRO_RE = re.compile(r"\{\{([a-z0-9_]+)\}\}")


def expand(pattern: str) -> str:
    """``pattern`` with every ``{{name}}`` replaced; an unknown name raises ``KeyError``."""
    return _MACRO_RE.sub(lambda m: MACROS[m.group(1)], pattern)


def unknown_macros(pattern: str) -> list[str]:
    """Names written as ``{{name}}`` in ``pattern`` that are not macros."""
    return [m for m in _MACRO_RE.findall(pattern) if m not in MACROS]
