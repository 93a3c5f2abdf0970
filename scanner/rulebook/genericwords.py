"""Words in rule ids and keywords that name no provider: kinds of secret (``generic``, ``jwt``)
and the credential vocabulary many rules share (``key``, ``token``, ``password``). ``Ruleset``
leaves them out of the provider names and token prefixes it derives; ``deferral`` builds on them.
"""

from __future__ import annotations

# Rule-id families that name a kind of secret rather than a provider.
NOT_PROVIDERS = frozenset(
    {"generic", "jwt", "privatekey", "database", "model", "ci", "saas", "email", "payments", "smtp"}
)


# Keywords that appear in many rules but name no provider.
GENERIC_WORDS = frozenset(
    [
        "key",
        "keys",
        "token",
        "tokens",
        "secret",
        "secrets",
        "password",
        "passwd",
        "auth",
        "oauth",
        "access",
        "api",
        "apikey",
        "bearer",
        "basic",
        "client",
        "private",
        "public",
        "account",
        "user",
        "username",
        "admin",
        "app",
        "application",
        "service",
        "server",
        "webhook",
        "hook",
        "hooks",
        "http",
        "https",
        "url",
        "uri",
        "bot",
        "login",
        "session",
        "signing",
        "license",
        "config",
        "setting",
        "settings",
        "env",
        "environment",
        "prod",
        "production",
        "test",
        "live",
        "sandbox",
        "dev",
        "credential",
        "credentials",
        "cred",
        "creds",
        "pass",
        "pwd",
        "tenant",
        "project",
        "org",
        "organization",
        "team",
        # words of a credential's kind or of SQL, not of who issued it (refresh-token and
        # mysql.user rules): ``refresh_token = ...`` is still the generic rules' to judge
        "refresh",
        "refreshtoken",
        "insert",
    ]
)
