"""``[[rotation]]`` tables → frozen ``RotationEntry`` records (parsed and validated once).

Every error is a ``ConfigError`` naming the config file, the entry (``rotation[N]``) and the field.
No provider library is imported here: validation is pure.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlparse

from scanner.errors import ConfigError

_K8S_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
GCP_OLD_VERSION = ("disable", "destroy", "keep")


@dataclass(frozen=True, slots=True)
class GeneratorSpec:
    """How a new secret value is made: ``secrets.token_urlsafe`` or ``length`` picks from
    ``alphabet``; ``field`` names the key to replace when the stored value is a JSON object."""

    length: int = 40
    alphabet: str | None = None
    field: str | None = None


@dataclass(frozen=True, slots=True)
class AwsSettings:
    secret_id: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    discover_prefix: str | None = None


@dataclass(frozen=True, slots=True)
class VaultSettings:
    path: str | None = None
    mount: str = "secret"
    addr: str | None = None
    token_env: str = "VAULT_TOKEN"


@dataclass(frozen=True, slots=True)
class ExecSettings:
    command: tuple[str, ...]
    pass_secret: bool = False


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    url: str
    key_env: str = "KEYGUARD_WEBHOOK_KEY"
    header: str = "X-Keyguard-Signature"


@dataclass(frozen=True, slots=True)
class AzureSettings:
    vault_url: str
    secret_name: str | None = None
    disable_old: bool = False
    discover_prefix: str | None = None


@dataclass(frozen=True, slots=True)
class GcpSettings:
    project: str
    secret: str | None = None
    old_version: str = "disable"
    endpoint: str | None = None
    discover_filter: str | None = None


@dataclass(frozen=True, slots=True)
class K8sSettings:
    """``secret`` is ``namespace/name``; without ``host`` the kubeconfig (or in-cluster) is used."""

    namespaces: tuple[str, ...] = ()
    secret: str | None = None
    label_selector: str | None = None
    restart: bool = False
    host: str | None = None
    token_env: str | None = None
    ca_cert: str | None = None
    kubeconfig: str | None = None
    context: str | None = None


@dataclass(frozen=True, slots=True)
class ConjurSettings:
    """Unset ``url``/``account``/``login`` come from ``CONJUR_APPLIANCE_URL``/``CONJUR_ACCOUNT``/
    ``CONJUR_AUTHN_LOGIN`` at run time; ``ca_cert`` from ``CONJUR_CERT_FILE``."""

    url: str | None = None
    account: str | None = None
    login: str | None = None
    api_key_env: str = "CONJUR_AUTHN_API_KEY"
    variable: str | None = None
    policy: str | None = None
    ca_cert: str | None = None


ProviderSettings = (
    AwsSettings
    | VaultSettings
    | ExecSettings
    | WebhookSettings
    | AzureSettings
    | GcpSettings
    | K8sSettings
    | ConjurSettings
)


_SETTINGS: Mapping[str, type[ProviderSettings]] = {
    "aws-secretsmanager": AwsSettings,
    "vault": VaultSettings,
    "exec": ExecSettings,
    "webhook": WebhookSettings,
    "azure-keyvault": AzureSettings,
    "gcp-secretmanager": GcpSettings,
    "kubernetes": K8sSettings,
    "conjur": ConjurSettings,
}
"""provider name → its settings record; the record's fields are the keys the provider takes."""
PROVIDER_NAMES = tuple(_SETTINGS)


def _keys(record: type[Any]) -> frozenset[str]:
    return frozenset(f.name for f in fields(record))


_PROVIDER_KEYS: Mapping[str, frozenset[str]] = {
    name: _keys(record) for name, record in _SETTINGS.items()
}
_GENERATOR_KEYS = _keys(GeneratorSpec)


@dataclass(frozen=True, slots=True)
class RotationEntry:
    """One ``[[rotation]]`` table."""

    name: str
    provider: str
    settings: ProviderSettings
    rules: tuple[str, ...] = ()
    fingerprints: tuple[str, ...] = ()
    discover: bool = False
    timeout: float = 30.0
    retries: int = 2
    backoff: float = 1.0
    generator: GeneratorSpec = GeneratorSpec()

    def matches(self, rule_id: str, fingerprint: str) -> bool:
        """Both given criteria must hold; an empty criterion does not restrict."""
        if self.rules and not any(fnmatch.fnmatchcase(rule_id, g) for g in self.rules):
            return False
        return not self.fingerprints or fingerprint in self.fingerprints


