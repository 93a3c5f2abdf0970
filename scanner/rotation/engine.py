"""The rotation run: match findings to ``[[rotation]]`` entries, plan, and (with ``--rotate``) act.

Reads (discovery, describing a secret) happen in plan mode too; nothing is written anywhere (no
managed secret, no state file, no audit log) unless ``options.rotate``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from scanner.config import Config
from scanner.errors import ExitCode
from scanner.models import Finding, RotationStatus
from scanner.rotation.aws import AwsSecretsManagerProvider
from scanner.rotation.azure import AzureKeyVaultProvider
from scanner.rotation.base import Provider, RotationError, RotationRequest, Target
from scanner.rotation.config import RotationEntry, parse_rotation
from scanner.rotation.conjur import ConjurProvider
from scanner.rotation.context import ProviderContext
from scanner.rotation.gcp import GcpSecretManagerProvider
from scanner.rotation.hooks import ExecProvider, WebhookProvider
from scanner.rotation.k8s import KubernetesProvider
from scanner.rotation.state import DEFAULT_AUDIT_FILE, DEFAULT_STATE_FILE, AuditLog, RotationState
from scanner.rotation.vault import VaultProvider

ROTATION_ERROR_EXIT = int(ExitCode.ROTATION_FAILED)
"""Exit status when a rotation failed and ``--fail-on-rotation-error`` was given."""

ProviderFactory = Callable[[RotationEntry, ProviderContext], Provider]
PROVIDERS: dict[str, ProviderFactory] = {
    "aws-secretsmanager": AwsSecretsManagerProvider,
    "azure-keyvault": AzureKeyVaultProvider,
    "conjur": ConjurProvider,
    "exec": ExecProvider,
    "gcp-secretmanager": GcpSecretManagerProvider,
    "kubernetes": KubernetesProvider,
    "vault": VaultProvider,
    "webhook": WebhookProvider,
}
Echo = Callable[[str], None]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RotationOptions:
    """The rotation CLI flags. ``plan=None``: print the plan whenever rotation is configured."""

    rotate: bool = False
    plan: bool | None = None
    fail_on_error: bool = False
    state_file: Path | None = None
    audit_file: Path | None = None


@dataclass(frozen=True, slots=True)
class ActionResult:
    """One line of the plan or of the outcome. ``status``: planned, rotated, skipped, failed,
    no-target."""

    status: str
    entry: str
    provider: str
    rule_id: str
    fingerprint: str
    location: str
    target: str = ""
    action: str = ""
    message: str = ""
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RotationSummary:
    results: tuple[ActionResult, ...] = ()
    rotate: bool = False
    fail_on_error: bool = False

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> int:
        return self.count("failed")

    def exit_code(self, status: int) -> int:
        """``status`` (the scan's own exit status), or 4 when a rotation failed and
        ``--fail-on-rotation-error`` was given (user errors, 2, take precedence)."""
        if self.fail_on_error and self.failed and status != 2:
            return ROTATION_ERROR_EXIT
        return status

    def by_fingerprint(self) -> dict[str, RotationStatus]:
        """One status per secret (fingerprint) for the reports: the most telling of its
        results (failed, rotated, planned, skipped, no-target), with every target it names."""
        grouped: dict[str, list[ActionResult]] = {}
        for r in self.results:
            grouped.setdefault(r.fingerprint, []).append(r)
        out: dict[str, RotationStatus] = {}
        for fp, results in grouped.items():
            top = min(results, key=lambda r: _RANK.get(r.status, len(_RANK)))
            chosen = [r for r in results if r.status == top.status]
            targets = dict.fromkeys(r.target for r in results if r.target)
            detail = "; ".join(
                dict.fromkeys(r.message or r.action for r in chosen if r.message or r.action)
            )
            out[fp] = RotationStatus(top.status, top.provider, ", ".join(targets), detail)
        return out


_RANK = {s: i for i, s in enumerate(("failed", "rotated", "planned", "skipped", "no-target"))}


@dataclass
class _Run:
    options: RotationOptions
    providers: Mapping[str, ProviderFactory]
    ctx: ProviderContext
    sleep: Callable[[float], None]
    state: RotationState
    audit: AuditLog | None
    instances: dict[str, Provider] = field(default_factory=dict)
    results: list[ActionResult] = field(default_factory=list)

    def provider(self, entry: RotationEntry) -> Provider:
        if entry.name not in self.instances:
            factory = self.providers.get(entry.provider)
            if factory is None:
                raise RotationError(f"no provider `{entry.provider}` registered")
            self.instances[entry.name] = factory(entry, self.ctx)
        return self.instances[entry.name]

    def add(self, request: RotationRequest, status: str, **kwargs: Any) -> ActionResult:
        result = ActionResult(
            status=status,
            entry=request.entry.name,
            provider=request.entry.provider,
            rule_id=request.finding.rule_id,
            fingerprint=request.fingerprint,
            location=request.finding.origin.display,
            **kwargs,
        )
        self.results.append(result)
        return result

    def log(self, event: str, request: RotationRequest, **fields: Any) -> None:
        if self.audit is None:
            return
        record = {
            "time": self.ctx.now(),
            "event": event,
            "entry": request.entry.name,
            "provider": request.entry.provider,
            "rule_id": request.finding.rule_id,
            "fingerprint": request.fingerprint,
            "location": request.finding.origin.display,
            **fields,
        }
        self.audit.write(record)

    def retrying(self, request: RotationRequest, what: str, func: Callable[[], T]) -> T:
        """``func()`` with up to ``entry.retries`` retries of retryable errors, exponential
        backoff; any other exception becomes a (non-retryable) ``RotationError``."""
        entry = request.entry
        attempt = 0
        while True:
            attempt += 1
            try:
                return func()
            except RotationError as exc:
                if not exc.retryable or attempt > entry.retries:
                    raise
                self.log("retry", request, step=what, attempt=attempt, error=str(exc))
            except Exception as exc:  # a provider library failing unexpectedly: not a crash
                raise RotationError(f"{what}: unexpected {type(exc).__name__}") from None
            self.sleep(entry.backoff * 2 ** (attempt - 1))

    def handle(self, request: RotationRequest) -> None:
        prior = self.state.get(request.fingerprint)
        if prior is not None:
            when = prior.get("rotated_at", "?")
            self.add(request, "skipped", message=f"already rotated at {when}")
            self.log("skip", request, reason="already rotated", rotated_at=when)
            return
        try:
            provider = self.provider(request.entry)
            targets = self.retrying(request, "resolve", lambda: provider.resolve(request))
        except RotationError as exc:
            self.add(request, "failed", message=str(exc))
            self.log("result", request, status="error", step="resolve", error=str(exc))
            return
        if not targets:
            self.add(request, "no-target", message="no managed secret holds this value")
            self.log("result", request, status="no-target")
            return
        if not self.options.rotate:
            for target in targets:
                self.add(
                    request, "planned", target=target.ref, action=target.action, message=target.note
                )
            return
        if all([self.apply(request, target) for target in targets]):
            self.state.record(
                request.fingerprint,
                {
                    "rotated_at": self.ctx.now(),
                    "entry": request.entry.name,
                    "provider": request.entry.provider,
                    "rule_id": request.finding.rule_id,
                    "targets": [t.ref for t in targets],
                },
            )

    def apply(self, request: RotationRequest, target: Target) -> bool:
        self.log("attempt", request, target=target.ref, action=target.action)
        provider = self.provider(request.entry)
        try:
            outcome = self.retrying(request, "rotate", lambda: provider.rotate(request, target))
        except RotationError as exc:
            self.add(request, "failed", target=target.ref, action=target.action, message=str(exc))
            self.log("result", request, target=target.ref, status="error", error=str(exc))
            return False
        self.add(
            request, "rotated", target=target.ref, action=target.action, details=outcome.details
        )
        self.log("result", request, target=target.ref, status="ok", details=outcome.details)
        return True


def build_requests(
    findings: Sequence[Finding], entries: Sequence[RotationEntry], detected_at: str
) -> list[RotationRequest]:
    """One request per leaked value (fingerprint) that some entry matches, first entry wins."""
    first: dict[str, Finding] = {}
    counts: dict[str, int] = {}
    for finding in findings:
        fp = finding.fingerprint
        counts[fp] = counts.get(fp, 0) + 1
        first.setdefault(fp, finding)
    requests = []
    for fp, finding in first.items():
        entry = next((e for e in entries if e.matches(finding.rule_id, fp)), None)
        if entry is not None:
            requests.append(RotationRequest(finding, entry, counts[fp], detected_at))
    return requests


def run(
    findings: Sequence[Finding],
    config: Config,
    options: RotationOptions,
    warn: Echo,
    echo: Echo | None = None,
    *,
    providers: Mapping[str, ProviderFactory] = PROVIDERS,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RotationSummary:
    """The rotation hook every scanning command calls once its findings are final.

    Prints the plan (or, with ``--rotate``, what was done) through ``echo`` and failures through
    ``warn``; returns a summary whose ``exit_code(status)`` applies ``--fail-on-rotation-error``.
    Raises ``ConfigError`` for an invalid ``[[rotation]]`` table and ``RotationStateError`` for an
    unreadable state file; a failing rotation never raises.
    """
    say = echo or warn
    entries = parse_rotation(config.rotation, config.source)
    if not entries:
        if options.rotate or options.plan:
            flag = "--rotate" if options.rotate else "--rotation-plan"
            warn(f"{flag}: no [[rotation]] entries in the config; nothing to rotate")
        return RotationSummary()
    if not findings or (not options.rotate and options.plan is False):
        return RotationSummary()
    now_clock = clock or (lambda: datetime.now(UTC))

    def now() -> str:
        return now_clock().strftime("%Y-%m-%dT%H:%M:%SZ")

    state = RotationState.load(options.state_file or DEFAULT_STATE_FILE)
    audit = None
    if options.rotate:
        audit = AuditLog(options.audit_file or DEFAULT_AUDIT_FILE)
        audit.touch()
    job = _Run(
        options=options,
        providers=providers,
        ctx=ProviderContext(dict(os.environ) if env is None else env, now),
        sleep=sleep,
        state=state,
        audit=audit,
    )
    for request in build_requests(findings, entries, now()):
        job.handle(request)
    summary = RotationSummary(tuple(job.results), options.rotate, options.fail_on_error)
    report(summary, say, warn)
    return summary


def report(summary: RotationSummary, echo: Echo, warn: Echo) -> None:
    label = "rotation" if summary.rotate else "rotation plan"
    for r in summary.results:
        where = f"{r.location} [{r.rule_id} {r.fingerprint[:12]}]"
        if r.status == "failed":
            target = f" {r.target}" if r.target else ""
            warn(f"rotation failed: {where} → {r.provider}{target}: {r.message}")
        elif r.status == "planned":
            note = f" ({r.message})" if r.message else ""
            echo(f"{label}: {where} → {r.provider} {r.target}: {r.action}{note}")
        elif r.status == "rotated":
            echo(f"{label}: {where} → {r.provider} {r.target}: done ({r.action})")
        else:
            echo(f"{label}: {where} → {r.provider}: {r.status}: {r.message}")
    counts = ", ".join(
        f"{summary.count(s)} {s}"
        for s in ("planned", "rotated", "skipped", "no-target", "failed")
        if summary.count(s)
    )
    tail = "" if summary.rotate else "; nothing changed (add --rotate to apply)"
    echo(f"{label}: {counts or 'no matching findings'}{tail}")
