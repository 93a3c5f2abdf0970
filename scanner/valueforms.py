"""Forms of values in real code that sit where a credential would but are something else: an
ARN, a MIME type, an option string, a hex flag constant, a label, a PowerShell cmdlet, a call
or member access cut short by the value's delimiters, base64 of a plain word.

Pure predicates, used by ``valueshape.reject_reason`` (``tests/test_real_code_shapes.py``).
"""

from __future__ import annotations

import base64
import re

# Forms of any value, tried in order: (reason, pattern matched at the start).
_FORMS: tuple[tuple[str, str], ...] = (
    ("identifier", r"^arn:[a-z0-9-]+:[a-z0-9-]*:"),  # an ARN
    # Windows DPAPI-protected data (NuGet.Config's encrypted <add key="Password">, .NET
    # ProtectedData): its fixed header in base64; only the machine's user can decrypt it
    ("encrypted", r"^AQAAANCMnd8BFdERjHoAwE/Cl\+sBAAAA"),
    # a MIME type: ``application/vnd.github.doctor-strange-preview+json``
    (
        "mime-type",
        r"^(?:application|text|image|audio|video|multipart|font|model|message)/[\w.+-]+$",
    ),
    # the start of a call cut at its parenthesis: ``"Secret: "+fmt.Sprintf(``
    ("expression", r"^[^A-Za-z0-9].*[A-Za-z_]\w*\($"),
    # an option setting with a CamelCase name: ``StrictHostKeyChecking=no``, ``IdentitiesOnly=yes``
    ("option", r"^(?:[A-Z][a-z]+){2,}=(?:[a-z]{1,12}|[0-9]{1,6})$"),
    # a list of names: ``chainId,gasLimit,gasPrice``
    ("list", r"^[A-Za-z_][A-Za-z_]*[0-9]{0,2}(?:, ?[A-Za-z_][A-Za-z_]*[0-9]{0,2}){2,}$"),
    # a typed empty answer (``none:None``), a PowerShell constant (``$True``, ``$null``)
    ("nullish", r"(?i:^(?:[a-z]+:(?:None|null|nil)?|\$(?:true|false|null))$)"),
    # a command or path behind a scheme: ``exec:/usr/libexec/pass-dialog``, ``file:/etc/x``
    ("path", r"^[a-z][a-z0-9+.-]*:/[\w.~-]"),
    # an encrypted value: OpenSSL / CryptoJS output (base64 of ``Salted__``), Jasypt ``ENC(...)``,
    # SOPS ``ENC[AES256_GCM,...]``, Vault transit ``vault:v1:...``, AWS KMS ciphertext blobs
    # (``AQICAH...``), ``__encrypt__...`` and ``encrypted:...`` markers
    (
        "encrypted",
        r"^(?:U2FsdGVkX1[A-Za-z0-9+/]{10,}={0,2}$|ENC[(\[]|enc:|encrypted:|__encrypt(?:ed)?__"
        r"|vault:v\d+:|AQICAH[A-Za-z0-9+/]{40,})",
    ),
    # a Python entry point or object reference: ``pkg.loading.identity:Password``, and a
    # reStructuredText role: ``:py:class:`pkg.Password```
    (
        "identifier",
        r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+:[A-Za-z_][\w.]*$|^:[a-z]+(?::[a-z]+)*:",
    ),
    # an upper-case namespace and a field: ``OS-EXT-SRV-ATTR:hostname``, ``AWS:SourceIp``
    ("identifier", r"^[A-Z]{2,}(?:-[A-Z]{2,})*:[A-Za-z_][\w.]*$"),
    # an e-mail address, a query string (``grant_type=password&username=x&password=y``), a
    # container port mapping (``docker run -p 3306:3306``), a JWS (the jwt rules decide)
    ("email", r"^[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"),
    ("query", r"^[\w.-]+=[^&=\s]*(?:&[\w.-]+=[^&=\s]*)+$"),
    ("ports", r"^(?:\d{1,3}(?:\.\d{1,3}){3}:)?\d{2,5}:\d{2,5}(?:/(?:tcp|udp))?$"),
    ("jwt", r"^eyJ[\w-]*\.[\w-]*\.[\w-]*$"),
    # a tag URI (RFC 4151): ``tag:yaml.org,2002:str``; a size: ``2-byte``, ``32 bits``
    ("identifier", r"^tag:[\w.@-]+,\d{4}(?:-\d\d){0,2}:"),
    ("number", r"(?i:^\d{1,4}[- ]?(?:bytes?|bits?|chars?|characters?|digits?|octets?)$)"),
    # an algorithm or mechanism name: ``password_encryption = 'scram-sha-256'``
    ("algorithm", r"(?i:^(?:scram|hmac|rsa|ecdsa|pbkdf2)-sha-?\d{1,3}(?:-plus)?$)"),
    # a long command-line option's name: ``"kubectl_password": "--password"``, ``--passphrase-fd``
    ("cli-option", r"^--[a-z][a-z0-9]*(?:-[a-z0-9]+)*=?$"),
    # a dunder sentinel: ``password = "__generate__"`` (ask the API to generate one)
    ("sentinel", r"^__[a-z][a-z0-9_]*[a-z0-9]__$"),
    # a name prefix to append to: ``root_key = "NetworkInterface.1."``
    ("identifier", r"^[A-Za-z][a-z]+(?:[A-Z][a-z]+)*(?:\.(?:\d{1,4}|[A-Za-z][a-z]+))*\.$"),
    # a qualified class name inside: ``key-vim.host.MultipathInfo.LogicalUnit-06bf39ae...``,
    # ``vSphereNFC.key-vim.host.VirtualNic-vmk0``
    ("identifier", r"^(?:[\w.]*[-.])?[a-z]{2,12}\.[a-z]{2,12}\.[A-Z][a-z]{2,}"),
    # a key its provider publishes to clients: a Stripe PaymentIntent / SetupIntent client
    # secret (handed to the browser to confirm one payment), a RevenueCat public SDK key; a
    # public key: an age recipient (``age1`` and 58 bech32 characters, or a plugin's
    # ``age1yubikey1...``), what ``age-keygen`` prints as ``# public key: age1...``
    (
        "public-key",
        r"^(?:(?:pi|seti|src)_[A-Za-z0-9]{14,30}_secret_[A-Za-z0-9]{10,40}"
        r"|(?:appl|goog|amzn|strp|rcb)_[A-Za-z0-9]{20,40}"
        r"|age1(?:[a-z0-9]{1,24}1)?[02-9ac-hj-np-z]{58,})$",
    ),
    # a format string's start: ``"cannot fetch token: %v\nResponse: %s"`` (Go, C, Perl, Ruby)
    ("template", r"^%[-+ #0]?\d{0,3}(?:\.\d{1,3})?[vsdqxXT](?:\\[nt]|[ :;,.]|$)"),
    # a path of names (words, a version) in a namespace (Ruby, Perl, PHP, C++): ``Net::OAuth2``,
    # ``Google::Auth::WebUserAuthorizer#get_credentials``, ``SecretStoring::SHA256+``; the tail
    # of one cut at its first colon (``Auth::Web...`` read as a name, a colon, ``:Web::...``)
    (
        "identifier",
        r"^:{0,2}[A-Za-z_]+\d{0,4}(?:::[A-Za-z_]+\d{0,4})+(?:[#.][A-Za-z_]\w*[?!=]?)?"
        r"(?:->?|\+|\(\))?$",
    ),
    # a Ruby symbol, or a ``Module::Name`` path cut at its first colon, naming a method or a
    # constant: ``:Util.base64_encode``, ``:IAMCredentialsService#sign_blob``, ``+...::SHA256+``
    ("identifier", r"^:[A-Za-z_]\w*(?:[#.][A-Za-z_]\w*[?!]?|\+)$"),
    # a Perl reference to a named subroutine: ``pass => \\&fetch_password``
    ("expression", r"^\\&[A-Za-z_][\w:]*$"),
    # an HTTP header's name: ``'X-OpenStack-Nova-API-Version'``
    ("header-name", r"^X-[A-Z][A-Za-z]*(?:-(?:[A-Z][A-Za-z]*|[0-9]{1,4}))+$"),
    # an operation or type name versioned by a date: ``CreateKeyGroup2020_05_31``
    ("identifier", r"^(?:[A-Z][a-z]+){2,}(?:19|20)\d\d(?:[_-]\d\d){2}$"),
    # a host name and a port: ``Kpasswd_server = admin_server:464``
    ("address", r"^[a-z][a-z0-9]*(?:[._-][a-z0-9]+)+:\d{2,5}$"),
    # the fields after the password of a passwd(5)-style line (uid:gid:gecos:home), as a
    # Dovecot passwd-file writes them: ``user:{plain}pass:1000:1000::/home/user``
    ("passwd-fields", r"^\d{1,10}:\d{1,10}:[^:\s]{0,80}:(?:[/~]|$)"),
    # a bug tracker's reference, as a ChangeLog entry starts: ``contrib/ftpasswd: Bug#3994 - ...``
    ("reference", r"^(?:[Bb]ug|BUG|[Ii]ssue|ISSUE|PR|GH)#\d{1,7}$"),
    # a form field's name: ``'password_parameter' => '_password'``
    ("identifier", r"(?i:^_{1,2}(?:[a-z]+_)*(?:password|passwd|pass|pwd|secret|token|key)$)"),
    # a description of the value: ``password: "password-for-30001"``, ``token_of_bob``
    (
        "placeholder",
        r"(?i:^(?:my|your|the|some)?[-_]?(?:password|passwd|pass|secret|token|key)[-_](?:for|of)"
        r"[-_])",
    ),
)


