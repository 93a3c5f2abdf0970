"""Which workloads use a Secret, and the rollout restart of them (``restart = true``).

A Deployment, StatefulSet or DaemonSet uses a Secret when its pod template mounts it (a
``secret`` volume or a ``projected`` volume source), or reads it through ``env[].valueFrom.
secretKeyRef`` or ``envFrom[].secretRef``. A restart is what ``kubectl rollout restart`` does:
a patch of ``spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
KINDS = {"deployment": "deployment", "statefulset": "stateful_set", "daemonset": "daemon_set"}
"""kind (as ``kubectl`` names it) → the ``AppsV1Api`` method suffix."""
PAGE_SIZE = 250


@dataclass(frozen=True, slots=True)
class Workload:
    kind: str
    namespace: str
    name: str
    secrets: frozenset[str]

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"


def secrets_used(pod_spec: Mapping[str, Any]) -> frozenset[str]:
    """Names of the Secrets a pod spec (JSON form, camelCase keys) mounts or reads."""
    names: set[str] = set()
    for volume in pod_spec.get("volumes") or ():
        name = (volume.get("secret") or {}).get("secretName")
        if name:
            names.add(name)
        for source in (volume.get("projected") or {}).get("sources") or ():
            name = (source.get("secret") or {}).get("name")
            if name:
                names.add(name)
    containers = [
        *(pod_spec.get("containers") or ()),
        *(pod_spec.get("initContainers") or ()),
        *(pod_spec.get("ephemeralContainers") or ()),
    ]
    for container in containers:
        for env in container.get("env") or ():
            name = ((env.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name")
            if name:
                names.add(name)
        for source in container.get("envFrom") or ():
            name = (source.get("secretRef") or {}).get("name")
            if name:
                names.add(name)
    return frozenset(names)


class Workloads:
    """The workloads of each namespace (listed once per run, page by page), and restarts.

    ``call(what, func, **kwargs)`` runs one API call and maps its errors (the provider's).
    """

    def __init__(self, apps: Any, serialize: Callable[[Any], Any], call: Callable[..., Any]):
        self.apps = apps
        self.serialize = serialize
        self.call = call
        self._by_namespace: dict[str, list[Workload]] = {}

    def using(self, namespace: str, secret: str) -> list[Workload]:
        if namespace not in self._by_namespace:
            self._by_namespace[namespace] = list(self._list(namespace))
        return [w for w in self._by_namespace[namespace] if secret in w.secrets]

    def _list(self, namespace: str) -> Iterator[Workload]:
        for kind, method in KINDS.items():
            lister = getattr(self.apps, f"list_namespaced_{method}")
            token: str | None = None
            while True:
                page = self.call(
                    f"list {kind}s in {namespace}",
                    lister,
                    namespace=namespace,
                    limit=PAGE_SIZE,
                    _continue=token,
                )
                for item in page.items or ():
                    data = self.serialize(item)
                    pod_spec = data.get("spec", {}).get("template", {}).get("spec", {})
                    name = data.get("metadata", {}).get("name", "")
                    yield Workload(kind, namespace, name, secrets_used(pod_spec))
                token = page.metadata._continue if page.metadata else None
                if not token:
                    break

    def restart(self, workload: Workload, now: str) -> None:
        patcher = getattr(self.apps, f"patch_namespaced_{KINDS[workload.kind]}")
        body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}}
        self.call(
            f"restart {workload.ref}",
            patcher,
            name=workload.name,
            namespace=workload.namespace,
            body=body,
            _content_type="application/strategic-merge-patch+json",
        )
