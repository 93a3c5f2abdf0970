"""AWS access keys: a SigV4-signed ``sts:GetCallerIdentity`` (needs no IAM permission; cannot
change anything). The key id and the secret key are separate findings: each is paired with the
nearest finding of the other kind in the same file or blob (and a session token, for ``ASIA``
keys, when one is there too). Signing uses botocore (extra ``aws``), loaded on first use."""

from __future__ import annotations

import re
from collections.abc import Sequence

from scanner.errors import UserError
from scanner.models import Finding, Verification, VerifyStatus
from scanner.verify.http import HostPin, HttpClient, HttpRequest
from scanner.verify.plan import Plan, nearest
from scanner.verify.providers.common import send, unjudged, unknown

STS_HOST = "sts.amazonaws.com"
KEY_ID_RULES = ("aws.access-key-id",)
SECRET_RULES = ("aws.secret-access-key", "aws.access-key-pair")
TOKEN_RULES = ("aws.session-token",)
BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
_ACCOUNT = re.compile(rb"<Account>\s*([0-9]{12})\s*</Account>")
_CODE = re.compile(rb"<Code>\s*([A-Za-z.]+)\s*</Code>")
INVALID_CODES = frozenset(
    {b"InvalidClientTokenId", b"SignatureDoesNotMatch", b"ExpiredToken", b"AccessDenied"}
)


class AwsStsVerifier:
    name: str = "aws.sts-get-caller-identity"
    pins: tuple[HostPin, ...] = (HostPin(host=STS_HOST),)

    def plan(self, finding: Finding, peers: Sequence[Finding]) -> Plan | Verification:
        key_id: Finding | None = finding
        secret: Finding | None = finding
        if finding.rule_id in KEY_ID_RULES:
            secret = nearest(finding, peers, SECRET_RULES)
        else:
            key_id = nearest(finding, peers, KEY_ID_RULES)
        if key_id is None or secret is None:
            missing = "secret access key" if secret is None else "access key id"
            return unknown(self.name, f"no {missing} in the same file to pair with")
        token = (
            nearest(key_id, peers, TOKEN_RULES) if key_id.secret.reveal()[:4] == "ASIA" else None
        )
        parts = (key_id, secret) if token is None else (key_id, secret, token)
        key = ":".join(p.fingerprint for p in parts)
        values = tuple(p.secret.reveal() for p in parts)

        def run(client: HttpClient) -> Verification:
            return self.check(client, *values)

        return Plan(self.name, key, run)

    def check(
        self, client: HttpClient, key_id: str, secret: str, token: str | None = None
    ) -> Verification:
        request = HttpRequest(
            "POST", f"https://{STS_HOST}/", headers=sign(key_id, secret, token), data=BODY
        )
        response = send(client, request, self.pins, self.name)
        if isinstance(response, Verification):
            return response
        status = response.status
        if status == 200:
            account = _ACCOUNT.search(response.body)
            if account is not None:
                detail = f"accepted (account {account.group(1).decode()})"
                return Verification(VerifyStatus.LIVE, self.name, detail)
            return unknown(self.name, "HTTP 200 without an account")
        code = _CODE.search(response.body)
        if status in (400, 403) and code is not None and code.group(1) in INVALID_CODES:
            return Verification(
                VerifyStatus.INVALID, self.name, f"rejected ({code.group(1).decode()})"
            )
        return unjudged(self.name, status, transient=status == 429 or status >= 500)


def sign(key_id: str, secret: str, token: str | None) -> tuple[tuple[str, str], ...]:
    """SigV4 headers for the GetCallerIdentity POST (region us-east-1, service sts)."""
    try:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
    except ImportError:
        raise UserError("verifying AWS keys needs botocore: pip install 'keyguard[aws]'") from None
    request = AWSRequest(
        method="POST",
        url=f"https://{STS_HOST}/",
        data=BODY,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials(key_id, secret, token), "sts", "us-east-1").add_auth(request)
    return tuple((str(k), str(v)) for k, v in request.headers.items())


AWS = AwsStsVerifier()
