"""Azure storage account keys: a Shared Key signed ``Get Blob Service Properties``
(``GET https://<account>.blob.core.windows.net/?restype=service&comp=properties``), which reads
the service settings (logging, CORS, metrics) and no data. The key never leaves this process:
only an HMAC-SHA256 signature of the request does.

The account name comes from an ``account`` group of the key's match (``AccountName=...`` in a
connection string) or from a ``azure.storage-account-name`` finding in the same file; without
one the key is ``unknown``, and so is a connection string whose ``EndpointSuffix`` names another
Azure cloud (``suffix`` group). The host is pinned to ``<account>.blob.core.windows.net`` with the
account validated as ``[a-z0-9]{3,24}``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Sequence
from email.utils import formatdate

from scanner.models import Finding, Verification, VerifyStatus
from scanner.verify.http import RETRY_STATUS, HostPin, HttpClient, HttpRequest
from scanner.verify.plan import Plan, nearest
from scanner.verify.providers.common import CallDoc, key_part, part, send, unjudged, unknown

SUFFIX = ".blob.core.windows.net"
API_VERSION = "2021-08-06"
RULES = (
    "azure.storage-account-key",
    "azure.storage-key-assignment",
    "azure.storage-identifiable-key",
)
ACCOUNT_NAME_RULES = ("azure.storage-account-name",)
_ACCOUNT = re.compile(r"[a-z0-9]{3,24}")
_CODE = re.compile(rb"<Code>\s*([A-Za-z]+)\s*</Code>")
QUERY = (("restype", "service"), ("comp", "properties"))

DOCS = (
    CallDoc(
        rules=RULES,
        call="`GET https://{account}.blob.core.windows.net/?restype=service&comp=properties`, "
        "header `Authorization: SharedKey {account}:{signature}` (an HMAC-SHA256 of the request "
        "with the key; the key itself is not sent)",
        answers="live: HTTP 200; invalid: HTTP 403 with error code AuthenticationFailed",
        permission="the account key (full access); the call only reads the Blob service settings",
        docs="https://learn.microsoft.com/rest/api/storageservices/get-blob-service-properties",
    ),
)


class AzureStorageVerifier:
    name: str = "azure.storage-shared-key"
    docs: tuple[CallDoc, ...] = DOCS
    pins: tuple[HostPin, ...] = (HostPin(suffix=SUFFIX),)

    def plan(self, finding: Finding, peers: Sequence[Finding]) -> Plan | Verification:
        suffix = part(finding, "suffix")
        if suffix is not None and "." + suffix.lower() != SUFFIX.removeprefix(".blob"):
            return unknown(self.name, "the account is in another Azure cloud (EndpointSuffix)")
        account = part(finding, "account")
        account_key = ""
        if account is None:
            peer = nearest(finding, peers, ACCOUNT_NAME_RULES)
            if peer is not None:
                account, account_key = peer.secret.reveal(), peer.fingerprint
        if account is None:
            return unknown(self.name, "no storage account name in the same file to pair with")
        account = account.lower()
        if not _ACCOUNT.fullmatch(account):
            return unknown(self.name, "the storage account name is malformed")
        try:
            key = base64.b64decode(finding.secret.reveal(), validate=True)
        except (binascii.Error, ValueError):
            return unknown(self.name, "the key is not base64")
        digest = account_key or key_part(account)

        def run(client: HttpClient) -> Verification:
            return self.check(client, account, key)

        return Plan(self.name, f"{digest}:{finding.fingerprint}", run)

    def check(self, client: HttpClient, account: str, key: bytes) -> Verification:
        url = f"https://{account}{SUFFIX}/"
        headers = sign(account, key, formatdate(usegmt=True))
        request = HttpRequest("GET", url, headers=headers, params=QUERY)
        response = send(client, request, self.pins, self.name)
        if isinstance(response, Verification):
            return response
        status = response.status
        if status == 200:
            return Verification(VerifyStatus.LIVE, self.name, f"accepted (account {account})")
        code = _CODE.search(response.body)
        if status == 403 and code is not None and code.group(1) == b"AuthenticationFailed":
            return Verification(VerifyStatus.INVALID, self.name, "rejected (AuthenticationFailed)")
        return unjudged(self.name, status, transient=status in RETRY_STATUS)


def sign(account: str, key: bytes, date: str) -> tuple[tuple[str, str], ...]:
    """The Shared Key headers for the GET above (Blob service, version 2009-09-19 and later):
    the string to sign is the verb, eleven empty standard headers, the canonical ``x-ms-``
    headers and the canonical resource with its query parameters sorted by name."""
    ms_headers = (("x-ms-date", date), ("x-ms-version", API_VERSION))
    canonical_headers = "".join(f"{k}:{v}\n" for k, v in sorted(ms_headers))
    resource = f"/{account}/" + "".join(f"\n{k}:{v}" for k, v in sorted(QUERY))
    to_sign = "GET\n" + "\n" * 11 + canonical_headers + resource
    signature = base64.b64encode(hmac.new(key, to_sign.encode(), hashlib.sha256).digest())
    return (*ms_headers, ("Authorization", f"SharedKey {account}:{signature.decode()}"))


AZURE_STORAGE = AzureStorageVerifier()
