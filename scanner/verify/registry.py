"""The explicit registry of code verifiers, by the rule id whose findings they check.

A rule listed here is verified by code, not by a ``[rules.verify]`` table. Add a provider with
one line (its module under ``scanner/verify/providers/``).
"""

from __future__ import annotations

from scanner.verify.aws import AWS
from scanner.verify.plan import CodeVerifier
from scanner.verify.providers import azure_storage, database, datadog, twilio

CODE_VERIFIERS: dict[str, CodeVerifier] = {
    "aws.access-key-id": AWS,
    "aws.secret-access-key": AWS,
    "aws.access-key-pair": AWS,
    **dict.fromkeys(twilio.RULES, twilio.TWILIO),
    **dict.fromkeys(azure_storage.RULES, azure_storage.AZURE_STORAGE),
    **dict.fromkeys(datadog.RULES, datadog.DATADOG),
    **dict.fromkeys(database.RULES, database.DATABASE),  # --verify-connect-databases
}
