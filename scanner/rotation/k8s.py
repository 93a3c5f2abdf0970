"""``kubernetes``: replace a leaked value in a Kubernetes Secret with the ``kubernetes`` client.

The new value is written with a resourceVersion-checked update (409 Conflict: read again, try
again), together with annotations recording the leak (never the value). With ``restart = true``
the Deployments, StatefulSets and DaemonSets using the Secret get a rollout restart.
Transient HTTP errors are retried by the client's urllib3 ``Retry`` (see ``httpretry``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from scanner.rotation.base import (
    Outcome,
    RotationError,
    RotationRequest,
    Target,
    only_key,
    sha256_hex,
)
from scanner.rotation.config import K8sSettings, RotationEntry
from scanner.rotation.context import ProviderContext
from scanner.rotation.httpretry import retry_policy
from scanner.rotation.indexed import IndexedProvider, index_data, sdk
from scanner.rotation.k8s_workloads import Workloads

ANNOTATION_FINGERPRINT = "keyguard/leaked-fingerprint"
ANNOTATION_ROTATED_AT = "keyguard/rotated-at"
ANNOTATION_RULE = "keyguard/rule"
ANNOTATION_KEY = "keyguard/key"
SKIPPED_TYPES = frozenset({"kubernetes.io/service-account-token"})
PAGE_SIZE = 250
CONFLICT_ATTEMPTS = 5
MAX_DISCOVERED_SECRETS = 20000


class _Conflict(Exception):
    """409 from a resourceVersion-checked write."""


class KubernetesProvider(IndexedProvider[K8sSettings]):
    settings_type = K8sSettings

    def __init__(self, entry: RotationEntry, ctx: ProviderContext) -> None:
        super().__init__(entry, ctx)
        self._core: Any = None
        self._workloads: Workloads | None = None

    # -- client -----------------------------------------------------------------------------
    def make_client(self) -> Any:
        """The ``ApiClient`` the typed APIs (core, apps) share."""
        with sdk("kubernetes", "k8s"):
            from kubernetes import client
        return client.ApiClient(self.configuration(client.Configuration()))

    def core(self) -> Any:
        if self._core is None:
            api = self.client()
            from kubernetes import client

            self._core = client.CoreV1Api(api)
        return self._core

    def configuration(self, cfg: Any) -> Any:
        env = self.ctx.env
        if self.settings.host:
            cfg.host = self.settings.host.rstrip("/")
            if self.settings.token_env:
                token = env.get(self.settings.token_env)
                if not token:
                    raise RotationError(f"no Kubernetes token: set {self.settings.token_env}")
                cfg.api_key = {"authorization": token}
                cfg.api_key_prefix = {"authorization": "Bearer"}
            if self.settings.ca_cert:
                cfg.ssl_ca_cert = self.settings.ca_cert
        else:
            from kubernetes import config

            kube_config: Any = config  # its loaders are untyped
            try:
                if env.get("KUBERNETES_SERVICE_HOST") and not self.settings.kubeconfig:
                    kube_config.load_incluster_config(client_configuration=cfg)
                else:
                    kube_config.load_kube_config(
                        config_file=self.settings.kubeconfig or env.get("KUBECONFIG"),
                        context=self.settings.context,
                        client_configuration=cfg,
                    )
            except (kube_config.ConfigException, OSError) as exc:
                raise RotationError(f"cannot load the Kubernetes configuration: {exc}") from None
        cfg.retries = retry_policy(self.entry)
        return cfg

    def workloads(self) -> Workloads:
        if self._workloads is None:
            api = self.client()
            from kubernetes import client

            self._workloads = Workloads(
                client.AppsV1Api(api), api.sanitize_for_serialization, self.call
            )
        return self._workloads

    def call(self, what: str, func: Any, **kwargs: Any) -> Any:
        """One API call with the entry's timeout; errors become ``RotationError`` (not
        retryable: the HTTP client has already retried transient ones)."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            return func(_request_timeout=self.entry.timeout, **kwargs)
        except ApiException as exc:
            if exc.status == 409:
                raise _Conflict() from None
            reason = exc.reason or "error"
            raise RotationError(f"{what}: HTTP {exc.status} {reason}") from None
        except HTTPError as exc:
            raise RotationError(f"{what}: API server unreachable ({type(exc).__name__})") from None

    def read(self, namespace: str, name: str) -> Any:
        try:
            return self.call(
                f"read secret {namespace}/{name}",
                self.core().read_namespaced_secret,
                name=name,
                namespace=namespace,
            )
        except _Conflict:
            raise RotationError(f"read secret {namespace}/{name}: HTTP 409") from None

    # -- read only -------------------------------------------------------------------------
    def resolve(self, request: RotationRequest) -> list[Target]:
        if self.entry.discover:
            index = self.discovery_index()
            found = index.get(request.finding.secret.digest(), [])
            found = found + [
                t for t in index.get("fp:" + request.fingerprint, []) if t not in found
            ]
        else:
            ref = self.settings.secret or ""
            namespace, _, name = ref.partition("/")
            secret = self.read(namespace, name)
            data = secret.data or {}
            key = self.entry.generator.field or (next(iter(data)) if len(data) == 1 else None)
            found = [Target(ref, "", key)]
        return [self.with_action(t) for t in found]

    def with_action(self, target: Target) -> Target:
        where = f"data key `{target.field}`" if target.field else "the data key"
        action = f"replace {where} (resourceVersion-checked update), annotate the leak"
        if self.settings.restart:
            namespace, _, name = target.ref.partition("/")
            using = self.workloads().using(namespace, name)
            shown = ", ".join(w.ref for w in using) or "none use it"
            action += f", restart workloads ({shown})"
        return Target(target.ref, action, target.field)

    def build_index(self) -> dict[str, list[Target]]:
        """digest of each data/stringData value → the Secrets (and keys) holding it; also
        ``fp:<fingerprint>`` → Secrets annotated by an earlier, unfinished rotation."""
        index: dict[str, list[Target]] = {}
        seen = 0
        for namespace in self.settings.namespaces:
            token: str | None = None
            while seen < MAX_DISCOVERED_SECRETS:
                page = self.call(
                    f"list secrets in {namespace}",
                    self.core().list_namespaced_secret,
                    namespace=namespace,
                    limit=PAGE_SIZE,
                    _continue=token,
                    label_selector=self.settings.label_selector,
                )
                for secret in page.items or ():
                    seen += 1
                    self.index_secret(secret, index)
                token = page.metadata._continue if page.metadata else None
                if not token:
                    break
        return index

    def index_secret(self, secret: Any, index: dict[str, list[Target]]) -> None:
        if secret.type in SKIPPED_TYPES:
            return  # managed by the token controller: never overwritten with a random value
        meta = secret.metadata
        ref = f"{meta.namespace}/{meta.name}"
        index_data(index, ref, _values(secret))
        annotations = meta.annotations or {}
        fingerprint = annotations.get(ANNOTATION_FINGERPRINT)
        if fingerprint:
            index.setdefault("fp:" + fingerprint, []).append(
                Target(ref, "", annotations.get(ANNOTATION_KEY))
            )

    # -- changes ----------------------------------------------------------------------------
    def rotate(self, request: RotationRequest, target: Target) -> Outcome:
        namespace, _, name = target.ref.partition("/")
        for _attempt in range(CONFLICT_ATTEMPTS):
            secret = self.read(namespace, name)
            if secret.immutable:
                raise RotationError(f"secret {target.ref} is immutable; replace it instead")
            key = target.field or only_key(secret.data or {}, target.ref)
            annotations = dict(secret.metadata.annotations or {})
            done = (
                annotations.get(ANNOTATION_FINGERPRINT) == request.fingerprint
                and annotations.get(ANNOTATION_KEY) == key
            )
            if done:  # an earlier attempt wrote the new value: only the restarts are left
                version = str(secret.metadata.resource_version or "")
                break
            current = _values(secret).get(key)
            leaked = request.finding.secret.digest()
            if self.entry.discover and (current is None or sha256_hex(current) != leaked):
                raise RotationError(f"{target.ref}: `{key}` no longer holds the leaked value")
            try:
                version = self.write(secret, key, request)
            except _Conflict:
                continue  # changed since read: read again and retry with its resourceVersion
            break
        else:
            raise RotationError(
                f"write secret {target.ref}: still conflicting after {CONFLICT_ATTEMPTS} tries"
            )
        details = {"secret": target.ref, "key": key, "resource_version": version}
        if self.settings.restart:
            restarted = [w.ref for w in self.restart(namespace, name)]
            details["restarted"] = ",".join(restarted) or "none"
        return Outcome(details)

    def write(self, secret: Any, key: str, request: RotationRequest) -> str:
        value = self.new_value()
        secret.data = dict(secret.data or {})
        secret.data[key] = base64.b64encode(value.encode("utf-8")).decode("ascii")
        if secret.string_data and key in secret.string_data:
            secret.string_data = {k: v for k, v in secret.string_data.items() if k != key}
        secret.metadata.annotations = {
            **(secret.metadata.annotations or {}),
            ANNOTATION_FINGERPRINT: request.fingerprint,
            ANNOTATION_ROTATED_AT: self.ctx.now(),
            ANNOTATION_RULE: request.finding.rule_id,
            ANNOTATION_KEY: key,
        }
        meta = secret.metadata
        written = self.call(
            f"write secret {meta.namespace}/{meta.name}",
            self.core().replace_namespaced_secret,
            name=meta.name,
            namespace=meta.namespace,
            body=secret,  # carries metadata.resourceVersion: a stale one gets 409 Conflict
        )
        return str(written.metadata.resource_version or "")

    def restart(self, namespace: str, name: str) -> list[Any]:
        workloads = self.workloads()
        using = workloads.using(namespace, name)
        for workload in using:
            try:
                workloads.restart(workload, self.ctx.now())
            except _Conflict:
                raise RotationError(f"restart {workload.ref}: HTTP 409") from None
            except RotationError as exc:
                raise RotationError(f"secret {namespace}/{name} rotated, but {exc}") from None
        return using


def _values(secret: Any) -> dict[str, str]:
    """The Secret's values as text: ``data`` (base64) and ``stringData``; binary values that
    are not UTF-8 are left out."""
    values: dict[str, str] = {}
    for key, encoded in (secret.data or {}).items():
        try:
            values[key] = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            continue
    for key, text in (secret.string_data or {}).items():
        values.setdefault(key, text)
    return values
