"""kubernetes rotation: the real ``kubernetes`` client against a local **contract server**
(``testing.contract.k8s_api``, not a real API server: none installs here), through
``keyguard scan``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.secret import Secret
from testing.contract.k8s_api import TOKEN, KubeApi, status
from testing.contract.server import Reply
from testing.rotationcli import config_error, keyguard, one_target_failed, rotation_project
from testing.servers import rotation_token

pytest.importorskip("kubernetes", reason="the kubernetes extra is needed: keyguard[k8s]")

SECRETS = r"^/api/v1/namespaces/[^/]+/secrets"


@pytest.fixture
def kube(monkeypatch: pytest.MonkeyPatch) -> Iterator[KubeApi]:
    monkeypatch.setenv("KG_K8S_TOKEN", TOKEN)
    monkeypatch.setattr("scanner.rotation.k8s.PAGE_SIZE", 2)  # exercise limit/continue
    monkeypatch.setattr("scanner.rotation.k8s_workloads.PAGE_SIZE", 1)
    api = KubeApi()
    with api.running():
        yield api


def project(tmp_path: Path, api: KubeApi, leak: str, **keys: Any) -> list[str]:
    files = {"deploy.env": f"MODEL_API_TOKEN={leak}\n"}
    settings = {"host": api.url, "token_env": "KG_K8S_TOKEN", "timeout": 5, "backoff": 0}
    return rotation_project(tmp_path, files, provider="kubernetes", **settings, **keys)


def pod(**container: Any) -> dict[str, Any]:
    return {"containers": [{"name": "main", "image": "registry.invalid/app:1", **container}]}


def secret_annotations(api: KubeApi, namespace: str, name: str) -> dict[str, str]:
    return dict(api.get("secrets", namespace, name)["metadata"].get("annotations") or {})


def restarted_at(api: KubeApi, resource: str, namespace: str, name: str) -> str | None:
    template = api.get(resource, namespace, name)["spec"]["template"]
    return (template["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/restartedAt")


def test_k8s_discover_plan_rotate_restart_rerun(tmp_path: Path, kube: KubeApi) -> None:
    leak = rotation_token("k8s-discover")
    kube.add_secret("ml", "model-creds", {"api_token": leak, "user": "svc"})
    kube.add_secret("ml", "decoy", {"token": rotation_token("k8s-decoy")})
    kube.add_secret("ml", "json-holder", {"cfg": json.dumps({"t": leak})})  # nested: not rotated
    kube.add_secret("ml", "sa", {"token": leak}, type_="kubernetes.io/service-account-token")
    for i in range(3):
        kube.add_secret("ml", f"filler-{i}", {"k": f"value-{i}"})
    kube.add_secret("serving", "app", {"token": leak})
    kube.add_secret("elsewhere", "app", {"token": leak})  # namespace not configured
    env_from = [{"secretRef": {"name": "model-creds"}}]
    kube.add_workload("deployments", "ml", "trainer", pod(envFrom=env_from))
    volume = {"name": "v", "secret": {"secretName": "model-creds"}}
    kube.add_workload("statefulsets", "ml", "store", {**pod(), "volumes": [volume]})
    kube.add_workload("deployments", "ml", "unrelated", pod())
    env = [{"name": "T", "valueFrom": {"secretKeyRef": {"name": "app", "key": "token"}}}]
    kube.add_workload("daemonsets", "serving", "agent", pod(env=env))
    args = project(tmp_path, kube, leak, discover=True, namespaces=["ml", "serving"], restart=True)

    plan = keyguard(args)
    assert plan.exit_code == 1, plan.output
    assert "kubernetes ml/model-creds: replace data key `api_token`" in plan.stderr
    assert "restart workloads (deployment/trainer, statefulset/store)" in plan.stderr
    assert "kubernetes serving/app: replace data key `token`" in plan.stderr
    assert "restart workloads (daemonset/agent)" in plan.stderr
    for absent in ("decoy", "json-holder", "ml/sa", "elsewhere", "unrelated"):
        assert absent not in plan.stderr
    assert kube.writes() == []  # the plan only reads
    assert any("continue" in r.query for r in kube.seen("GET", SECRETS + "$"))
    assert not (tmp_path / "state.json").exists() and not (tmp_path / "audit.jsonl").exists()

    done = keyguard(args, "--rotate")
    assert "rotation: 2 rotated" in done.stderr, done.stderr
    new_value = kube.value("ml", "model-creds", "api_token")
    assert new_value != leak and len(new_value) == 40
    assert kube.value("ml", "model-creds", "user") == "svc"
    assert kube.value("serving", "app", "token") not in (leak, new_value)
    for untouched in (("ml", "sa"), ("elsewhere", "app")):
        assert kube.value(*untouched, "token") == leak
    meta = secret_annotations(kube, "ml", "model-creds")
    assert meta["keyguard/leaked-fingerprint"] == Secret(leak).fingerprint()
    assert meta["keyguard/rule"] == "kgtest.rotation-token" and meta["keyguard/key"] == "api_token"
    assert meta["keyguard/rotated-at"].endswith("Z")
    assert leak not in json.dumps(meta)
    assert restarted_at(kube, "deployments", "ml", "trainer")
    assert restarted_at(kube, "statefulsets", "ml", "store")
    assert restarted_at(kube, "daemonsets", "serving", "agent")
    assert restarted_at(kube, "deployments", "ml", "unrelated") is None
    audit = (tmp_path / "audit.jsonl").read_text()
    assert leak not in audit and new_value not in audit and '"status": "ok"' in audit
    assert '"restarted": "deployment/trainer,statefulset/store"' in audit

    writes = len(kube.writes())
    again = keyguard(args, "--rotate")
    assert "rotation: 1 skipped" in again.stderr, again.stderr
    assert len(kube.writes()) == writes  # a second --rotate changes nothing


def test_k8s_write_conflict_is_retried_on_a_fresh_read(tmp_path: Path, kube: KubeApi) -> None:
    leak = rotation_token("k8s-conflict")
    kube.add_secret("default", "db", {"password": leak})
    kube.interfere("default", "db", times=2)  # two foreign updates race our PUT
    result = keyguard(project(tmp_path, kube, leak, secret="default/db"), "--rotate")
    assert "1 rotated" in result.stderr, result.stderr
    puts = kube.seen("PUT", SECRETS + "/db$")
    assert [r.status for r in puts] == [409, 409, 200]
    assert kube.value("default", "db", "password") != leak
    labels = kube.get("secrets", "default", "db")["metadata"]["labels"]
    assert labels["touched-by"] == "other-0"  # the foreign change survived: no lost update


def test_k8s_throttling_is_retried(tmp_path: Path, kube: KubeApi) -> None:
    leak = rotation_token("k8s-429")
    kube.add_secret("default", "api", {"token": leak})
    throttled = Reply(429, status(429, "too many requests").body, {"Retry-After": "0"})
    kube.fail("PUT", SECRETS + "/api$", throttled, times=2)
    kube.fail("GET", SECRETS + "/api$", status(503, "unavailable"), times=1)
    result = keyguard(project(tmp_path, kube, leak, secret="default/api", retries=2), "--rotate")
    assert "1 rotated" in result.stderr, result.stderr
    assert [r.status for r in kube.seen("PUT", SECRETS + "/api$")] == [429, 429, 200]
    assert kube.value("default", "api", "token") != leak


def test_k8s_throttling_beyond_retries_fails_without_stopping(
    tmp_path: Path, kube: KubeApi
) -> None:
    leak = rotation_token("k8s-429-max")
    kube.add_secret("default", "api", {"token": leak})
    kube.fail("PUT", SECRETS + "/api$", status(429, "too many requests"), times=100)
    args = project(tmp_path, kube, leak, secret="default/api", retries=1)
    result = keyguard(args, "--rotate", "--format", "json")
    assert result.exit_code == 1 and "HTTP 429" in result.stderr
    assert json.loads(result.stdout)["findings"], "the scan report is still written"
    assert len(kube.seen("PUT", SECRETS + "/api$")) == 2
    assert kube.value("default", "api", "token") == leak
    assert not (tmp_path / "state.json").exists()  # failed: tried again next run


def test_k8s_permission_error_fails_that_target_only(tmp_path: Path, kube: KubeApi) -> None:
    leak = rotation_token("k8s-403")
    kube.add_secret("team-a", "creds", {"token": leak})
    kube.add_secret("team-b", "creds", {"token": leak})
    kube.deny("update", "secrets", "team-b", "creds")
    args = project(tmp_path, kube, leak, discover=True, namespaces=["team-a", "team-b"])
    one_target_failed(args, tmp_path, "rotation failed", "team-b/creds", "HTTP 403")
    assert kube.value("team-a", "creds", "token") != leak
    assert kube.value("team-b", "creds", "token") == leak


def test_k8s_failed_restart_resumes_without_a_second_write(tmp_path: Path, kube: KubeApi) -> None:
    leak = rotation_token("k8s-resume")
    kube.add_secret("ml", "creds", {"token": leak})
    kube.add_workload("deployments", "ml", "api", pod(envFrom=[{"secretRef": {"name": "creds"}}]))
    kube.deny("patch", "deployments", "ml", "api")
    args = project(tmp_path, kube, leak, discover=True, namespaces=["ml"], restart=True)
    first = keyguard(args, "--rotate")
    assert "secret ml/creds rotated, but restart deployment/api: HTTP 403" in first.stderr
    rotated = kube.value("ml", "creds", "token")
    assert rotated != leak and not (tmp_path / "state.json").exists()

    kube.denied.clear()  # permission granted: the next run only does what is left
    second = keyguard(args, "--rotate")
    assert "1 rotated" in second.stderr, second.stderr
    assert kube.value("ml", "creds", "token") == rotated
    assert len(kube.seen("PUT", SECRETS)) == 1
    assert restarted_at(kube, "deployments", "ml", "api")
    assert "rotation: 1 skipped" in keyguard(args, "--rotate").stderr


def test_k8s_multi_key_secret_needs_field(tmp_path: Path, kube: KubeApi) -> None:
    leak = rotation_token("k8s-multi")
    kube.add_secret("default", "multi", {"a": leak, "b": "other"})
    result = keyguard(project(tmp_path, kube, leak, secret="default/multi"), "--rotate")
    assert "secret has 2 keys; set `generator.field`" in result.stderr
    fixed = project(tmp_path / "b", kube, leak, secret="default/multi", generator={"field": "a"})
    assert "1 rotated" in keyguard(fixed, "--rotate").stderr
    assert kube.value("default", "multi", "b") == "other"
    assert kube.value("default", "multi", "a") != leak


def test_k8s_missing_token_is_a_reported_failure(
    tmp_path: Path, kube: KubeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KG_K8S_TOKEN")
    leak = rotation_token("k8s-notoken")
    kube.add_secret("default", "x", {"t": leak})
    result = keyguard(project(tmp_path, kube, leak, secret="default/x"), "--rotate")
    assert result.exit_code == 1 and "no Kubernetes token: set KG_K8S_TOKEN" in result.stderr


def test_secrets_used_finds_every_reference_kind() -> None:
    from scanner.rotation.k8s_workloads import secrets_used

    env = [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "env"}}}]
    env_from = [{"secretRef": {"name": "from"}}, {"configMapRef": {"name": "cm"}}]
    spec = {
        "volumes": [
            {"name": "a", "secret": {"secretName": "vol"}},
            {"name": "b", "projected": {"sources": [{"secret": {"name": "proj"}}]}},
            {"name": "c", "configMap": {"name": "not-a-secret"}},
        ],
        "initContainers": [{"name": "i", "env": env}],
        "containers": [{"name": "m", "envFrom": env_from}],
    }
    assert secrets_used(spec) == {"vol", "proj", "env", "from"}
    assert secrets_used({}) == frozenset()


def test_k8s_config_error_contacts_nothing(tmp_path: Path, kube: KubeApi) -> None:
    """A bad setting stops the run before the provider is reached (the messages of every
    provider's config errors are in test_rotation.py's table)."""
    stderr = config_error(
        project(tmp_path, kube, rotation_token("k8s-config"), secret="just-a-name")
    )
    assert "kg.toml: rotation[0].secret: must be `namespace/name`" in stderr
    assert kube.seen() == []
