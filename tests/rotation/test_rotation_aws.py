"""aws-secretsmanager rotation against a real moto server, driven through ``keyguard scan``."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from scanner.config import parse_config
from scanner.models import Finding
from scanner.rotation import PROVIDERS, RotationError, RotationOptions, run
from scanner.rotation.aws import TAG_FINGERPRINT, TAG_ROTATED_AT, AwsSecretsManagerProvider
from scanner.secret import Secret
from testing.findings import make_finding
from testing.rotationcli import (
    assert_field_rotated,
    assert_not_revealed,
    keyguard,
    plan_changes_nothing,
    read_audit,
    rerun_skipped,
    rotated,
    rotation_failed,
)
from testing.servers import rotation_scan_args, rotation_token

pytestmark = pytest.mark.slow
boto3 = pytest.importorskip("boto3", reason="AWS rotation needs keyguard[aws]")


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "kgtestkeyid",
        "AWS_SECRET_ACCESS_KEY": "kgtestsecretkey",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def sm(moto_url: str) -> Any:
    return boto3.client("secretsmanager", endpoint_url=moto_url, region_name="us-east-1")


def project(tmp_path: Path, leak: str, rotation: str) -> list[str]:
    """A scanned dir leaking ``leak``, a config with ``rotation``; returns the CLI args."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "settings.env").write_text(f"API_TOKEN={leak}\n", encoding="utf-8")
    return rotation_scan_args(tmp_path, src, rotation)


