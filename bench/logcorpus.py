"""A realistic, deterministic application-log corpus for ``bench/logs.py``.

Most lines look like what services really log: ``key=value`` pairs in which words such as
token, key, auth, session, password and secret play non-secret roles (``token_count=12``,
``auth=ok``, ``session=3f2a...`` ids, ``key=user:42`` cache keys), access logs with query
strings, JSON logs with nested objects, stack traces, SQL and libpq connection strings without
a password. About one line in ``every`` holds a real (synthetic) secret of one of several kinds;
``generate`` returns where, so the benchmark can check that each one was redacted.
"""

from __future__ import annotations

import json
import random
import string
import time
import zlib
from collections.abc import Callable

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
HEX = "0123456789abcdef"
PATHS = ["/api/v1/users", "/api/v1/orders", "/api/v2/search", "/healthz", "/login", "/metrics"]
LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
LOGGERS = ["app.http", "app.db", "worker.queue", "auth.session", "billing.invoice", "cache"]
AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
]


def _b62(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(B62, k=n))


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(HEX, k=n))


def _ts(i: int) -> str:
    sec = 1_700_000_000 + i // 50
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{i % 1000:03d}Z"


# -- clean lines --------------------------------------------------------------------------------


def _access(rng: random.Random, ts: str) -> str:
    ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
    query = rng.choice(
        [
            f"?page={rng.randrange(50)}&per_page=20",
            f"?q=shoes&session={_hex(rng, 16)}&lang=en",
            f"?redirect_uri=%2Fdashboard&state={_hex(rng, 12)}&auth=sso",
            f"?token_type=refresh&expires_in=3600&key=user:{rng.randrange(99999)}",
            f"?q=red%20running%20shoes%20size%20{rng.randrange(36, 48)}&sort=price%3Aasc",
            f"?next=%2Fapi%2Fv1%2Forders%2F{rng.randrange(10**5)}&auth_flow=pkce",
            "",
        ]
    )
    return (
        f'{ip} - - [{ts}] "{rng.choice(["GET", "GET", "POST", "PUT"])} {rng.choice(PATHS)}{query}'
        f' HTTP/1.1" {rng.choice([200, 200, 200, 204, 304, 401, 404, 500])} '
        f'{rng.randrange(100, 90000)} "-" "{rng.choice(AGENTS)}" rt={rng.random():.3f}'
    )


def _keyvalue(rng: random.Random, ts: str) -> str:
    extra = rng.choice(
        [
            f"auth=ok session={_hex(rng, 16)} token_count={rng.randrange(1, 4096)}",
            f"key=user:{rng.randrange(99999)} cache=hit ttl={rng.randrange(60, 3600)}",
            f"token_refreshed=true auth_method=oauth2 session_age_s={rng.randrange(9000)}",
            f"secret_name=db-credentials secret_version={rng.randrange(1, 40)} rotated=false",
            f"password_changed=false password_age_days={rng.randrange(400)} mfa=enabled",
            f"api_key_id=key_{rng.randrange(10**6)} quota_remaining={rng.randrange(10**5)}",
            f"cache_key=orders:{rng.randrange(10**6)}:v2:eu-west-1 hit=false",
            f"session_key=sess:user:{rng.randrange(10**6)}:web token_ttl_seconds=3600",
            f"auth_header=present token_source=cookie idempotency_key=ord-{rng.randrange(10**8)}",
        ]
    )
    return (
        f"{ts} {rng.choice(LEVELS)} {rng.choice(LOGGERS)} request_id={_b62(rng, 12)} "
        f"user_id={rng.randrange(100000)} {extra} duration_ms={rng.randrange(1, 2000)}"
    )


def _json(rng: random.Random, ts: str) -> str:
    record = {
        "ts": ts,
        "level": rng.choice(["info", "info", "debug", "warn"]),
        "logger": rng.choice(LOGGERS),
        "msg": rng.choice(["request done", "token refreshed", "cache miss", "order processed"]),
        "http": {
            "method": rng.choice(["GET", "POST"]),
            "path": rng.choice(PATHS),
            "status": rng.choice([200, 201, 401, 404]),
        },
        "auth": {"method": "oauth2", "token_type": "bearer", "expires_in": 3600},
        "session": {"id": _hex(rng, 24), "new": rng.random() < 0.1},
        "user": {"id": rng.randrange(10**6)},
        "duration_ms": round(rng.random() * 500, 2),
    }
    return json.dumps(record)


def _trace(rng: random.Random, ts: str) -> str:
    return rng.choice(
        [
            f"{ts} ERROR app.http Traceback (most recent call last):",
            f'  File "/srv/app/auth/tokens.py", line {rng.randrange(1, 900)}, in refresh_token',
            "    session = store.get(session_key)",
            f"    at com.example.auth.TokenService.check(TokenService.java:{rng.randrange(900)})",
            f"    at com.example.cache.KeyResolver.resolve(KeyResolver.java:{rng.randrange(900)})",
            "KeyError: 'session_key'",
            f"{ts} WARN app.http caused by: javax.crypto.BadPaddingException: auth tag mismatch",
        ]
    )


def _sql(rng: random.Random, ts: str) -> str:
    return f"{ts} DEBUG app.db " + rng.choice(
        [
            f"SELECT id, token_hash FROM api_keys WHERE user_id = {rng.randrange(10**5)} "
            f"AND revoked = false (duration: {rng.random():.3f} ms)",
            f"UPDATE sessions SET last_seen = now() WHERE session_id = '{_hex(rng, 16)}'",
            "INSERT INTO audit (actor, action, key) VALUES ($1, 'password_reset', $2)",
            f"SELECT secret_ref FROM vault_refs WHERE name = 'svc-{rng.randrange(50)}' LIMIT 1",
        ]
    )


