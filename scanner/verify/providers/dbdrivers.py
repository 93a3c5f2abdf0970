"""The connection checks behind ``database``: connect, authenticate, close. The drivers come from
the extra ``verify-db`` (psycopg for PostgreSQL, PyMySQL for MySQL and MariaDB) and load only
here; a missing one is a ``UserError`` naming the extra.

Both are given explicit parameters (never the URL, whose options could name files or other
hosts) and nothing of the scanning machine's own credentials: no client certificate, no password
or option file, no GSS encryption; with libpq 16 or later only password methods are accepted.
TLS is used when the server offers it (not verified: the host is the URL's own). Error texts
are matched, never shown: a detail never carries the host, the user or the password.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from scanner.errors import UserError
from scanner.models import Verification, VerifyStatus

if TYPE_CHECKING:
    from scanner.verify.providers.database import Target

Check = Callable[["Target", str, tuple[str, int], float, str], Verification]
_NOWHERE = os.path.join(os.sep, "nonexistent", "keyguard-no-client-credentials")
_AUTH_METHODS = ",".join(("password", "md5", "scram-sha-256"))  # libpq require_auth


@contextmanager
def _driver(package: str, database: str) -> Iterator[None]:
    """Around a driver's import: ``ImportError`` becomes a ``UserError`` naming the extra."""
    try:
        yield
    except ImportError:
        raise UserError(
            f"verifying {database} URLs needs {package}: pip install 'keyguard[verify-db]'"
        ) from None


def _outcome(status: VerifyStatus, name: str, detail: str) -> Verification:
    return Verification(status, name, detail)


def check_postgres(
    target: Target, password: str, address: tuple[str, int], timeout: float, name: str
) -> Verification:
    with _driver("psycopg", "PostgreSQL"):
        import psycopg
    params: dict[str, Any] = {
        "host": target.host,
        "hostaddr": address[0],
        "port": address[1],
        "user": target.user,
        "password": password,
        "dbname": target.database,
        "connect_timeout": max(2, math.ceil(timeout)),
        "sslmode": "prefer",
        "gssencmode": "disable",
        "sslcert": _NOWHERE,
        "sslkey": _NOWHERE,
        "passfile": _NOWHERE,
        "application_name": "keyguard-verify",
    }
    if psycopg.pq.version() >= 160000:
        params["require_auth"] = _AUTH_METHODS
    try:
        conn = psycopg.connect(**params)
    except psycopg.Error as exc:
        return _postgres_failure(str(exc), name)
    try:
        used_password = bool(conn.pgconn.used_password)
    finally:
        conn.close()
    if not used_password:
        return _outcome(VerifyStatus.UNKNOWN, name, "the server did not ask for the password")
    return _outcome(VerifyStatus.LIVE, name, "authenticated (connection closed at once)")


def _postgres_failure(message: str, name: str) -> Verification:
    """libpq reports connection failures as text (no SQLSTATE); the server's English messages."""
    text = message.lower()
    if "password authentication failed" in text:
        return _outcome(VerifyStatus.INVALID, name, "rejected (password authentication failed)")
    if "database" in text and "does not exist" in text:
        return _outcome(
            VerifyStatus.LIVE, name, "authenticated (the URL's database does not exist)"
        )
    if "authentication method requirement" in text:
        return _outcome(VerifyStatus.UNKNOWN, name, "the server did not ask for the password")
    if "pg_hba.conf" in text or "not permitted to log in" in text:
        return _outcome(
            VerifyStatus.UNKNOWN, name, "the server refused the login without checking it"
        )
    if "timeout" in text:
        return _outcome(VerifyStatus.ERROR, name, "timeout")
    if "fatal:" in text:
        return _outcome(VerifyStatus.UNKNOWN, name, "unexpected answer from the server")
    return _outcome(VerifyStatus.ERROR, name, "connection failed")


# MySQL error codes: https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html
_ACCESS_DENIED = 1045
_CANNOT_CONNECT = 2003
_LOST = 2013
_BEFORE_AUTH = frozenset({1129, 1130})  # host blocked, host not allowed to connect
_BUSY = frozenset({1040, 1203})  # too many connections


def check_mysql(
    target: Target, password: str, address: tuple[str, int], timeout: float, name: str
) -> Verification:
    with _driver("PyMySQL", "MySQL"):
        import pymysql
    try:  # no ssl argument: PyMySQL 1.2+ then uses TLS when the server offers it (unverified)
        conn = pymysql.connect(
            host=address[0],
            port=address[1],
            user=target.user,
            password=password,
            database=None,
            connect_timeout=timeout,
            read_timeout=timeout,
            write_timeout=timeout,
            local_infile=False,
            read_default_file=None,
            program_name="keyguard-verify",
        )
    except pymysql.err.MySQLError as exc:
        return _mysql_failure(exc, name)
    except RuntimeError:  # an auth method PyMySQL cannot do here (RSA without cryptography)
        return _outcome(VerifyStatus.UNKNOWN, name, "the server's auth method is not supported")
    conn.close()
    return _outcome(VerifyStatus.LIVE, name, "authenticated (connection closed at once)")


def _mysql_failure(exc: Exception, name: str) -> Verification:
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
    if code == _ACCESS_DENIED:
        return _outcome(VerifyStatus.INVALID, name, "rejected (access denied, error 1045)")
    if code in _BEFORE_AUTH:
        return _outcome(
            VerifyStatus.UNKNOWN, name, f"the server refused the host before login (error {code})"
        )
    if code in _BUSY:
        return _outcome(VerifyStatus.ERROR, name, f"the server is busy (error {code})")
    if code in (_CANNOT_CONNECT, _LOST):
        text = str(exc.args[1] if len(exc.args) > 1 else "").lower()
        return _outcome(
            VerifyStatus.ERROR, name, "timeout" if "timed out" in text else "connection failed"
        )
    return _outcome(VerifyStatus.UNKNOWN, name, f"unexpected answer (error {code})")


CHECKS: dict[str, Check] = {"postgres": check_postgres, "mysql": check_mysql}
