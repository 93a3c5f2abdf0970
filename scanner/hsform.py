"""The pattern forms the Hyperscan prefilter compiles: a rule's pattern with large bounded
repeats opened up (``loosen``), the macros' repeated groups in their cheaper forms
(``hyperscan_form``), and literal keywords escaped for Hyperscan (``hs_literal``).

Every match of a rule's own pattern still matches its loosened form, so the prefilter stays a
superset of the rules that match.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scanner.rulebook.macros import PREFILTER_FORMS

if TYPE_CHECKING:
    from scanner.rulebook.schema import RuleSpec

_REPEAT = re.compile(r"(?<!\\)\{(\d+)(?:,(\d*))?\}")
LOOSEN_ABOVE = 8
KEEP_LOW = 24


LINE_GAP = r"[^\r\n]"
LINE_GAP_KEPT = 40
UTF8_MAX = 4  # bytes per character at most (surrogates, kept by ``surrogatepass``: 3)


def loosen(pattern: str, line_gaps: bool = False) -> str:
    r"""A looser form of ``pattern`` for the prefilter: large bounded repeats become open-ended.

    ``[A-Z2-7]{40}`` → ``[A-Z2-7]{24,}``: every match of the original still matches, and
    Hyperscan compiles open-ended repeats far faster than large bounded ones.

    ``line_gaps``: a gap within one line of at most ``LINE_GAP_KEPT`` characters
    (``[^\r\n]{0,40}?``, the ``{{near}}`` macro's) keeps a bound, counted in bytes, as
    Hyperscan counts: ``UTF8_MAX`` times the characters. Opened up, such a gap after a
    provider's name (``circle``, ``notify``) kept a possible match alive to the end of the
    line, which in a minified file is the whole file: the open form cost a third of the scan.
    """

    def repl(m: re.Match[str]) -> str:
        low = int(m.group(1))
        high_text = m.group(2)
        high = low if high_text is None else (int(high_text) if high_text else None)
        if high is not None and high <= LOOSEN_ABOVE:
            return m.group(0)
        if line_gaps and high is not None and high <= LINE_GAP_KEPT and _after_line_gap(m):
            return f"{{{low},{high * UTF8_MAX}}}"
        return f"{{{min(low, KEEP_LOW)},}}"

    return _REPEAT.sub(repl, pattern)


def _after_line_gap(m: re.Match[str]) -> bool:
    r"""Whether the repeat ``m`` applies to ``[^\r\n]`` (not to an escaped ``\\[^\r\n]``)."""
    start = m.start() - len(LINE_GAP)
    return (
        start >= 0
        and m.string.startswith(LINE_GAP, start)
        and not m.string.endswith("\\", 0, start)
    )


def hyperscan_form(spec: RuleSpec) -> bytes:
    """What the Hyperscan database holds for a rule: its ``prefilter`` regex (a cheaper one
    found inside every match) or else its pattern, with the macros' repeated groups in their
    cheaper ``PREFILTER_FORMS``, loosened."""
    pattern = spec.prefilter or spec.pattern
    for group, cheaper in PREFILTER_FORMS.items():
        pattern = pattern.replace(group, cheaper)
    return loosen(pattern, line_gaps=True).encode("utf-8")


def hs_literal(text: str) -> bytes:
    return "".join(c if c.isalnum() else f"\\x{ord(c):02x}" for c in text).encode("ascii")
