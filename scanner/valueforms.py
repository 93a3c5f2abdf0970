"""Forms of values in real code that sit where a credential would but are something else: an
ARN, a MIME type, an option string, a hex flag constant, a label, a PowerShell cmdlet, a call
or member access cut short by the value's delimiters, base64 of a plain word.

Pure predicates, used by ``valueshape.reject_reason`` (``tests/test_real_code_shapes.py``).
"""

from __future__ import annotations

import base64
import re

_ARN = re.compile(r"^arn:[a-z0-9-]+:[a-z0-9-]*:")


# a MIME type: ``application/vnd.github.doctor-strange-preview+json``
_MIME = re.compile(
    r"^(?:application|text|image|audio|video|multipart|font|model|message)/[\w.+-]+$"
)


# the start of a call cut at its parenthesis: ``"Secret: "+fmt.Sprintf(``
_CALL_OPEN = re.compile(r"^[^A-Za-z0-9].*[A-Za-z_]\w*\($")


# an option setting with a CamelCase name: ``StrictHostKeyChecking=no``, ``IdentitiesOnly=yes``
_OPTION = re.compile(r"^(?:[A-Z][a-z]+){2,}=(?:[a-z]{1,12}|[0-9]{1,6})$")


# a Python entry point or object reference: ``pkg.loading.identity:Password``, and a
# reStructuredText role: ``:py:class:`pkg.Password```
_OBJECT_REF = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+:[A-Za-z_][\w.]*$|^:[a-z]+(?::[a-z]+)*:")


# an upper-case namespace and a field: ``OS-EXT-SRV-ATTR:hostname``, ``AWS:SourceIp``
_NS_FIELD = re.compile(r"^[A-Z]{2,}(?:-[A-Z]{2,})*:[A-Za-z_][\w.]*$")


# lower-case words joined by dashes, a digest name among them: ``x-object-meta-sha256``
_DASHED_WORDS = re.compile(r"^[a-z]+[0-9]{0,3}(?:-[a-z]+[0-9]{0,3}){3,}$")


# a list of names: ``chainId,gasLimit,gasPrice``
_NAME_LIST = re.compile(r"^[A-Za-z_][A-Za-z_]*[0-9]{0,2}(?:, ?[A-Za-z_][A-Za-z_]*[0-9]{0,2}){2,}$")


# a variable of PowerShell, PHP or shell: ``$sqlCredential``, ``$replicaSqlCredential``
_VARIABLE = re.compile(r"^\$[A-Za-z_]\w*[,;)]?$")


# a typed empty answer (``none:None``), a PowerShell constant (``$True``, ``$null``)
_TYPED_NONE = re.compile(r"^(?:[a-z]+:(?:None|null|nil)?|\$(?:true|false|null))$", re.I)


# a command or path behind a scheme: ``exec:/usr/libexec/pass-dialog``, ``file:/etc/x``
_SCHEME_PATH = re.compile(r"^[a-z][a-z0-9+.-]*:/[\w.~-]")


# an encrypted value: OpenSSL / CryptoJS output (base64 of ``Salted__``), Jasypt ``ENC(...)``,
# SOPS ``ENC[AES256_GCM,...]``, Vault transit ``vault:v1:...``, AWS KMS ciphertext blobs
# (``AQICAH...``), ``__encrypt__...`` and ``encrypted:...`` markers
_ENCRYPTED = re.compile(
    r"^(?:U2FsdGVkX1[A-Za-z0-9+/]{10,}={0,2}$|ENC[(\[]|enc:|encrypted:|__encrypt(?:ed)?__"
    r"|vault:v\d+:|AQICAH[A-Za-z0-9+/]{40,})"
)


# an HTML entity cut by the value's delimiters: ``rf&#34``, ``&quot``
_ENTITY_CUT = re.compile(r"&(?:#\d{1,5}|[a-z]{2,6})$")


_HEX_INT = re.compile(r"^0[xX][0-9a-fA-F]{1,16}[uUlL]{0,3}[;,]?$")


# a member access cut at ``>``: ``$input->getArgument(...)`` read as ``$input-``
_ARROW_CUT = re.compile(r"^\$?[A-Za-z_]\w*-$")


# ``password: debug2: ...``, ``pass :paramref:``: a label in prose or a log line
_LABEL = re.compile(r"^[A-Za-z][\w.-]*:$")


# a PowerShell cmdlet call: ``Get-AnsibleParam``, ``ConvertTo-SecureString``
_CMDLET = re.compile(
    r"^(?:Get|Set|New|Test|ConvertTo|ConvertFrom|Read|Write|Invoke|Import|Export|Add|Remove"
    r"|Select|Out|Start|Stop|Join|Split|Resolve|Format|Update|Find|Register|Unregister|Enable"
    r"|Disable|Clear|Copy|Move|Rename|Wait|Use|Protect|Unprotect)-[A-Z][A-Za-z0-9]+$"
)


_B64_WORD = re.compile(r"^[A-Za-z0-9+/]{8,}={0,2}$")


_WORD = re.compile(r"[A-Za-z][A-Za-z_ -]{2,40}")


