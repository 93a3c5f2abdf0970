"""``--verify``: give every finding a ``Verification``.

Who may verify: a rule's verifier (a ``[rules.verify]`` table or a registered code verifier)
runs only when the rule comes from the built-in pack, or from a rule file the user named with
``--rules`` together with ``--custom-verifiers``. Rules from a config, and anything found in
the scanned tree, never send a request (docs/security.md).

Each distinct (verifier, fingerprints) is asked once, through a bounded thread pool; answers
are cached (``store``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from scanner.models import Finding, Verification, VerifyStatus
from scanner.rulebook.compile import Ruleset
from scanner.verify.datahttp import data_check
from scanner.verify.http import ClientOptions, HttpClient
from scanner.verify.plan import CodeVerifier, Plan
from scanner.verify.store import ResultStore


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    """The ``--verify`` flags."""

    client: ClientOptions = ClientOptions()
    concurrency: int = 8
    cache_ttl: float = 24 * 3600.0
    custom_verifiers: bool = False
    only_verified: bool = False
    fail_on_verified: bool = False
    connect_databases: bool = False  # --verify-connect-databases: database URLs connect


@dataclass(frozen=True, slots=True)
class Trust:
    """Which rule sources may verify: ``builtin`` (directories), and ``custom`` (the paths
    given with ``--rules``) only when ``--custom-verifiers`` was passed."""

    builtin: tuple[Path, ...]
    custom: tuple[Path, ...] = ()

    def allows(self, source: str) -> bool:
        path = _resolved(Path(source))
        if any(path.parent == _resolved(d) for d in self.builtin):
            return True
        return any(path == p or path.is_relative_to(p) for p in map(_resolved, self.custom))


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


NO_VERIFIER = "no verifier"


def plan_for(
    finding: Finding,
    peers: Sequence[Finding],
    ruleset: Ruleset,
    trust: Trust,
    code_verifiers: dict[str, CodeVerifier],
) -> Plan | Verification:
    rule = ruleset.get(finding.rule_id)
    spec = rule.spec if rule is not None else None
    code = code_verifiers.get(finding.rule_id)
    data = spec.verify if spec is not None else None
    if spec is None or (code is None and data is None):
        return Verification(VerifyStatus.UNKNOWN, "", NO_VERIFIER)
    if not trust.allows(spec.source):
        return Verification(
            VerifyStatus.UNKNOWN,
            "",
            "verifier not run: its rule file was not given with --rules and --custom-verifiers",
        )
    if code is not None:
        return code.plan(finding, peers)
    assert data is not None
    checked = data_check(finding.rule_id, data, finding)
    if isinstance(checked, Verification):
        return checked
    name, run = checked
    key = ":".join([finding.fingerprint, *(f"{k}={v.fingerprint()}" for k, v in finding.parts)])
    return Plan(name, key, run)


def _blob(finding: Finding) -> tuple[object, ...]:
    detail = tuple((k, v) for k, v in finding.origin.detail if k != "decoded")
    return (finding.origin.path, finding.origin.members, detail)


def verify_findings(
    findings: Sequence[Finding],
    ruleset: Ruleset,
    options: VerifyOptions,
    trust: Trust,
    store: ResultStore | None = None,
    code_verifiers: dict[str, CodeVerifier] | None = None,
) -> list[Finding]:
    """``findings`` with ``verification`` set, in the same order."""
    if code_verifiers is None:
        from scanner.verify.registry import CODE_VERIFIERS

        code_verifiers = CODE_VERIFIERS
    code_verifiers = {rid: _configured(v, options) for rid, v in code_verifiers.items()}
    peers: dict[tuple[object, ...], list[Finding]] = {}
    for f in findings:
        peers.setdefault(_blob(f), []).append(f)
    jobs = [plan_for(f, peers[_blob(f)], ruleset, trust, code_verifiers) for f in findings]
    plans = {(j.verifier, j.key): j for j in jobs if isinstance(j, Plan)}
    answers = _answers(plans.values(), options, store)
    out: list[Finding] = []
    for finding, job in zip(findings, jobs, strict=True):
        result = answers[(job.verifier, job.key)] if isinstance(job, Plan) else job
        out.append(replace(finding, verification=result))
    return out


def _configured(verifier: CodeVerifier, options: VerifyOptions) -> CodeVerifier:
    """The database verifier connects only with ``--verify-connect-databases``."""
    from scanner.verify.providers.database import DatabaseVerifier

    if isinstance(verifier, DatabaseVerifier):
        client = options.client
        return verifier.configured(options.connect_databases, client.routes, client.timeout)
    return verifier


def _answers(
    plans: Iterable[Plan], options: VerifyOptions, store: ResultStore | None
) -> dict[tuple[str, str], Verification]:
    answers: dict[tuple[str, str], Verification] = {}
    todo: list[Plan] = []
    for plan in plans:
        cached = store.load(plan.verifier, plan.key) if store is not None else None
        if cached is not None:
            answers[(plan.verifier, plan.key)] = cached
        else:
            todo.append(plan)
    if not todo:
        return answers
    with (
        HttpClient(options.client) as client,
        ThreadPoolExecutor(max_workers=max(1, options.concurrency)) as pool,
    ):
        futures = [(plan, pool.submit(plan.run, client)) for plan in todo]
        for plan, future in futures:
            result = future.result()
            answers[(plan.verifier, plan.key)] = result
            if store is not None:
                store.save(plan.key, result)
    return answers


def count_live(findings: Iterable[Finding]) -> int:
    return sum(
        1
        for f in findings
        if f.verification is not None and f.verification.status is VerifyStatus.LIVE
    )
