"""A contract server for the part of the Kubernetes API keyguard's ``kubernetes`` provider uses.

NOT a Kubernetes API server: no kube-apiserver installs from PyPI, npm or Debian. It implements,
from the Kubernetes API reference and "API concepts" page, for core/v1 Secrets and apps/v1
Deployments, StatefulSets and DaemonSets:

* bearer-token authentication (401 ``Unauthorized`` Status otherwise);
* list with ``limit`` / ``continue`` pagination (opaque continue token in ``metadata.continue``)
  and equality/existence ``labelSelector``s;
* get; update (PUT) with optimistic concurrency: a ``metadata.resourceVersion`` that is not the
  current one gets 409 ``Conflict``; every write gets a new resourceVersion; ``stringData`` is
  merged into ``data``; changing the data of an ``immutable`` Secret gets 422 ``Invalid``;
* merge / strategic-merge PATCH of maps (what ``kubectl rollout restart`` sends);
* RBAC-like denials (403 ``Forbidden``) set by the test, and injected faults (429 with
  ``Retry-After``, 5xx) through ``ContractServer.fail``.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from testing.contract.server import ContractServer, Reply

TOKEN = "kg-test-k8s-token-FAKE"
WORKLOAD_KINDS = {
    "deployments": "Deployment",
    "statefulsets": "StatefulSet",
    "daemonsets": "DaemonSet",
}
_REASONS = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
}


def status(code: int, message: str) -> Reply:
    """A ``Status`` object, as the API server returns for errors."""
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": _REASONS.get(code, "InternalError"),
        "code": code,
    }
    return Reply(code, body)


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class KubeApi(ContractServer):
    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self._rv = itertools.count(1000)
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}  # (resource, ns, name)
        self.denied: set[tuple[str, str, str]] = set()  # (verb, resource, "ns/name" or "ns/*")
        self.before_put: dict[tuple[str, str], Callable[[dict[str, Any]], None]] = {}

    # -- for tests ---------------------------------------------------------------------------
    def add_secret(
        self,
        namespace: str,
        name: str,
        values: Mapping[str, str],
        *,
        labels: Mapping[str, str] | None = None,
        type_: str = "Opaque",
        immutable: bool = False,
    ) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": dict(labels or {}),
                "uid": f"uid-{namespace}-{name}",
            },
            "type": type_,
            "data": {k: b64(v) for k, v in values.items()},
        }
        if immutable:
            obj["immutable"] = True
        return self.store("secrets", obj)

    def add_workload(
        self, resource: str, namespace: str, name: str, pod_spec: Mapping[str, Any]
    ) -> dict[str, Any]:
        labels = {"app": name}
        obj = {
            "apiVersion": "apps/v1",
            "kind": WORKLOAD_KINDS[resource],
            "metadata": {"name": name, "namespace": namespace, "generation": 1},
            "spec": {
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": dict(pod_spec)},
            },
        }
        return self.store(resource, obj)

    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.objects[(resource, namespace, name)])

    def value(self, namespace: str, name: str, key: str) -> str:
        data = self.get("secrets", namespace, name)["data"]
        return base64.b64decode(data[key]).decode("utf-8")

    def deny(self, verb: str, resource: str, namespace: str, name: str = "*") -> None:
        self.denied.add((verb, resource, f"{namespace}/{name}"))

    def interfere(self, namespace: str, name: str, times: int = 1) -> None:
        """Before the next ``times`` PUTs of this Secret, another client updates it (a label),
        so the PUT carries a stale resourceVersion."""
        remaining = [times]

        def foreign_write(obj: dict[str, Any]) -> None:
            if remaining[0] > 0:
                remaining[0] -= 1
                obj["metadata"].setdefault("labels", {})["touched-by"] = f"other-{remaining[0]}"
                self.store("secrets", obj)

        self.before_put[(namespace, name)] = foreign_write

    def store(self, resource: str, obj: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            meta = obj["metadata"]
            meta["resourceVersion"] = str(next(self._rv))
            self.objects[(resource, meta["namespace"], meta["name"])] = obj
            return copy.deepcopy(obj)

    # -- the API -----------------------------------------------------------------------------
    def serve(
        self, method: str, path: str, query: Mapping[str, str], headers: Any, body: Any
    ) -> Reply:
        if headers.get("Authorization") != f"Bearer {self.token}":
            return status(401, "Unauthorized")
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if (
            parts[:3] == ["api", "v1", "namespaces"]
            and len(parts) in (5, 6)
            and parts[4] == "secrets"
        ):
            namespace, resource = parts[3], "secrets"
        elif (
            parts[:3] == ["apis", "apps", "v1"]
            and len(parts) in (6, 7)
            and parts[3] == "namespaces"
            and parts[5] in WORKLOAD_KINDS
        ):
            namespace, resource = parts[4], parts[5]
        else:
            return status(404, f"the server could not find the requested resource ({path})")
        name = parts[-1] if len(parts) in (6, 7) and parts[-1] != resource else None
        verb = {"GET": "get" if name else "list", "PUT": "update", "PATCH": "patch"}.get(method)
        if verb is None:
            return status(405, f"method {method} not allowed")
        for who in (f"{namespace}/{name or '*'}", f"{namespace}/*"):
            if (verb, resource, who) in self.denied:
                return status(
                    403,
                    f'{resource} "{name or ""}" is forbidden: User "kg" cannot '
                    f'{verb} resource "{resource}" in namespace "{namespace}"',
                )
        if name is None:
            return self.list(resource, namespace, query)
        key = (resource, namespace, name)
        if key not in self.objects:
            return status(404, f'{resource} "{name}" not found')
        if method == "GET":
            return Reply(200, copy.deepcopy(self.objects[key]))
        if method == "PUT":
            return self.update(key, body)
        return self.patch(key, headers.get("Content-Type", ""), body)

    def list(self, resource: str, namespace: str, query: Mapping[str, str]) -> Reply:
        items = [
            obj
            for (res, ns, _), obj in sorted(self.objects.items())
            if res == resource and ns == namespace and _selected(obj, query.get("labelSelector"))
        ]
        start = 0
        token = query.get("continue")
        if token:
            try:
                after = json.loads(base64.b64decode(token))["after"]
            except (ValueError, KeyError, TypeError):
                return status(410, "the provided continue parameter is too old or invalid")
            start = next(
                (i for i, o in enumerate(items) if o["metadata"]["name"] > after), len(items)
            )
        limit = int(query.get("limit") or 0)
        page = items[start : start + limit] if limit else items[start:]
        meta: dict[str, Any] = {"resourceVersion": str(next(self._rv))}
        if limit and start + limit < len(items):
            last = page[-1]["metadata"]["name"]
            meta["continue"] = base64.b64encode(json.dumps({"after": last}).encode()).decode()
            meta["remainingItemCount"] = len(items) - start - limit
        kind = "SecretList" if resource == "secrets" else WORKLOAD_KINDS[resource] + "List"
        api_version = "v1" if resource == "secrets" else "apps/v1"
        return Reply(
            200,
            {
                "kind": kind,
                "apiVersion": api_version,
                "metadata": meta,
                "items": copy.deepcopy(page),
            },
        )

    def update(self, key: tuple[str, str, str], body: Any) -> Reply:
        if not isinstance(body, dict) or body.get("metadata", {}).get("name") != key[2]:
            return status(400, "the name of the object does not match the name on the URL")
        hook = self.before_put.get((key[1], key[2]))
        if hook is not None:
            hook(copy.deepcopy(self.objects[key]))
        current = self.objects[key]
        sent_rv = body["metadata"].get("resourceVersion")
        if sent_rv and sent_rv != current["metadata"]["resourceVersion"]:
            return status(
                409,
                f'Operation cannot be fulfilled on secrets "{key[2]}": the object '
                "has been modified; please apply your changes to the latest "
                "version and try again",
            )
        new = copy.deepcopy(body)
        data = dict(new.get("data") or {})
        for k, v in (new.pop("stringData", None) or {}).items():
            data[k] = b64(v)
        new["data"] = data
        if current.get("immutable") and data != current.get("data"):
            return status(422, f'Secret "{key[2]}" is invalid: data: Forbidden: field is immutable')
        new["metadata"]["uid"] = current["metadata"]["uid"]
        new["metadata"]["namespace"] = key[1]
        return Reply(200, self.store(key[0], new))

    def patch(self, key: tuple[str, str, str], content_type: str, body: Any) -> Reply:
        kind = content_type.split(";")[0].strip()
        if kind not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            return status(415, f"the body of the request was in an unknown format: {kind}")
        if not isinstance(body, dict):
            return status(400, "patch body must be a JSON object")
        new = _merge(copy.deepcopy(self.objects[key]), body)
        if "spec" in body:
            new["metadata"]["generation"] = int(new["metadata"].get("generation", 1)) + 1
        return Reply(200, self.store(key[0], new))


def _selected(obj: Mapping[str, Any], selector: str | None) -> bool:
    labels = obj["metadata"].get("labels") or {}
    for term in filter(None, (selector or "").split(",")):
        name, eq, want = term.partition("=")
        if eq and labels.get(name.strip()) != want.strip():
            return False
        if not eq and name.strip() not in labels:
            return False
    return True


def _merge(target: Any, patch: Any) -> Any:
    """JSON merge patch (RFC 7386); for the maps patched here strategic merge is the same."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = _merge(target.get(key), value)
    return target
