"""``aws-secretsmanager``: rotate (or replace) a secret in AWS Secrets Manager with boto3.

Region, endpoint and credentials come from the standard AWS settings (environment, shared config
files, instance roles); ``region`` and ``endpoint_url`` in the entry override them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from scanner.rotation.base import Outcome, RotationError, RotationRequest, Target
from scanner.rotation.config import AwsSettings, RotationEntry
from scanner.rotation.context import ProviderContext
from scanner.rotation.indexed import IndexedProvider, sdk

TAG_FINGERPRINT = "keyguard:leaked-fingerprint"
TAG_ROTATED_AT = "keyguard:rotated-at"
TAG_RULE = "keyguard:rule"
_RETRYABLE_CODES = frozenset(
    {"ThrottlingException", "InternalServiceError", "RequestTimeout", "ServiceUnavailable"}
)


class AwsSecretsManagerProvider(IndexedProvider[AwsSettings]):
    settings_type = AwsSettings

    def __init__(self, entry: RotationEntry, ctx: ProviderContext) -> None:
        super().__init__(entry, ctx)
        self._tokens: dict[str, str] = {}

    def make_client(self) -> Any:
        with sdk("boto3", "aws"):
            import boto3
            from botocore.config import Config as BotoConfig
        timeout = self.entry.timeout
        return boto3.client(
            "secretsmanager",
            region_name=self.settings.region,
            endpoint_url=self.settings.endpoint_url,
            config=BotoConfig(
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"max_attempts": 1, "mode": "standard"},
            ),
        )

    def call(self, operation: str, **kwargs: Any) -> Any:
        """One API call; errors become ``RotationError`` (retryable when transient)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client(), operation)(**kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            raise RotationError(
                f"{operation}: {code}", retryable=code in _RETRYABLE_CODES or status >= 500
            ) from None
        except BotoCoreError as exc:
            raise RotationError(f"{operation}: {type(exc).__name__}", retryable=True) from None

    # -- read only -------------------------------------------------------------------------
    def resolve(self, request: RotationRequest) -> list[Target]:
        if self.entry.discover:
            targets = self.holders(request)
        else:
            secret_id = self.settings.secret_id or ""
            targets = [Target(secret_id, "", self.entry.generator.field)]
        return [self.with_action(t) for t in targets]

    def with_action(self, target: Target) -> Target:
        described = self.call("describe_secret", SecretId=target.ref)
        if described.get("RotationEnabled"):
            return Target(target.ref, "rotate_secret", target.field)
        return target.acting("put new value as AWSPENDING, move AWSCURRENT to it")

    def stored_values(self) -> Iterator[tuple[str, str]]:
        kwargs: dict[str, Any] = {"MaxResults": 100}
        if self.settings.discover_prefix:
            kwargs["Filters"] = [{"Key": "name", "Values": [self.settings.discover_prefix]}]
        while True:
            page = self.call("list_secrets", **kwargs)
            for item in page.get("SecretList", []):
                name = str(item["Name"])
                try:
                    got = self.call("get_secret_value", SecretId=name, VersionStage="AWSCURRENT")
                except RotationError:
                    continue  # deleted, binary-only or not readable: not a candidate
                if isinstance(got.get("SecretString"), str):
                    yield name, got["SecretString"]
            token = page.get("NextToken")
            if not token:
                return
            kwargs["NextToken"] = token

    # -- changes ----------------------------------------------------------------------------
    def rotate(self, request: RotationRequest, target: Target) -> Outcome:
        # one request token per secret and run: a retry of a half-done attempt resumes it
        token = self._tokens.setdefault(target.ref, str(uuid.uuid4()))
        if target.action == "rotate_secret":
            result = self.call(
                "rotate_secret",
                SecretId=target.ref,
                ClientRequestToken=token,
                RotateImmediately=True,
            )
            version = str(result.get("VersionId", token))
        else:
            version = self.replace(target, token)
        self.tag(target.ref, request)
        return Outcome({"secret": target.ref, "version_id": version})

    def replace(self, target: Target, token: str) -> str:
        """Store a new value as AWSPENDING, move AWSCURRENT to it, drop the AWSPENDING label;
        each step is skipped when an earlier attempt with the same token already did it."""
        current = self.call("get_secret_value", SecretId=target.ref, VersionStage="AWSCURRENT")
        if current.get("SecretString") is None:
            raise RotationError(f"{target.ref}: binary secret; configure a rotation function")
        current_version = str(current["VersionId"])
        if current_version != token:
            if token not in self.stages(target.ref):
                new_value = self.new_value(current["SecretString"], target.field)
                self.call(
                    "put_secret_value",
                    SecretId=target.ref,
                    ClientRequestToken=token,
                    SecretString=new_value,
                    VersionStages=["AWSPENDING"],
                )
            self.call(
                "update_secret_version_stage",
                SecretId=target.ref,
                VersionStage="AWSCURRENT",
                MoveToVersionId=token,
                RemoveFromVersionId=current_version,
            )
        if "AWSPENDING" in self.stages(target.ref).get(token, []):
            self.call(
                "update_secret_version_stage",
                SecretId=target.ref,
                VersionStage="AWSPENDING",
                RemoveFromVersionId=token,
            )
        return token

    def stages(self, secret_id: str) -> dict[str, list[str]]:
        described = self.call("describe_secret", SecretId=secret_id)
        return dict(described.get("VersionIdsToStages") or {})

    def tag(self, secret_id: str, request: RotationRequest) -> None:
        tags = [
            {"Key": TAG_FINGERPRINT, "Value": request.fingerprint},
            {"Key": TAG_ROTATED_AT, "Value": self.ctx.now()},
            {"Key": TAG_RULE, "Value": request.finding.rule_id[:256]},
        ]
        self.call("tag_resource", SecretId=secret_id, Tags=tags)
