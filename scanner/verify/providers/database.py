"""Database URLs (``postgres://user:password@host:port/db``, ``mysql://...``): the check is a
connection attempt to the URL's own host that authenticates and closes at once (no query).

It runs only with ``--verify-connect-databases`` on top of ``--verify``: unlike an HTTP
verifier, whose host is pinned by keyguard, the host here is whatever the URL names, so a
scanned tree chooses where keyguard connects (docs/verification.md, "Database URLs"). What
keyguard still enforces:

- the password goes only to the host of its own URL (parts of the same match), never to
  another finding's host; a user name and a host must be in the URL;
- the host is resolved once and the connection goes to that address; loopback, link-local
  (cloud metadata), multicast, unspecified and reserved addresses are refused, so the check
  never reaches the scanning machine itself (the test-only routes of ``routing`` are the one
  way to a loopback server, and a rule or config cannot set them);
- the drivers are maintained libraries (extra ``verify-db``: psycopg, PyMySQL) given explicit
  parameters, never the URL itself, so URL options (``sslkey``, ``service``, ``host=``,
  ``local_infile``...) are ignored; no client certificate, password file, option file or
  Kerberos ticket of the scanning machine is offered (``dbdrivers``).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import unquote

from scanner.models import Finding, Verification, VerifyStatus
from scanner.verify.http import HostPin, HttpClient
from scanner.verify.plan import Plan
from scanner.verify.providers.common import CallDoc, key_part, part, unknown
from scanner.verify.routing import Routes

POSTGRES_RULES = ("postgres.url-password",)
MYSQL_RULES = ("mysql.url-password",)
RULES = POSTGRES_RULES + MYSQL_RULES
DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306}
NOT_ALLOWED = "database connection not allowed: pass --verify-connect-databases"
_DNS = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9-]+")

_ANSWERS = "live: the server accepted the password{extra}; invalid: {invalid}"
DOCS = (
    CallDoc(
        rules=POSTGRES_RULES,
        call="only with `--verify-connect-databases`: a PostgreSQL connection to the URL's own "
        "host and port (default 5432) as the URL's user with `{secret}` (libpq through psycopg; "
        "TLS when the server offers it; password methods only), closed once authenticated",
        answers=_ANSWERS.format(
            extra=" (also when the URL's database does not exist)",
            invalid="password authentication failed",
        ),
        permission="LOGIN on the role; no query is run",
        docs="https://www.postgresql.org/docs/current/protocol-flow.html",
    ),
    CallDoc(
        rules=MYSQL_RULES,
        call="only with `--verify-connect-databases`: a MySQL/MariaDB connection to the URL's "
        "own host and port (default 3306) as the URL's user with `{secret}` (PyMySQL; TLS "
        "when the server offers it; no database selected), closed once authenticated",
        answers=_ANSWERS.format(extra="", invalid="error 1045 (access denied)"),
        permission="the account's login from the scanning host; no query is run",
        docs="https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html",
    ),
)


@dataclass(frozen=True, slots=True)
class Target:
    """Where and as whom to connect; the password stays in the finding until the check."""

    kind: str  # postgres | mysql
    user: str
    host: str  # a DNS name or an IP literal (no brackets)
    port: int
    database: str


@dataclass(frozen=True, slots=True)
class DatabaseVerifier:
    """Connects only when ``allowed`` (``--verify-connect-databases``); ``routes`` are the
    test-only loopback routes, ``timeout`` the ``--verify-timeout``."""

    allowed: bool = False
    routes: Routes = Routes()
    timeout: float = 10.0
    name: str = "database.connect"
    docs: tuple[CallDoc, ...] = DOCS
    pins: tuple[HostPin, ...] = ()  # no HTTP: the host is the URL's own (see the module doc)

    def configured(self, allowed: bool, routes: Routes, timeout: float) -> DatabaseVerifier:
        return replace(self, allowed=allowed, routes=routes, timeout=timeout)

    def plan(self, finding: Finding, peers: Sequence[Finding]) -> Plan | Verification:
        kind = "postgres" if finding.rule_id in POSTGRES_RULES else "mysql"
        name = f"{self.name}:{kind}"
        if not self.allowed:
            return unknown(name, NOT_ALLOWED)
        target = target_of(finding, kind)
        if isinstance(target, str):
            return unknown(name, target)
        where = f"{target.kind}:{target.user}@{target.host}:{target.port}/{target.database}"
        key = f"{key_part(where)}:{finding.fingerprint}"
        password = unquote(finding.secret.reveal())
        routes, timeout = self.routes, self.timeout

        def run(_client: HttpClient) -> Verification:
            address = resolve(target, routes)
            if isinstance(address, Verification):
                return replace(address, verifier=name)
            from scanner.verify.providers.dbdrivers import CHECKS

            return CHECKS[target.kind](target, password, address, timeout, name)

        return Plan(name, key, run)


def target_of(finding: Finding, kind: str) -> Target | str:
    """The connection target from the match's named groups, or why there is none."""
    user = unquote(part(finding, "user") or "")
    host = (part(finding, "host") or "").strip("[]").rstrip(".")
    if not user:
        return "no user name in the URL"
    if not host:
        return "no host in the URL"
    if not _is_ip(host) and not _DNS.fullmatch(host):
        return "the URL's host is malformed"
    port_text = part(finding, "port")
    port = int(port_text) if port_text else DEFAULT_PORTS[kind]
    if not 0 < port < 65536:
        return "the URL's port is out of range"
    default_db = "postgres" if kind == "postgres" else ""
    database = unquote(part(finding, "database") or default_db)
    if any(c in user + database for c in "\0\r\n"):
        return "the URL's user or database name is malformed"
    return Target(kind, user, host.lower(), port, database)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def refused(address: str) -> str | None:
    """Why keyguard will not connect to ``address`` (an IP literal), or None."""
    ip = ipaddress.ip_address(address)
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    if ip.is_loopback:
        return "refused: the URL's host is the scanning machine itself (loopback)"
    if ip.is_link_local:
        return "refused: the URL's host is link-local (cloud metadata lives there)"
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return "refused: the URL's host is not a unicast address"
    return None


def resolve(target: Target, routes: Routes) -> tuple[str, int] | Verification:
    """The one address the check connects to: a test-only route, or the host's first address
    when it is not refused. A failure is a ``Verification`` (without the verifier name)."""
    route = routes.get(target.host)
    if route is not None:
        return route.address, route.port
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return Verification(VerifyStatus.ERROR, "", "the URL's host did not resolve")
    if not infos:
        return Verification(VerifyStatus.ERROR, "", "the URL's host did not resolve")
    address = str(infos[0][4][0])
    why = refused(address)
    if why is not None:
        return Verification(VerifyStatus.UNKNOWN, "", why)
    return address, target.port


DATABASE = DatabaseVerifier()
