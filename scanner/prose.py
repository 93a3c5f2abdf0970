"""Whether a bare value that a provider rule found after its setting word is the next word of a
sentence: ``include a bindpw like so``, ``Refuse machine account password changes``, ``the
community channel.``. Provider rules accept a blank as the operator (``bindpw`` and the
value in nslcd.conf, ``community`` and the value in snmpd.conf, a one-line ``.netrc``), so in
documentation, release notes and policy strings the word after the setting's name reads as its
value.

Only a word is judged (lower case, capitalised or an acronym; a chosen value of letters, digits
and symbols never is), and only where blanks, or a dash between blanks, stand between the name
and it. Pure:
``tests/test_prose.py``."""

from __future__ import annotations

import re

# the small words of an English sentence: a setting line holds none of them
FUNCTION_WORDS = frozenset(
    (  # noqa: SIM905
        "a an the this that these those to for of in on at by with from into about as and or "
        "but nor so if then than like only also not no is are was were be been being it its you "
        "your we our they their can may must should will would use using which when where how"
    ).split()
)

# a word: lower case, capitalised or an acronym (``like``, ``Classes``, ``LDAP``)
_WORD = re.compile(r"[A-Za-z][a-z]{1,19}|[A-Z]{2,12}")
# blanks, or a dash between blanks (``ldap.extop.passwd - Classes for ...``), after the name
_PROSE_GAP = re.compile(r"[A-Za-z0-9][ \t]*(?:[ \t]--?)?$")
# what may close a word in prose: punctuation, a closing bracket or quote, and a backtick (the
# end of inline code in Markdown or reST)
_SENTENCE_END = ".,;!?)]\"'`"
_EDGE = "\"'`()[]{}<>*,.;:!?"
_TOKENS_BEFORE = 4
_TOKENS_AFTER = 2


def _tokens(text: str) -> list[str]:
    return [t.strip(_EDGE) for t in text.split()]


def is_sentence_word(text: str, start: int, end: int) -> bool:
    """The value ``text[start:end]`` is a word that blanks (or a dash between blanks) alone
    separate from the name before it, in a line that reads as a sentence: a small word of
    English around it (``a``, ``to``, ``for``, ``like``...), a full stop or comma right after
    it, or capitalised words before the name (``Refuse machine account password changes``)."""
    value = text[start:end]
    core = value.rstrip(_SENTENCE_END)
    if not _WORD.fullmatch(core):
        return False
    if start == 0 or text[start - 1] not in " \t":
        return False
    line_start = text.rfind("\n", 0, start) + 1
    gap = text[line_start:start].rstrip(" \t")
    if _PROSE_GAP.search(gap) is None:
        return False  # an operator, a quote or a bracket before the value: an assignment
    gap = gap.rstrip(" \t-")
    line_end = text.find("\n", end)
    after = text[end : len(text) if line_end < 0 else line_end]
    name_at = max(gap.rfind(" "), gap.rfind("\t")) + 1
    before = [t for t in _tokens(gap[:name_at]) if t][-_TOKENS_BEFORE:]
    following = [t for t in _tokens(after) if t][:_TOKENS_AFTER]
    if FUNCTION_WORDS.intersection(w.lower() for w in (*before, core, *following)):
        return True
    if core != value or (after[:1] != "" and after[:1] in _SENTENCE_END):
        return True  # "the community channel.": the word ends a sentence
    words = [t for t in before if t.isalpha()]
    return (
        len(before) >= 2
        and len(words) == len(before)
        and any(w[0].isupper() and not w.isupper() for w in words)
    )


# the operator before a value, with the quote that may open it: ``name: ``, ``name = "``
_OPERATOR_BEFORE = re.compile(r"[:=]>?[ \t]*[\"']?$")
# blanks, then a word of two or more letters in any script (not a comment marker, a digit or
# a symbol): the value goes on as a phrase
_WORD_AFTER = re.compile(r"[ \t]+[^\W\d_]{2,}")
# words of letters (any script), alone or joined by a slash or a hyphen (``Account/Password``,
# ``Palavra-chave``)
_WORDS = re.compile(r"[^\W\d_]+(?:[/-][^\W\d_]+)*")


def is_phrase_head(text: str, start: int, end: int) -> bool:
    """The value ``text[start:end]`` is a word of letters (any script, or words joined by a
    slash or a hyphen) right after an operator, and more words follow it on its line: the
    first word of a phrase assigned to the name (``error_ldap_bind_credentials: Invalid LDAP
    account``, ``checkpassword: Compiling fix for some systems``, ``bindpw = 'Password of the
    user above'``): a message, a label or a release note, not a credential, which is one run
    of characters."""
    value = text[start:end]
    if not _WORDS.fullmatch(value):
        return False
    line_start = text.rfind("\n", 0, start) + 1
    if _OPERATOR_BEFORE.search(text, line_start, start) is None:
        return False
    return _WORD_AFTER.match(text, end) is not None