def _libpq(rng: random.Random, ts: str) -> str:
    return (
        f"{ts} INFO app.db connecting: host=db-{rng.randrange(4)}.internal port=5432 "
        f"dbname=orders user=app_rw sslmode=require connect_timeout={rng.randrange(2, 10)} "
        f"application_name=worker-{rng.randrange(8)}"
    )


CLEAN: list[tuple[float, Callable[[random.Random, str], str]]] = [
    (0.25, _access),
    (0.35, _keyvalue),
    (0.20, _json),
    (0.08, _trace),
    (0.08, _sql),
    (0.04, _libpq),
]


# -- planted secrets ----------------------------------------------------------------------------


def _github(rng: random.Random) -> str:
    body = "Fake" + _b62(rng, 26)
    crc = zlib.crc32(body.encode())
    tail = ""
    while crc:
        crc, r = divmod(crc, 62)
        tail = B62[r] + tail
    return "ghp_" + body + tail.rjust(6, "0")


def _aws_id(rng: random.Random) -> str:
    return "AKIA" + "".join(rng.choices(string.ascii_uppercase + "234567", k=16))


def _openai(rng: random.Random) -> str:
    return "sk-" + _b62(rng, 20) + "T3BlbkFJ" + _b62(rng, 20)


def _slack(rng: random.Random) -> str:
    return f"xoxb-{rng.randrange(10**10, 10**11)}-{rng.randrange(10**11, 10**12)}-{_b62(rng, 24)}"


def _stripe(rng: random.Random) -> str:
    return "sk_live_" + _b62(rng, 24)


def _password(rng: random.Random) -> str:
    return _b62(rng, 6) + "-" + _b62(rng, 4) + "!" + _b62(rng, 3)


SecretLine = Callable[[random.Random, str], tuple[str, str]]


def _s_github(rng: random.Random, ts: str) -> tuple[str, str]:
    s = _github(rng)
    return f"{ts} ERROR app.http upstream failed: Authorization: token {s} status=401", s


def _s_aws(rng: random.Random, ts: str) -> tuple[str, str]:
    s = _aws_id(rng)
    return f"{ts} DEBUG app.config loaded aws_access_key_id={s} region=eu-west-1", s


def _s_openai(rng: random.Random, ts: str) -> tuple[str, str]:
    s = _openai(rng)
    return f'{ts} INFO worker.queue {{"event": "retry", "api_key": "{s}", "attempt": 3}}', s


def _s_slack(rng: random.Random, ts: str) -> tuple[str, str]:
    s = _slack(rng)
    return f"{ts} WARN notify posting with token {s} to #alerts", s


def _s_stripe(rng: random.Random, ts: str) -> tuple[str, str]:
    s = _stripe(rng)
    return f"{ts} DEBUG billing.invoice client init stripe_key={s} mode=live", s


def _s_libpq(rng: random.Random, ts: str) -> tuple[str, str]:
    s = _password(rng)
    return (
        f"{ts} INFO app.db connecting: host=db-1.internal port=5432 dbname=orders user=app_rw "
        f"password={s} sslmode=require",
        s,
    )


def _s_json_nested(rng: random.Random, ts: str) -> tuple[str, str]:
    s = _password(rng) + _b62(rng, 6)
    record = {"ts": ts, "msg": "config dump", "db": {"host": "db-1", "password": s}}
    return json.dumps(record), s


def _s_url(rng: random.Random, ts: str) -> tuple[str, str]:
    s = _password(rng)
    return f"{ts} INFO app.db pool url=postgresql://app_rw:{s}@db-1.internal:5432/orders", s


def _s_bearer(rng: random.Random, ts: str) -> tuple[str, str]:
    s = _b62(rng, 22) + "-" + _b62(rng, 17)  # base64url-like
    return f'{ts} DEBUG app.http outgoing headers: {{"Authorization": "Bearer {s}"}}', s


SECRETS: list[SecretLine] = [
    _s_github,
    _s_aws,
    _s_openai,
    _s_slack,
    _s_stripe,
    _s_libpq,
    _s_json_nested,
    _s_url,
    _s_bearer,
]


def generate(
    lines: int,
    every: int = 1000,
    seed: int = 7,
    is_placeholder: Callable[[str], bool] | None = None,
) -> tuple[bytes, list[tuple[int, str]]]:
    """``lines`` log lines and (line index, secret) for each planted secret (one per ``every``
    lines; a candidate the placeholder predicate rejects is drawn again)."""
    rng = random.Random(seed)
    weights = [w for w, _ in CLEAN]
    kinds = [k for _, k in CLEAN]
    out: list[str] = []
    planted: list[tuple[int, str]] = []
    for i in range(lines):
        ts = _ts(i)
        if i % every == every // 2:
            make = SECRETS[len(planted) % len(SECRETS)]
            line, secret = make(rng, ts)
            while is_placeholder is not None and is_placeholder(secret):
                line, secret = make(rng, ts)
            out.append(line)
            planted.append((i, secret))
        else:
            out.append(rng.choices(kinds, weights)[0](rng, ts))
    return ("\n".join(out) + "\n").encode(), planted