# lower-case words joined by dashes, a digest name among them: ``x-object-meta-sha256`` (under
# a password name they are a passphrase: ``tulip-kayak-ember-7``)
_DASHED_WORDS = re.compile(r"^[a-z]+[0-9]{0,3}(?:-[a-z]+[0-9]{0,3}){3,}$")


# Forms of a bare value only (cut short by the value's delimiters, or a bare word), in order.
_BARE_FORMS: tuple[tuple[str, str], ...] = (
    ("number", r"^0[xX][0-9a-fA-F]{1,16}[uUlL]{0,3}[;,]?$"),  # a hex flag constant
    # a member access cut at ``>``: ``$input->getArgument(...)`` read as ``$input-``
    # (a name of letters; ``gI3nk5pbuuhQ0-`` with digits inside is a password that ends in -)
    ("expression", r"^\$[A-Za-z_]\w*-$|^[A-Za-z_]+-$"),
    # a PowerShell cmdlet call: ``Get-AnsibleParam``, ``ConvertTo-SecureString``
    (
        "expression",
        r"^(?:Get|Set|New|Test|ConvertTo|ConvertFrom|Read|Write|Invoke|Import|Export|Add"
        r"|Remove|Select|Out|Start|Stop|Join|Split|Resolve|Format|Update|Find|Register"
        r"|Unregister|Enable|Disable|Clear|Copy|Move|Rename|Wait|Use|Protect|Unprotect)"
        r"-[A-Z][A-Za-z0-9]+$",
    ),
    # a variable of PowerShell, PHP or shell: ``$sqlCredential``, ``$replicaSqlCredential``
    ("expression", r"^\$[A-Za-z_]\w*[,;)]?$"),
    # ``password: debug2: ...``, ``pass :paramref:``, ``Pass :py:class:``: a label in prose or
    # a log line, a reStructuredText role
    ("label", r"^[A-Za-z][\w.-]*(?::[A-Za-z][\w.-]*)*:$"),
    # an ABNF repetition of a rule: ``passwd = 1*SAFE`` (RFC 4616)
    ("grammar", r"^\d{0,3}\*\d{0,3}(?:[A-Z][A-Z0-9-]*|[a-z][a-z0-9-]*)$"),
    # the next setting of a command line after an empty value: ``MYSQL_PASSWORD= FILTER=x``
    # (a setting's name: capitals, or with an underscore; not ``HSIH5=!vC_...``, a password)
    ("assignment", r"^(?:[A-Z]{2,}|[A-Z][A-Z0-9]*_[A-Z0-9_]*)="),
    # a negated member access: ``!mod.vals`` (``if (x !== 'userpassword' || !mod.vals)``)
    ("expression", r"^!\$?[a-z_]\w*(?:\.[A-Za-z_]\w*)+$"),
    # a variable named after the credential: ``"password": s300_pass`` in an example
    ("identifier", r"^[a-z][a-z0-9]*_(?:pass|password|passwd|pwd|secret|token|key)$"),
)