# an e-mail address, a query string, a container port mapping, a JWS (the jwt rules decide)
_EMAIL = re.compile(r"^[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_QUERY = re.compile(r"^[\w.-]+=[^&=\s]*(?:&[\w.-]+=[^&=\s]*)+$")
_PORTS = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){3}:)?\d{2,5}:\d{2,5}(?:/(?:tcp|udp))?$")
_JWS = re.compile(r"^eyJ[\w-]*\.[\w-]*\.[\w-]*$")


def is_encoded_stand_in(value: str) -> bool:
    """Base64 of a run or a counting sequence (``MDEyMzQ1Njc4OWFiY2RlZg==`` is
    ``0123456789abcdef``) or of a small JSON object without credentials (a pagination
    cursor): a test value that only looks random."""
    if len(value) % 4 or not _B64_WORD.match(value):
        return False
    try:
        decoded = base64.b64decode(value, validate=True).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return False
    d = decoded.strip()
    if d.startswith("{") and d.endswith("}") and len(d) < 100:
        return not re.search(r"(?i)key|secret|token|pass|cred", d)  # {"foo": "bar"}: a cursor
    if len(d) < 8:
        return False
    steps = sum(1 for a, b in zip(d, d[1:], strict=False) if ord(b) - ord(a) in (0, 1))
    return steps >= 0.7 * (len(d) - 1)


def is_encoded_word(value: str) -> bool:
    """Base64 of a plain word or name (``cHJpdmF0ZUtleQo=`` is ``privateKey``): a test
    value that only looks random."""
    if len(value) % 4 or not _B64_WORD.match(value):
        return False
    try:
        decoded = base64.b64decode(value, validate=True).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return False
    return bool(_WORD.fullmatch(decoded.rstrip("\n")))


def form_reason(value: str, quoted: bool, password: bool = False) -> str:
    """Why ``value`` is one of these forms (``""`` when it is none); ``quoted``: it was a
    string literal (the cut-short and bare-word forms only occur bare); ``password``: it is
    assigned to a password name, where dashed words are a passphrase (``tulip-kayak-ember-7``)."""
    if _ARN.match(value):
        return "identifier"
    if _MIME.match(value):
        return "mime-type"
    if _CALL_OPEN.match(value):
        return "expression"
    if _OPTION.match(value):
        return "option"
    if _NAME_LIST.match(value):
        return "list"
    if _TYPED_NONE.match(value):
        return "nullish"
    if _SCHEME_PATH.match(value):
        return "path"
    if _ENCRYPTED.match(value):
        return "encrypted"
    if _OBJECT_REF.match(value) or _NS_FIELD.match(value):
        return "identifier"
    if not password and _DASHED_WORDS.match(value):
        return "identifier"
    if is_encoded_word(value) or is_encoded_stand_in(value):
        return "encoded-word"
    if _EMAIL.match(value):
        return "email"
    if _QUERY.match(value):
        return "query"  # grant_type=password&username=x&password=y: the value is a whole query
    if _PORTS.match(value):
        return "ports"  # docker run -p 3306:3306
    if _JWS.match(value):
        return "jwt"
    if quoted:
        return ""
    if _HEX_INT.match(value):
        return "number"
    if _ARROW_CUT.match(value) or _CMDLET.match(value) or _VARIABLE.match(value):
        return "expression"
    if _LABEL.match(value):
        return "label"
    if _ENTITY_CUT.search(value):
        return "markup"
    return ""


# ---------------------------------------------------------------------------------------------
# the line around a value

# a documentation field before the name: ``:param str password: ...``, ``:type key_info: ...``
_DOC_FIELD = re.compile(
    r"(?:^|\s)[:@](?:param|type|ivar|cvar|var|arg|argument|keyword|kwarg|key|raises?|rtype"
    r"|returns?|attr|attribute|property)\b[^:]*$"
)


# prose before a name inside a string: ``"unencoded at-sign in the password: pw-1"``
_PROSE = re.compile(r"\b(?:the|a|an|this|that|of|in|for|with|and|or|to|is|wrong|bad)\s+$", re.I)


def is_doc_field(line_before: str) -> bool:
    """The name is documented by a docstring field (``:param str password: ...``)."""
    return bool(_DOC_FIELD.search(line_before))


def is_prose(line_before: str) -> bool:
    """The name follows an article or preposition: a sentence, not a setting."""
    return bool(_PROSE.search(line_before))


_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_STAND_IN = ("", "my", "your", "the", "some", "a", "new", "old", "test", "fake", "dummy", "sample")


def names_itself(name: str, value: str) -> bool:
    """The value repeats the name it is assigned to, maybe behind a stand-in word:
    ``"clientSecret": "my_clientSecret"``, ``secret='application_credential_secret'``."""
    last = re.split(r"\.|->|::", name)[-1]
    n = _NOT_ALNUM.sub("", last.lower())
    v = _NOT_ALNUM.sub("", value.lower())
    return len(n) >= 4 and v.endswith(n) and v[: len(v) - len(n)] in _STAND_IN
