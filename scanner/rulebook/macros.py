"""Named pattern fragments that rule files use instead of pasting the same regex tail.

A rule's ``pattern`` may contain ``{{name}}``; it is replaced by the fragment below before the
pattern is compiled (by both engines) or its groups are counted. Only the key-body macros
(``hex32``, ``hex40``, ``hex64``, ``uuid``) hold a capture group: the secret; the others hold none.

- ``{{assign}}``: an assignment operator between a name and its value, with optional quotes
  (``=``, ``:``, ``:=``, ``=>``, ``||=``, ``?=``, ``<-``, ``||``, ``??``, ``"key": "``,
  ``KEY='``, an XML element ``<acmeKey>``, a .NET ``<add key="AcmeKey" value="``, prose
  ``acme key is ...``, a name and its value as two string arguments:
  ``getenv("ACME_KEY", "...")``, a setter call ``setApiKey("...")``, a Markdown table cell or
  ``to`` between a quoted or `code` name and value, and a bare blank on the same line: a CLI
  flag ``--acme-key VALUE``, ``ENV ACME_KEY VALUE``) or a dash in prose (``Acme token - VALUE``).
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
  a Terraform block ``provider "acme" {`` or ``resource "acme_app" "main" {`` then
  ``token = ...``; a comment header ``# Acme`` or ``# Acme API credentials`` then
  ``API_KEY=...``), or an inline map on the same line (``{"acme": {"url": "...", "key": ...``).
  Rules write it as an alternative to their own name gap: ``(?:[\\w.-]{0,30}|{{between}})``.
- ``{{near}}``: a short gap between a provider word and its key (a setting name and an
  assignment, up to 40 characters on the line, or a line break and indentation), for providers
  whose keys are written in many shapes (``acme: {"key": "..."}``, ``acme key ...``), and
  like ``{{between}}`` a credential-named setting further down the provider's section.
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

_ASSIGN = (
    r"""(?:(?:["'`\]]{0,2}\s{0,3}(?::=|=>|\|\|=|\?\?=|\?=|<-|:|=|>|\|\||\?\?|\sis\s)"""
    r"""|["']\s{1,3}value\s{0,2}=|["']?\)?\(\s{0,2})\s{0,3}(?:["'`]|&quot;)?"""
    r"""|["'][ \t]{0,2},[ \t]{0,3}["'`]"""  # "NAME", "value" on one line, never "a",\n"b"
    r"""|["'`]?[ \t]{1,3}(?:\||to)[ \t]{1,3}["'`]"""
    r"""|[ \t]{1,3}-{1,2}[ \t]{1,3}["'`]?"""  # prose: "Acme token - VALUE"
    r"""|["'`]?[ \t]{1,3}(?:["'`]|&quot;)?)"""
)
_CRED = r"(?:key|token|secret|credentials?|auth(?:\b|[_.-]|token|key)|pat\b|pat[_.-])"

# The end of a section, parent key or comment header naming the provider, then up to four
# sibling settings, then the start of the credential's own setting name: ``[acme]``,
# ``acme:``, ``"acme": {``, ``provider "acme" {``, or a line that ends in the provider and
# at most three more words (``# Acme``, ``# Acme API credentials``, ``## Acme``).
_SECTION = (
    r"""[\w.-]{0,20}(?:\]|["']?[ \t]{0,3}[:=][ \t]{0,3}[{\[]?"""
    r"""|["'](?:[ \t]{1,3}["'][\w.-]{0,40}["'])?[ \t]{0,3}\{"""
    r"""|(?:[ \t]{1,2}[A-Za-z][\w-]{0,15}){0,3}[ \t]{0,2}(?:\*/|-->|#{1,3})?)[ \t]{0,3}\r?\n"""
    r"""(?:[ \t]{0,12}["']?[\w.-]{1,30}["']?[ \t]{0,16}[=:][^\r\n]{0,80}\r?\n){0,4}"""
    r"""[ \t]{0,12}(?:export[ \t]{1,3})?["']?[\w.-]{0,12}"""
)

MACROS: dict[str, str] = {
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
        + r"""|[\w.-]{0,20}["']?[ \t]{0,3}[:=][ \t]{0,3}\{[ \t]{0,3}"""
        r"""(?:["']?[\w.-]{1,30}["']?[ \t]{0,3}[:=][^,{}\r\n]{0,80},[ \t]{0,3}){0,4}"""
        r"""["']?[\w.-]{0,12})"""
    ),
    "near": (
        r"""(?:[\w.-]{0,30}["'\]]{0,2}\s{0,3}(?::=|=>|\|\|=|\?=|<-|:|=|>|\s)\s{0,3}(?:["'`]|&quot;)?"""
        r"""|[^\r\n]{0,40}?[\s"'`=:(,\[{>]"""
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
    "hex32": r"\b([a-fA-F0-9]{32})\b",
    "hex40": r"\b([a-fA-F0-9]{40})\b",
    "hex64": r"\b([a-fA-F0-9]{64})\b",
    "uuid": r"\b([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\b",
}
"""Fragments by name. ``hex32``/``hex40``/``hex64``/``uuid`` include the secret's capture group."""

_MACRO_RE = re.compile(r"\{\{([a-z0-9_]+)\}\}")


def expand(pattern: str) -> str:
    """``pattern`` with every ``{{name}}`` replaced; an unknown name raises ``KeyError``."""
    return _MACRO_RE.sub(lambda m: MACROS[m.group(1)], pattern)


def unknown_macros(pattern: str) -> list[str]:
    """Names written as ``{{name}}`` in ``pattern`` that are not macros."""
    return [m for m in _MACRO_RE.findall(pattern) if m not in MACROS]