# an HTML entity cut by the value's delimiters: ``rf&#34``, ``&quot`` (bare values only)
_ENTITY_CUT = re.compile(r"&(?:#\d{1,5}|[a-z]{2,6})$")


def _one_pass(forms: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    """One pattern for a whole table, an alternative (group ``f<i>``) for each row: the first
    alternative that matches is the first row that would, in one call."""
    if any(re.compile(pattern).groups for _, pattern in forms):
        raise ValueError("a form's pattern has a group of its own")  # its row's group names it
    return re.compile("|".join(f"(?P<f{i}>{p})" for i, (_, p) in enumerate(forms)))


_ANY_FORM = _one_pass(_FORMS)
_BARE_FORM = _one_pass(_BARE_FORMS)


def _first_form(pattern: re.Pattern[str], forms: tuple[tuple[str, str], ...], value: str) -> str:
    m = pattern.match(value)
    if m is None or m.lastgroup is None:
        return ""
    return forms[int(m.lastgroup[1:])][0]


_B64_WORD = re.compile(r"^[A-Za-z0-9+/]{8,}={0,2}$")
_WORD = re.compile(r"[A-Za-z][A-Za-z_ -]{2,40}")


def _b64_text(value: str) -> str | None:
    """The ASCII text a base64 value decodes to, or None when it is not base64 of text."""
    if len(value) % 4 or not _B64_WORD.match(value):
        return None
    try:
        return base64.b64decode(value, validate=True).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None


_B32_WORD = re.compile(r"^[A-Z2-7]{16,}={0,6}$")


def _b32_text(value: str) -> str | None:
    """The ASCII text a base32 value decodes to (a one-time-password seed is written in
    base32), or None when it is not base32 of text."""
    upper = value.upper()
    if not _B32_WORD.match(upper):
        return None
    body = upper.rstrip("=")
    try:
        return base64.b32decode(body + "=" * (-len(body) % 8)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None


def _is_stand_in_text(decoded: str) -> bool:
    """Decoded base64 that is a run or a counting sequence (``MDEyMzQ1Njc4OWFiY2RlZg==`` is
    ``0123456789abcdef``) or a small JSON object without credentials (a pagination cursor):
    a test value that only looks random."""
    d = decoded.strip()
    if d.startswith("{") and d.endswith("}") and len(d) < 100:
        return not re.search(r"(?i)key|secret|token|pass|cred", d)  # {"foo": "bar"}: a cursor
    if len(d) < 8:
        return False
    steps = sum(1 for a, b in zip(d, d[1:], strict=False) if ord(b) - ord(a) in (0, 1))
    return steps >= 0.7 * (len(d) - 1)


def _is_word_text(decoded: str) -> bool:
    return bool(_WORD.fullmatch(decoded.rstrip("\n").removesuffix(":").removesuffix(".")))


def is_encoded_word(value: str) -> bool:
    """Base64 of a plain word or name (``cHJpdmF0ZUtleQo=`` is ``privateKey``), or of a
    label or short sentence of a user interface (``UGFzc3dvcmQ6`` is ``Password:``): a value
    that only looks random."""
    decoded = _b64_text(value)
    return decoded is not None and _is_word_text(decoded)


def form_reason(value: str, quoted: bool, password: bool = False) -> str:
    """Why ``value`` is one of these forms (``""`` when it is none); ``quoted``: it was a
    string literal (the cut-short and bare-word forms only occur bare); ``password``: it is
    assigned to a password name, where dashed words are a passphrase (``tulip-kayak-ember-7``)."""
    form = _first_form(_ANY_FORM, _FORMS, value)
    if form == "option" and password:
        form = ""  # a passphrase with an equals sign (WillowLotus=2348), not an option
    if form:
        return form
    if not password and _DASHED_WORDS.match(value):
        return "identifier"
    decoded = _b64_text(value)
    if decoded is not None and (_is_word_text(decoded) or _is_stand_in_text(decoded)):
        return "encoded-word"
    # an OTP seed that is a counting run in base32 (RFC 4226's "12345678901234567890", the
    # test vector of every HOTP/TOTP library); a random seed decodes to no text
    decoded = _b32_text(value)
    if decoded is not None and _is_stand_in_text(decoded):
        return "encoded-word"
    if quoted:
        return ""
    return _first_form(_BARE_FORM, _BARE_FORMS, value) or (
        "markup" if _ENTITY_CUT.search(value) else ""
    )


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
    ``"clientSecret": "my_clientSecret"``, ``secret='application_credential_secret'``; or it is
    the name's last word, as an enumeration's constant is."""
    last = re.split(r"\.|->|::", name)[-1]
    n = _NOT_ALNUM.sub("", last.lower())
    v = _NOT_ALNUM.sub("", value.lower())
    if len(n) >= 4 and v.endswith(n) and v[: len(v) - len(n)] in _STAND_IN:
        return True
    # an enumeration's constant whose value is its name's last word: ``StatusPostpass =
    # "POSTPASS"``, ``ModeNoSecret = "nosecret"``
    return value.isalpha() and len(v) >= 6 and len(n) > len(v) and n.endswith(v)


# a struct field's pointer type (Go): ``PrivateKey *rsa.PrivateKey``, ``Tokens *TokensService``
_POINTER_TYPE = re.compile(r"\*{1,2}(?:\[\])?(?:[a-z]\w*\.)?[A-Z]\w*")


def is_pointer_type(value: str) -> bool:
    """``value`` is a pointer type, as a Go struct field declares one after its name."""
    return bool(_POINTER_TYPE.fullmatch(value))
