"""Twilio: a credential is two parts sent as HTTP basic auth, found as separate findings.

- API key SID (``SK...``) + API key secret: ``GET https://messaging.twilio.com/v1/Services``
  (lists Messaging Services; read-only, any standard key may call it; needs no Account SID).
- Account SID (``AC...``) + auth token: ``GET https://api.twilio.com/2010-04-01/Accounts/{AC}.json``
  (fetches the account itself).

Each finding is paired with the nearest finding of the other part in the same file or blob; the
Account SID comes from an ``account`` group of the match (``AC...:token``) or the nearest
``twilio.account-sid`` finding, the API key SID from a ``keysid`` group (``SK...:secret``) or
the nearest ``twilio.api-key-sid`` finding.
Twilio answers 401 (error 20003) to credentials it does not know.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from scanner.models import Finding, Verification
from scanner.verify.http import HostPin, HttpClient, HttpRequest
from scanner.verify.plan import Plan, nearest
from scanner.verify.providers.common import (
    CallDoc,
    key_part,
    outcome_spec,
    part,
    send_and_judge,
    unknown,
)

API_HOST = "api.twilio.com"
MESSAGING_HOST = "messaging.twilio.com"
SERVICES_URL = f"https://{MESSAGING_HOST}/v1/Services"
KEY_SID_RULES = ("twilio.api-key-sid",)
KEY_SECRET_RULES = ("twilio.api-key-secret", "twilio.credential-pair")
TOKEN_RULES = ("twilio.auth-token", "twilio.credential-pair")
ACCOUNT_SID_RULES = ("twilio.account-sid",)
RULES = tuple(sorted({*ACCOUNT_SID_RULES, *KEY_SID_RULES, *KEY_SECRET_RULES, *TOKEN_RULES}))
_ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")
_KEY_SID = re.compile(r"SK[0-9a-fA-F]{32}")

DOCS = (
    CallDoc(
        rules=("twilio.api-key-sid", "twilio.api-key-secret", "twilio.credential-pair"),
        call="`GET https://messaging.twilio.com/v1/Services?PageSize=1`, basic auth "
        "`{API key SID}:{secret}`",
        answers="live: HTTP 200; invalid: HTTP 401",
        permission="a standard API key (lists Messaging Services; read-only)",
        docs="https://www.twilio.com/docs/messaging/api/service-resource",
    ),
    CallDoc(
        rules=("twilio.auth-token", "twilio.credential-pair"),
        call="`GET https://api.twilio.com/2010-04-01/Accounts/{AccountSid}.json`, basic auth "
        "`{AccountSid}:{secret}` (needs the Account SID beside the token)",
        answers="live: HTTP 200; invalid: HTTP 401",
        permission="the auth token itself (fetches its own account)",
        docs="https://www.twilio.com/docs/iam/api/account",
    ),
    CallDoc(
        rules=("twilio.account-sid",),
        call="`GET https://api.twilio.com/2010-04-01/Accounts/{secret}.json`, basic auth "
        "`{secret}:{auth token}` with the nearest `twilio.auth-token` of the same file (the "
        "same request, and cache entry, as that token's; a lone SID is not verified)",
        answers="live: HTTP 200; invalid: HTTP 401",
        permission="the auth token beside it (fetches its own account)",
        docs="https://www.twilio.com/docs/iam/api/account",
    ),
)


class TwilioVerifier:
    name: str = "twilio.basic-auth"
    docs: tuple[CallDoc, ...] = DOCS
    pins: tuple[HostPin, ...] = (HostPin(host=API_HOST), HostPin(host=MESSAGING_HOST))

    def plan(self, finding: Finding, peers: Sequence[Finding]) -> Plan | Verification:
        rid = finding.rule_id
        if rid in ACCOUNT_SID_RULES:  # the same check (and cache key) as from the token's side
            token = nearest(finding, peers, ("twilio.auth-token",))
            if token is None or not _ACCOUNT_SID.fullmatch(finding.secret.reveal()):
                return unknown(self.name, "no auth token in the same file to pair with")
            return self._account_plan((finding.secret.reveal(), finding.fingerprint), token)
        if rid in KEY_SID_RULES:
            secret = nearest(finding, peers, KEY_SECRET_RULES)
            if secret is None:
                return unknown(self.name, "no API key secret in the same file to pair with")
            return self._key_plan(finding.secret.reveal(), finding.fingerprint, secret)
        captured = part(finding, "keysid")  # SK...:secret in one match
        if captured is not None:
            return self._key_plan(captured, key_part(captured), finding)
        key_sid = nearest(finding, peers, KEY_SID_RULES) if rid in KEY_SECRET_RULES else None
        if key_sid is not None and (
            rid == "twilio.api-key-secret" or key_sid.position.line == finding.position.line
        ):
            return self._key_plan(key_sid.secret.reveal(), key_sid.fingerprint, finding)
        if rid in TOKEN_RULES:
            account = self._account_sid(finding, peers)
            if account is None:
                return unknown(self.name, "no Account SID in the same file to pair with")
            return self._account_plan(account, finding)
        return unknown(self.name, "no API key SID in the same file to pair with")

    @staticmethod
    def _account_sid(finding: Finding, peers: Sequence[Finding]) -> tuple[str, str] | None:
        """(Account SID, fingerprint part of the cache key) or None."""
        captured = part(finding, "account")
        if captured is not None and _ACCOUNT_SID.fullmatch(captured):
            return captured, key_part(captured)
        peer = nearest(finding, peers, ACCOUNT_SID_RULES)
        if peer is not None and _ACCOUNT_SID.fullmatch(peer.secret.reveal()):
            return peer.secret.reveal(), peer.fingerprint
        return None

    def _key_plan(self, user: str, user_key: str, secret: Finding) -> Plan | Verification:
        """``user`` is the API key SID, ``user_key`` its part of the cache key."""
        if not _KEY_SID.fullmatch(user):
            return unknown(self.name, "the API key SID is malformed")
        password = secret.secret.reveal()
        request = HttpRequest(
            "GET", SERVICES_URL, params=(("PageSize", "1"),), auth=(user, password)
        )
        spec = outcome_spec(SERVICES_URL, live=(200,), invalid=(401,))

        def run(client: HttpClient) -> Verification:
            return send_and_judge(client, request, self.pins, spec, f"{self.name}:api-key")

        return Plan(f"{self.name}:api-key", f"{user_key}:{secret.fingerprint}", run)

    def _account_plan(self, account: tuple[str, str], token: Finding) -> Plan:
        sid, sid_key = account
        url = f"https://{API_HOST}/2010-04-01/Accounts/{sid}.json"
        request = HttpRequest("GET", url, auth=(sid, token.secret.reveal()))
        spec = outcome_spec(url, live=(200,), invalid=(401,))
        name = f"{self.name}:account"

        def run(client: HttpClient) -> Verification:
            return send_and_judge(client, request, self.pins, spec, name)

        key = f"{sid_key}:{token.fingerprint}"
        return Plan(name, key, run)


TWILIO = TwilioVerifier()
