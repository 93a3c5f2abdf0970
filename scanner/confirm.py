"""The confirm stage: one candidate rule's regex run where it can match, then the checks that
turn a match into a candidate finding (entropy, placeholders, checksums, the generic rules'
context assessment), and the dedupe of overlapping candidates.

Pure: no I/O. Called by ``matcher.Matcher`` for each rule the prefilter named.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from scanner import filters, testvectors
from scanner.deferral import _NOT_A_PROVIDER, _names_provider, assignment_name
from scanner.devlogins import is_demo_login, is_local_echo_login
from scanner.models import Confidence
from scanner.nameregions import RegionMemo, located_verdicts
from scanner.prose import is_phrase_head, is_sentence_word
from scanner.rulebook.compile import CompiledRule, bounded_search
from scanner.validators.offline import CHECKSUMS, meets_requirements
from scanner.validators.structure import STRUCTURE_CHECKS
from scanner.valuemeasure import shannon_entropy
from scanner.windows import RegionVerdicts, _iter_rule_matches, _Lowered

if TYPE_CHECKING:
    from regex import Match

    from scanner import assignment, filekind
    from scanner.matcher import MatchPolicy
    from scanner.nameshape import Kind

# This module (with ``filters`` and the value-shape tables it imports) and ``filekind`` are
# imported by the first chunk that has a candidate rule (``matcher``), ``assignment`` and
# ``nameshape`` by the first match that needs them: a staged check whose change names no rule
# never loads them.

_NAME_MEMO = 4096  # names remembered per matcher (``_confirm``'s ``names``)


@dataclass(frozen=True, slots=True)
class _Candidate:
    rule: CompiledRule
    start: int
    end: int
    secret: str
    entropy: float
    checksum: str | None
    confidence: Confidence | None = None  # set by the context assessment of generic rules
    parts: tuple[tuple[str, str], ...] = ()  # named groups a verifier uses ({part:NAME})
    shown_from: int | None = None
    """Where the finding is shown to start when that is not the secret: a private key's
    ``-----BEGIN`` line, where every scanner and reader places the key."""

    def priority(self) -> tuple[int, int, int, int, int]:
        spec = self.rule.spec
        return (
            0 if "generic" in spec.tags else 1,
            int(spec.confidence),
            1 if self.checksum == "valid" else 0,
            len(self.secret),
            -self.rule.index,
        )


def is_valid_secret(
    rule: CompiledRule, secret: str, policy: MatchPolicy, assessed: bool = False
) -> tuple[bool, float]:
    """Offline checks on one candidate secret: entropy, classes, placeholders, allowlists.
    ``assessed``: the context assessment already judged the value's shape (identifiers)."""
    spec = rule.spec
    entropy = shannon_entropy(secret)
    if entropy < spec.min_entropy:
        return False, entropy
    if not meets_requirements(secret, spec.requirements):
        return False, entropy
    runs = "runs-in-format" not in spec.tags
    if filters.is_placeholder(secret, strict_words=spec.is_generic, runs=runs):
        return False, entropy
    if "generic" in spec.tags and not assessed and filters.looks_like_identifier(secret):
        return False, entropy
    lowered = secret.lower()
    if any(word in lowered for word in spec.allow.stopwords):
        return False, entropy
    if rule.allow_patterns and bounded_search(rule.allow_patterns, secret):
        return False, entropy
    if any(p.search(secret) for p in policy.allow_values):
        return False, entropy
    check = STRUCTURE_CHECKS.get(spec.checksum or "")
    if check is not None and not check(secret):
        return False, entropy
    return True, entropy


def _context_mode(rule: CompiledRule) -> str:
    """How a generic rule's matches are judged: ``assignment`` (name, operator, value),
    ``named-value`` (the name is capture group 1), ``cli-password``, ``table-column`` (the
    match is a table's header line; the rows under it hold the values), or "" (not at all)."""
    tags = rule.spec.tags
    if "generic" not in tags:
        return ""
    for mode in ("assignment", "named-value", "cli-password", "table-column"):
        if mode in tags:
            return mode
    return ""


def _wanted_kinds(rule: CompiledRule) -> tuple[Kind, ...]:
    from scanner.nameshape import Kind

    tags = rule.spec.tags
    if "password" in tags:
        return (Kind.PASSWORD,)
    if "secret" in tags:
        return (Kind.SECRET, Kind.TOKEN, Kind.KEY, Kind.AUTH)
    return ()


def _is_code_reference(text: str, start: int, end: int, secret: str) -> bool:
    """A secret that is a word-shaped name used as code: ``BedrockAwsAuth(``,
    ``AxisOrder.AUTHORITY``, ``.models.secret``: followed by a call, attribute or index,
    or preceded by an attribute dot."""
    if not filters.looks_like_identifier(secret) and not filters.is_enum_member(secret):
        return False
    after = text[end : end + 1]
    before = text[start - 1 : start] if start else ""
    # ``Name.attr`` is code; ``... is Name.`` ends a sentence
    attribute = after == "." and (
        text[end + 1 : end + 2].isalnum() or text[end + 1 : end + 2] == "_"
    )
    return after in ("(", "[") or attribute or before == "." or filters.is_enum_member(secret)