def entry(url: str | None, **keys: Any) -> str:
    endpoint = [f'endpoint_url = "{url}"'] if url else []
    lines = [
        "[[rotation]]",
        'rules = ["kgtest.*"]',
        'provider = "aws-secretsmanager"',
        *endpoint,
        'region = "us-east-1"',
        "retries = 0",
        "timeout = 5",
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"  # fmt: skip


def current(sm: Any, name: str) -> tuple[str, str]:
    # explicit stage: moto's default lookup does not follow update_secret_version_stage
    value = sm.get_secret_value(SecretId=name, VersionStage="AWSCURRENT")
    return value["VersionId"], value["SecretString"]


def leaked_finding(value: str) -> Finding:
    return make_finding("kgtest.rotation-token", value, path="src/settings.env", column=11)


def tags(sm: Any, name: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in sm.describe_secret(SecretId=name).get("Tags", [])}


def test_aws_plan_rotate_rerun(tmp_path: Path, sm: Any, moto_url: str) -> None:
    leak = rotation_token("aws-plain")
    name = f"kg/plain-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString=leak)
    before = current(sm, name)
    args = project(tmp_path, leak, entry(moto_url, secret_id=name))

    # plan (the default): names the secret and the action, changes nothing
    action = "put new value as AWSPENDING, move AWSCURRENT"
    plan_changes_nothing(args, tmp_path, f"aws-secretsmanager {name}: {action}")
    assert current(sm, name) == before and tags(sm, name) == {}
    assert len(sm.list_secret_version_ids(SecretId=name)["Versions"]) == 1

    # --rotate: a new generated AWSCURRENT, the old one AWSPREVIOUS, tags recording the leak
    done = rotated(args)
    version, value = current(sm, name)
    assert version != before[0] and value != leak and len(value) == 40
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages[version] == ["AWSCURRENT"] and stages[before[0]] == ["AWSPREVIOUS"]
    assert tags(sm, name)[TAG_FINGERPRINT] == Secret(leak).fingerprint()
    assert tags(sm, name)[TAG_ROTATED_AT].endswith("Z")
    _, audit = read_audit(tmp_path)
    assert [(a["event"], a.get("status")) for a in audit] == [("attempt", None), ("result", "ok")]
    assert audit[1]["details"] == {"secret": name, "version_id": version}
    assert_not_revealed(tmp_path, done, leak, value)

    # re-run: recorded in the state file, nothing changes
    rerun_skipped(args)
    assert current(sm, name) == (version, value)
    assert len(sm.list_secret_version_ids(SecretId=name)["Versions"]) == 2


def test_aws_discovery_replaces_the_json_field(tmp_path: Path, sm: Any, moto_url: str) -> None:
    leak = rotation_token("aws-json")
    prefix = f"kg/disc-{uuid.uuid4().hex[:8]}"
    holder, decoy = f"{prefix}/app", f"{prefix}/other"
    sm.create_secret(Name=holder, SecretString=json.dumps({"user": "svc", "api_key": leak}))
    sm.create_secret(Name=decoy, SecretString=rotation_token("aws-decoy"))
    decoy_before = current(sm, decoy)
    args = project(tmp_path, leak, entry(moto_url, discover=True, discover_prefix=prefix))

    plan = keyguard(args)
    assert f"{holder}: put new value as AWSPENDING, move AWSCURRENT to it (field api_key)" in (
        plan.stderr
    )
    assert decoy not in plan.stderr

    rotated(args)
    assert_field_rotated(current(sm, holder)[1], leak)
    assert current(sm, decoy) == decoy_before and tags(sm, decoy) == {}
    assert tags(sm, holder)[TAG_FINGERPRINT] == Secret(leak).fingerprint()


def test_aws_discovery_without_holder_reports_no_target(
    tmp_path: Path, sm: Any, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)  # the standard setting, no endpoint_url
    prefix = f"kg/none-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=f"{prefix}/x", SecretString=rotation_token("aws-unrelated"))
    args = project(
        tmp_path, rotation_token("aws-lost"), entry(None, discover=True, discover_prefix=prefix)
    )
    result = keyguard(args, "--rotate", "--fail-on-rotation-error")
    assert result.exit_code == 1
    assert "no-target: no managed secret holds this value" in result.stderr


def test_aws_configured_rotation_uses_rotate_secret(tmp_path: Path, sm: Any, moto_url: str) -> None:
    leak = rotation_token("aws-rotating")
    name = f"kg/rotating-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString="initial-value-kg")
    sm.rotate_secret(SecretId=name, RotationRules={"AutomaticallyAfterDays": 30})
    sm.put_secret_value(SecretId=name, SecretString=leak)
    assert sm.describe_secret(SecretId=name)["RotationEnabled"] is True
    before = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    args = project(tmp_path, leak, entry(moto_url, secret_id=name))

    assert f"{name}: rotate_secret" in keyguard(args).stderr
    assert sm.describe_secret(SecretId=name)["VersionIdsToStages"] == before

    rotated(args)
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    new = [v for v, s in stages.items() if "AWSCURRENT" in s]
    assert len(new) == 1 and new[0] not in before
    assert tags(sm, name)[TAG_FINGERPRINT] == Secret(leak).fingerprint()


def test_aws_failure_is_reported_and_scan_goes_on(tmp_path: Path, moto_url: str) -> None:
    leak = rotation_token("aws-missing")
    args = project(tmp_path, leak, entry(moto_url, secret_id="kg/does-not-exist"))
    result = keyguard(args, "--rotate", "--format", "json")
    assert result.exit_code == 1
    assert "rotation failed:" in result.stderr and "ResourceNotFoundException" in result.stderr
    assert json.loads(result.stdout)["findings"][0]["rule_id"] == "kgtest.rotation-token"
    rotation_failed(args)
    assert not (tmp_path / "state.json").exists()


class FlakyStageMove(AwsSecretsManagerProvider):
    """The first AWSCURRENT move fails as a throttled call: the retry must resume, not redo."""

    failed = False

    def call(self, operation: str, **kwargs: Any) -> Any:
        if operation == "update_secret_version_stage" and not FlakyStageMove.failed:
            FlakyStageMove.failed = True
            raise RotationError(f"{operation}: ThrottlingException", retryable=True)
        return super().call(operation, **kwargs)


def test_aws_retry_resumes_half_done_rotation(tmp_path: Path, sm: Any, moto_url: str) -> None:
    leak = rotation_token("aws-flaky")
    name = f"kg/flaky-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString=leak)
    old_version = current(sm, name)[0]
    config = parse_config(
        {"rotation": [{"rules": ["kgtest.*"], "provider": "aws-secretsmanager", "secret_id": name,
                       "endpoint_url": moto_url, "retries": 2, "backoff": 0.25}]},
        "kg.toml", tmp_path,
    )  # fmt: skip
    sleeps: list[float] = []
    options = RotationOptions(
        rotate=True, state_file=tmp_path / "s.json", audit_file=tmp_path / "a.jsonl"
    )
    summary = run(
        [leaked_finding(leak)], config, options, print,
        providers={**PROVIDERS, "aws-secretsmanager": FlakyStageMove}, sleep=sleeps.append,
    )  # fmt: skip
    assert FlakyStageMove.failed and sleeps == [0.25]
    assert summary.count("rotated") == 1
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert len(stages) == 2 and stages[old_version] == ["AWSPREVIOUS"]
    (new_version,) = (v for v in stages if v != old_version)
    assert stages[new_version] == ["AWSCURRENT"] and current(sm, name)[1] != leak


def test_aws_binary_secret_is_not_replaced(tmp_path: Path, sm: Any, moto_url: str) -> None:
    name = f"kg/binary-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretBinary=b"\x00kg-binary")
    config = parse_config(
        {"rotation": [{"rules": ["kgtest.*"], "provider": "aws-secretsmanager", "secret_id": name,
                       "endpoint_url": moto_url, "retries": 0}]},
        "kg.toml", tmp_path,
    )  # fmt: skip
    warnings: list[str] = []
    options = RotationOptions(
        rotate=True, state_file=tmp_path / "s.json", audit_file=tmp_path / "a.jsonl"
    )
    summary = run([leaked_finding(rotation_token("bin"))], config, options, warnings.append, print)
    assert summary.failed == 1 and "binary secret" in warnings[0]
    assert len(sm.describe_secret(SecretId=name)["VersionIdsToStages"]) == 1
