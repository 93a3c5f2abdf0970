"""``exec`` and ``webhook``: hand the finding to your own rotation code.

* exec: runs ``command`` (an argument list, no shell) with the finding as JSON on stdin; the raw
  secret is included only with ``pass_secret = true``. Exit status 0 means rotated.
* webhook: POSTs the finding as JSON (never the secret), signed with HMAC-SHA256 over the body
  using the key in the environment variable ``key_env``; header ``X-Keyguard-Signature:
  sha256=<hex>`` (name configurable). Any 2xx means rotated; 429 and 5xx are retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import urllib.error
import urllib.request
from urllib.parse import urlsplit, urlunsplit

from scanner.__about__ import __version__
from scanner.rotation.base import (
    ConfiguredProvider,
    Outcome,
    RotationError,
    RotationRequest,
    Target,
    finding_payload,
)
from scanner.rotation.config import ExecSettings, WebhookSettings
from scanner.secret import mask


class ExecProvider(ConfiguredProvider[ExecSettings]):
    settings_type = ExecSettings

    def resolve(self, request: RotationRequest) -> list[Target]:
        shown = " ".join(self.settings.command)
        what = "finding JSON with the secret" if self.settings.pass_secret else "finding JSON"
        return [Target(shown, f"run command with the {what} on stdin")]

    def rotate(self, request: RotationRequest, target: Target) -> Outcome:
        payload = finding_payload(request, with_secret=self.settings.pass_secret)
        env = dict(self.ctx.env)
        env["KEYGUARD_FINGERPRINT"] = request.fingerprint
        env["KEYGUARD_RULE_ID"] = request.finding.rule_id
        try:
            done = subprocess.run(
                list(self.settings.command),
                input=json.dumps(payload),
                capture_output=True,
                text=True,
                timeout=self.entry.timeout,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RotationError(
                f"command timed out after {self.entry.timeout:g}s", retryable=True
            ) from None
        except OSError as exc:
            raise RotationError(f"cannot run {self.settings.command[0]}: {exc.strerror}") from None
        if done.returncode != 0:
            tail = _scrub(done.stderr, request.finding.secret.reveal())
            raise RotationError(f"command exited {done.returncode}{tail}")
        return Outcome({"command": target.ref, "exit_status": "0"})


def _scrub(stderr: str, secret: str) -> str:
    """The last stderr line, shortened, with the secret masked (pass_secret scripts may echo it)."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1].replace(secret, mask(secret)) if secret else lines[-1]
    return f": {last[:200]}"


class WebhookProvider(ConfiguredProvider[WebhookSettings]):
    settings_type = WebhookSettings

    def resolve(self, request: RotationRequest) -> list[Target]:
        note = "" if self.ctx.env.get(self.settings.key_env) else f"{self.settings.key_env} unset"
        return [Target(shown_url(self.settings.url), "POST signed finding JSON", note=note)]

    def rotate(self, request: RotationRequest, target: Target) -> Outcome:
        key = self.ctx.env.get(self.settings.key_env)
        if not key:
            raise RotationError(
                f"webhook signing key: environment variable {self.settings.key_env} is not set"
            )
        body = json.dumps(finding_payload(request), sort_keys=True).encode("utf-8")
        signature = hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()
        req = urllib.request.Request(
            self.settings.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": f"keyguard/{__version__}",
                "X-Keyguard-Event": "rotation",
                self.settings.header: f"sha256={signature}",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=self.entry.timeout) as response:
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            raise RotationError(
                f"webhook answered HTTP {exc.code}", retryable=exc.code == 429 or exc.code >= 500
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RotationError(f"webhook unreachable: {reason}", retryable=True) from None
        return Outcome({"url": target.ref, "status": str(status)})


def shown_url(url: str) -> str:
    """The URL without credentials or query string (webhook URLs often carry tokens there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
