"""A provider's answer → ``live``/``invalid``/``unknown``/``error`` (docs/verification.md).

Live conditions hold → live; invalid conditions hold → invalid; 429 and 5xx (after the client's
retries) → error; anything else (a redirect, another status, a body that is not the JSON a
condition expects) → unknown.
"""

from __future__ import annotations

import json
from typing import Any

from scanner.models import Verification, VerifyStatus
from scanner.verify.http import RETRY_STATUS, HttpResponse
from scanner.verify.spec import Condition, JsonScalar, JsonWant, VerifierSpec

_MISSING = object()


def judge(spec: VerifierSpec, response: HttpResponse, verifier: str) -> Verification:
    status = response.status
    if status in RETRY_STATUS:
        why = "throttled" if status == 429 else "server error"
        retried = f" after {response.retries} retries" if response.retries else ""
        return Verification(VerifyStatus.ERROR, verifier, f"{why} (HTTP {status}){retried}")
    body = _json(response.body)
    for condition, outcome in (
        (spec.live, VerifyStatus.LIVE),
        (spec.invalid, VerifyStatus.INVALID),
    ):
        if condition is not None and holds(condition, status, body):
            return Verification(outcome, verifier, f"HTTP {status}")
    if 300 <= status < 400:
        return Verification(
            VerifyStatus.UNKNOWN, verifier, f"redirect (HTTP {status}) not followed"
        )
    return Verification(VerifyStatus.UNKNOWN, verifier, f"unexpected answer (HTTP {status})")


def holds(condition: Condition, status: int, body: Any) -> bool:
    """Every given condition holds; ``body`` is the decoded JSON or ``_MISSING``."""
    if condition.status and status not in condition.status:
        return False
    if condition.json and body is _MISSING:
        return False
    return all(_matches(lookup(body, path), want) for path, want in condition.json)


def _matches(value: Any, want: JsonWant) -> bool:
    """``want`` is one value, or a tuple of values any of which will do."""
    if isinstance(want, tuple):
        return any(_equal(value, w) for w in want)
    return _equal(value, want)


def lookup(body: Any, path: str) -> Any:
    """``data.items.0.ok`` → ``body["data"]["items"][0]["ok"]``, or ``_MISSING``."""
    node = body
    for step in path.split("."):
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return _MISSING
    return node


def _equal(value: Any, want: JsonScalar) -> bool:
    if isinstance(want, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(want, bool) and value is want
    if isinstance(want, int | float) and isinstance(value, int | float):
        return value == want
    return type(value) is type(want) and value == want


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _MISSING