_COMMON = _keys(RotationEntry) - {"settings"}
"""The keys every ``[[rotation]]`` table may hold, whatever its provider."""


def parse_rotation(tables: Sequence[Mapping[str, Any]], source: str) -> tuple[RotationEntry, ...]:
    """Validate the raw ``Config.rotation`` tables; raise ``ConfigError`` on the first problem."""
    entries = tuple(_Parser(source or "config", i, t).entry() for i, t in enumerate(tables))
    seen: set[str] = set()
    for entry in entries:
        if entry.name in seen:
            raise ConfigError(f"{source}: rotation: duplicate entry name `{entry.name}`")
        seen.add(entry.name)
    return entries


class _Parser:
    def __init__(self, source: str, index: int, table: Mapping[str, Any]) -> None:
        self.source = source
        self.index = index
        self.table = table

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: rotation[{self.index}].{key}: {message}")

    def entry(self) -> RotationEntry:
        provider = self.table.get("provider")
        if not isinstance(provider, str) or provider not in PROVIDER_NAMES:
            raise self.fail("provider", f"must be one of {', '.join(PROVIDER_NAMES)}")
        unknown = set(self.table) - _COMMON - _PROVIDER_KEYS[provider]
        if unknown:
            raise self.fail(sorted(unknown)[0], f"unknown key for provider `{provider}`")
        rules = self.str_list("rules")
        fingerprints = self.str_list("fingerprints")
        if not rules and not fingerprints:
            raise self.fail("rules", "give `rules` (rule id globs) and/or `fingerprints`")
        discover = self.boolean("discover", False)
        if discover and provider in ("exec", "webhook"):
            raise self.fail("discover", f"provider `{provider}` does not manage stored secrets")
        return RotationEntry(
            name=self.string("name") or f"rotation[{self.index}]",
            provider=provider,
            settings=self.settings(provider, discover),
            rules=tuple(rules),
            fingerprints=tuple(fingerprints),
            discover=discover,
            timeout=self.number("timeout", 30.0, minimum=0.1),
            retries=int(self.number("retries", 2, minimum=0, integer=True)),
            backoff=self.number("backoff", 1.0, minimum=0.0),
            generator=self.generator(),
        )

    def settings(self, provider: str, discover: bool) -> ProviderSettings:
        if provider == "aws-secretsmanager":
            aws = AwsSettings(
                secret_id=self.string("secret_id"),
                region=self.string("region"),
                endpoint_url=self.url("endpoint_url", required=False),
                discover_prefix=self.string("discover_prefix"),
            )
            self.require_target("secret_id", aws.secret_id, discover)
            return aws
        if provider == "vault":
            vault = VaultSettings(
                path=self.string("path"),
                mount=self.string("mount") or "secret",
                addr=self.url("addr", required=False),
                token_env=self.string("token_env") or "VAULT_TOKEN",
            )
            return vault  # no path: only findings carrying a lease id (or discovery)
        if provider in ("azure-keyvault", "gcp-secretmanager"):
            return self.cloud_settings(provider, discover)
        if provider in ("kubernetes", "conjur"):
            return self.platform_settings(provider, discover)
        if provider == "exec":
            raw = self.table.get("command")
            command = shlex.split(raw) if isinstance(raw, str) else self.str_list("command")
            if not command:
                raise self.fail(
                    "command",
                    "required: an argument list (a string is split like a shell would)",
                )
            return ExecSettings(tuple(command), self.boolean("pass_secret", False))
        return WebhookSettings(
            url=self.url("url", required=True) or "",
            key_env=self.string("key_env") or "KEYGUARD_WEBHOOK_KEY",
            header=self.string("header") or "X-Keyguard-Signature",
        )

    def cloud_settings(self, provider: str, discover: bool) -> AzureSettings | GcpSettings:
        if provider == "azure-keyvault":
            vault_url = self.url("vault_url", required=True) or ""
            if not vault_url.startswith("https://"):
                raise self.fail("vault_url", "must be an https:// URL (Key Vault requires TLS)")
            azure = AzureSettings(
                vault_url=vault_url,
                secret_name=self.string("secret_name"),
                disable_old=self.boolean("disable_old", False),
                discover_prefix=self.string("discover_prefix"),
            )
            self.require_target("secret_name", azure.secret_name, discover)
            return azure
        project = self.string("project")
        if not project:
            raise self.fail("project", "required (the Google Cloud project id or number)")
        old_version = self.string("old_version") or "disable"
        if old_version not in GCP_OLD_VERSION:
            raise self.fail("old_version", f"must be one of {', '.join(GCP_OLD_VERSION)}")
        gcp = GcpSettings(
            project=project,
            secret=self.string("secret"),
            old_version=old_version,
            endpoint=self.url("endpoint", required=False),
            discover_filter=self.string("discover_filter"),
        )
        self.require_target("secret", gcp.secret, discover)
        return gcp

    def platform_settings(self, provider: str, discover: bool) -> K8sSettings | ConjurSettings:
        if provider == "conjur":
            conjur = ConjurSettings(
                url=self.url("url", required=False),
                account=self.string("account"),
                login=self.string("login"),
                api_key_env=self.string("api_key_env") or "CONJUR_AUTHN_API_KEY",
                variable=self.string("variable"),
                policy=(self.string("policy") or "").strip("/") or None,
                ca_cert=self.string("ca_cert"),
            )
            self.require_target("variable", conjur.variable, discover)
            return conjur
        namespaces = self.str_list("namespaces")
        for ns in namespaces:
            if not _K8S_NAME.fullmatch(ns):
                raise self.fail("namespaces", f"`{ns}` is not a valid namespace name")
        secret = self.string("secret")
        if secret is not None:
            ns, _, name = secret.partition("/")
            if not _K8S_NAME.fullmatch(ns) or not name or "/" in name:
                raise self.fail("secret", "must be `namespace/name`")
        self.require_target("secret", secret, discover)
        if discover and not namespaces:
            raise self.fail("namespaces", "required with `discover = true`")
        return K8sSettings(
            namespaces=tuple(namespaces),
            secret=secret,
            label_selector=self.string("label_selector"),
            restart=self.boolean("restart", False),
            host=self.url("host", required=False),
            token_env=self.string("token_env"),
            ca_cert=self.string("ca_cert"),
            kubeconfig=self.string("kubeconfig"),
            context=self.string("context"),
        )

    def require_target(self, key: str, value: str | None, discover: bool) -> None:
        """``key`` names the one stored secret to rotate: it may be left out only when the
        entry discovers the secrets that hold the leaked value."""
        if not value and not discover:
            raise self.fail(key, "required unless `discover = true`")

    def generator(self) -> GeneratorSpec:
        raw = self.table.get("generator", {})
        if not isinstance(raw, dict):
            raise self.fail("generator", "must be a table")
        unknown = set(raw) - _GENERATOR_KEYS
        if unknown:
            raise self.fail(f"generator.{sorted(unknown)[0]}", "unknown key")
        length = raw.get("length", 40)
        if not isinstance(length, int) or isinstance(length, bool) or not 8 <= length <= 4096:
            raise self.fail("generator.length", "must be an integer from 8 to 4096")
        alphabet = raw.get("alphabet")
        if alphabet is not None and (not isinstance(alphabet, str) or len(set(alphabet)) < 2):
            raise self.fail("generator.alphabet", "must be a string of at least 2 characters")
        field = raw.get("field")
        if field is not None and (not isinstance(field, str) or not field):
            raise self.fail("generator.field", "must be a non-empty string")
        return GeneratorSpec(length, alphabet, field)

    def string(self, key: str) -> str | None:
        value = self.table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        return value

    def url(self, key: str, *, required: bool) -> str | None:
        value = self.string(key)
        if value is None:
            if required:
                raise self.fail(key, "required")
            return None
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise self.fail(key, "must be an http:// or https:// URL")
        return value

    def str_list(self, key: str) -> list[str]:
        value = self.table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "must be a list of non-empty strings")
        return list(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def number(self, key: str, default: float, *, minimum: float, integer: bool = False) -> float:
        value = self.table.get(key, default)
        ok = isinstance(value, int) or (isinstance(value, float) and not integer)
        if isinstance(value, bool) or not ok or float(value) < minimum:
            kind = "an integer" if integer else "a number"
            raise self.fail(key, f"must be {kind} >= {minimum:g}")
        return float(value)