def _checksum_holds(rule: CompiledRule, secret: str) -> bool:
    name = rule.spec.checksum
    return name is not None and CHECKSUMS[name](secret)


def _confirm(
    rule: CompiledRule,
    text: str,
    lowered: str | None | _Lowered,
    policy: MatchPolicy,
    regions: list[tuple[int, int]] | None = None,
    providers: frozenset[str] = frozenset(),
    prefixes: tuple[str, ...] = (),
    file: filekind.FileContext | None = None,
    names: dict[tuple[str, tuple[Kind, ...]], bool] | None = None,
    region_memo: RegionMemo | None = None,
) -> list[_Candidate]:
    """``names`` remembers which assigned names the context assessment turns down by the name
    alone (``cache_key``, ``token_type``): logs repeat a few names on every line;
    ``region_memo`` remembers those verdicts for whole located regions (``nameregions``)."""
    from scanner import assignment
    from scanner.assignsyntax import opens_keyword_argument
    from scanner.nameshape import Kind, name_info, names_non_secret

    out: list[_Candidate] = []
    keywords = rule.spec.keywords
    mode = _context_mode(rule)
    # the rules that know where the setting's name is: at the match (anchored on its keyword)
    # or in capture group 1 (an XML <add key="NAME" value="..."/>)
    # (a rule tagged ``no-deferral`` reads a form the provider rules do not: an env lookup's
    # literal fallback, ``os.getenv("MISTRAL_API_KEY") or "..."``)
    defer = (
        bool(providers)
        and "generic" in rule.spec.tags
        and "no-deferral" not in rule.spec.tags
        and (rule.spec.anchor_keyword or mode == "named-value")
    )
    # a value shaped like a known provider's token is left to that provider's rule by every
    # generic rule, wherever the name is (``Bearer k8s-aws-v1.token-N``: a shortened EKS token)
    defer_prefix = "generic" in rule.spec.tags and "no-deferral" not in rule.spec.tags
    if mode and file is not None and file.skip:
        return out  # lock files, translation catalogs, minified bundles: no generic findings
    want = _wanted_kinds(rule) if mode else ()
    providers = providers - _NOT_A_PROVIDER if defer else providers
    memo = names if mode == "assignment" else None

    def judged(pos: int, decide: bool = True) -> bool | None:
        """``assess`` starts by classifying the setting name at the match and drops the match
        when the name is turned down: decide that first, from memory (an anchored rule's
        match starts at its keyword, so before its regex runs). ``decide`` False: None for a
        name not in memory rather than classify it."""
        assert memo is not None
        lo, hi = assignment.name_span(text, pos)
        if opens_keyword_argument(text, hi):
            return False  # AuthClient(token="..."): the argument's name decides, in ``assess``
        name_key = (text[lo:hi], want)
        verdict = memo.get(name_key)
        if verdict is None and decide:
            info = name_info(name_key[0])
            verdict = bool(info.reason) or info.kind is Kind.NONE
            verdict = verdict or bool(want and info.kind not in want)
            if len(memo) >= _NAME_MEMO:
                memo.clear()
            memo[name_key] = verdict
        return verdict

    def refused(pos: int) -> bool:
        return judged(pos) is True

    def remembered(pos: int) -> bool | None:
        return judged(pos, decide=False)

    early = refused if memo is not None and rule.spec.anchor_keyword else None
    regional: RegionVerdicts | None = None
    if early is not None and region_memo is not None:
        regional = partial(
            located_verdicts, text, keywords, refused, remembered, region_memo, rule.index
        )
    for m in _iter_rule_matches(rule, text, lowered, regions, early, regional):
        if memo is not None and early is None and refused(m.start()):
            continue
        if keywords and not any(kw in m.group(0).lower() for kw in keywords):
            continue
        if mode == "table-column":
            out.extend(_table_candidates(rule, text, m.start(), file, policy))
            continue
        secret = m.group(rule.secret_group)
        if not secret:
            continue
        start, end = m.span(rule.secret_group)
        confidence: Confidence | None = None
        if mode:
            assessment = _assess(mode, text, m, rule.secret_group, file, want)
            if assessment is None:
                continue
            secret, start, end = assessment.value, assessment.start, assessment.end
            confidence = assessment.confidence
            # passwords have no provider format to defer to
            not_password = assessment.kind is not Kind.PASSWORD
        else:
            not_password = True
        defer_here = defer and not_password
        if defer_here and _names_provider(_setting_name(mode, text, m), providers):
            continue  # a provider we know: its specific rules decide, not the generic one
        if defer_prefix and not_password and secret.lower().startswith(prefixes):
            continue  # shaped like a known provider's token that its own rule rejected
        ok, entropy = is_valid_secret(rule, secret, policy, assessed=confidence is not None)
        if not ok:
            continue
        if "salt" in rule.spec.tags and testvectors.is_test_vector(
            secret, text, start, marks=testvectors.SIGNATURE_FIELDS | testvectors.CIPHER_FIELDS
        ):
            continue  # a signature or KDF test vector's salt, published with the algorithm
        if (
            confidence is None
            and _is_code_reference(text, start, end, secret)
            and not _checksum_holds(rule, secret)
        ):
            continue  # a name used as code (a token whose checksum holds is none)
        if is_local_echo_login(text, start, end):
            continue  # postgres://app:app@localhost/app: a development default
        if is_demo_login(text, start, end):
            continue  # scott:tiger: Oracle's sample login, in every database's documentation
        # a provider rule that recognises the key by a nearby provider word (no keyword inside
        # the secret itself): ``acme_request_id = <uuid>``, ``acme_commit: <sha>`` are not keys
        lowered_secret = secret.lower()
        if (
            not mode
            and not any(kw in lowered_secret for kw in keywords)
            and names_non_secret(text[max(0, start - 96) : start])
        ):
            continue
        if not mode and is_sentence_word(text, start, end):
            continue  # "include a bindpw like so": the name's next word in a sentence
        if not mode and is_phrase_head(text, start, end):
            continue  # "bindpw: Password of the user above": a phrase, not a value
        checksum = None
        if rule.spec.checksum:
            checksum = "valid" if CHECKSUMS[rule.spec.checksum](secret) else "invalid"
        parts = _verify_parts(rule, m) if m.re.groupindex else ()
        shown = m.start() if rule.spec.shown_from_match else None
        out.append(
            _Candidate(rule, start, end, secret, entropy, checksum, confidence, parts, shown)
        )
    return out


def _table_candidates(
    rule: CompiledRule,
    text: str,
    header_pos: int,
    file: filekind.FileContext | None,
    policy: MatchPolicy,
) -> Iterator[_Candidate]:
    """The values of a table's credential column that the generic assessment keeps, each
    named by the column's header (``tablecells``)."""
    from scanner import assignment, filekind
    from scanner.tablecells import column_cells

    fc = file if file is not None else filekind.FileContext("unknown")
    for cell in column_cells(text, header_pos):
        a = assignment.assess_named(text, cell.name, cell.start, cell.end, "", file=fc)
        if a is None:
            continue
        ok, entropy = is_valid_secret(rule, a.value, policy, assessed=True)
        if ok:
            yield _Candidate(rule, a.start, a.end, a.value, entropy, None, a.confidence, (), None)


def _setting_name(mode: str, text: str, m: Match[str]) -> str:
    """The name of the setting a generic rule's match assigns."""
    if mode == "named-value":
        return _value_name(m)
    return assignment_name(text, m.start())


def _value_name(m: Match[str]) -> str:
    """A named-value rule's setting name: its group ``name`` when it has one (a form whose
    value comes first: COBOL's ``MOVE '...' TO WS-PASSWORD``), else its first capture group
    that took part (rules with several forms capture the name in one group per form, before
    the value's group)."""
    if "name" in m.re.groupindex:
        return m.group("name") or ""
    return next((g for g in m.groups() if g), "")


def _verify_parts(rule: CompiledRule, m: Match[str]) -> tuple[tuple[str, str], ...]:
    """The named groups ``{part:NAME}`` of the rule's verifier asks for, or, for a rule
    verified by code (no ``[rules.verify]`` table), every named group (``--verify``)."""
    verify = rule.spec.verify
    names = sorted(verify.parts() if verify is not None else m.re.groupindex)
    return tuple((n, m.group(n)) for n in names if m.group(n))


def _assess(
    mode: str,
    text: str,
    m: Match[str],
    group: int,
    file: filekind.FileContext | None,
    want: tuple[Kind, ...],
) -> assignment.Assessment | None:
    from scanner import assignment, filekind

    fc = file if file is not None else filekind.FileContext("unknown")
    start, end = m.span(group)
    if mode == "assignment":
        return assignment.assess(text, m.start(), start, file=fc, want=want, value_end=end)
    if mode == "named-value":
        quote = text[start - 1 : start] if start else ""
        quote = "" if quote == ">" else quote  # <value>...</value>: an element's text, bare
        return assignment.assess_named(text, _value_name(m), start, end, quote, file=fc)
    return assignment.assess_cli_password(text, start, end, file=fc)


def _dedupe(cands: Iterable[_Candidate]) -> list[_Candidate]:
    """Keep one candidate per secret span: specific rules win over generic ones. The spans
    kept never overlap, so sorted by start their ends are sorted too: the one kept span that
    could overlap a candidate is the last to start before the candidate ends (a bisection, not
    a pass over every span kept: a hostile line can hold 100,000 candidates)."""
    starts: list[int] = []
    ends: list[int] = []
    kept: list[_Candidate] = []
    for cand in sorted(cands, key=lambda c: c.priority(), reverse=True):
        i = bisect.bisect_left(starts, cand.end)
        if i and ends[i - 1] > cand.start:
            continue
        starts.insert(i, cand.start)
        ends.insert(i, cand.end)
        kept.append(cand)
    return sorted(kept, key=lambda c: (c.start, c.rule.index))
