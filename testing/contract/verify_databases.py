"""Real, throwaway database servers for the database URL verifier tests: a PostgreSQL cluster
(Debian ``postgresql``: initdb + pg_ctl) and a MariaDB server (Debian ``mariadb-server``:
mariadb-install-db + mariadbd), each in a temporary directory, listening on 127.0.0.1 at a free
port, stopped and removed afterwards. As root the servers run as the packages' own ``postgres``
and ``mysql`` users (neither server runs as root). ``find_*`` return None when the package is
missing, so a test can say which package to install (scripts/apt-packages.txt lists both)."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from testing.servers import free_port

ADMIN_PASSWORD = "kgAdminFakePw1"


@dataclass(frozen=True)
class DbServer:
    kind: str  # postgres | mysql
    port: int
    admin: str
    directory: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def admin_sql(self, *statements: str) -> None:
        """Run ``statements`` as the administrator, each committed at once: PostgreSQL over TCP
        with ``ADMIN_PASSWORD``, MariaDB as root through the server's socket."""
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(
                host="127.0.0.1",
                port=self.port,
                user=self.admin,
                password=ADMIN_PASSWORD,
                dbname="postgres",
                autocommit=True,
            ) as conn:
                for statement in statements:
                    conn.execute(statement)
            return
        import pymysql

        conn2 = pymysql.connect(unix_socket=str(self.directory / "sock"), user=self.admin)
        try:
            with conn2.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
        finally:
            conn2.close()


def find_postgres() -> Path | None:
    """The bin directory of the newest installed PostgreSQL."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version)
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    return Path(which).resolve().parent if which else None


def find_mariadb() -> Path | None:
    for name in ("/usr/sbin/mariadbd", "/usr/sbin/mysqld"):
        if os.access(name, os.X_OK) and shutil.which("mariadb-install-db"):
            return Path(name)
    return None


def _version(path: str) -> tuple[int, ...]:
    part = path.split("/")[4]
    return tuple(int(p) for p in part.split(".") if p.isdigit())


def _as(user: str) -> list[str]:
    """Run a server command as ``user`` when we are root (servers refuse to run as root)."""
    return ["runuser", "-u", user, "--"] if os.geteuid() == 0 else []


def _owned_dir(prefix: str, user: str) -> Path:
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        entry = pwd.getpwnam(user)
        os.chown(directory, entry.pw_uid, entry.pw_gid)
    return directory


def _run(command: list[str], log: Path) -> None:
    with open(log, "ab") as out:
        subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=True, timeout=120)


def _wait_port(port: int, proc: subprocess.Popen[bytes] | None, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the database server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError("the database server did not start")


PG_HBA = """\
local all all scram-sha-256
host all kgtrust 127.0.0.1/32 trust
host all kgreject 127.0.0.1/32 reject
host all all 127.0.0.1/32 scram-sha-256
"""


@contextlib.contextmanager
def postgres_server(bindir: Path) -> Iterator[DbServer]:
    """A cluster whose ``pg_hba.conf`` trusts role ``kgtrust``, rejects ``kgreject`` and asks
    everyone else for a SCRAM password; the superuser is ``kgadmin``."""
    user = "postgres"
    directory = _owned_dir("kg-pg-", user)
    data, log, port = directory / "data", directory / "server.log", free_port()
    pwfile = directory / "pw"
    pwfile.write_text(ADMIN_PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(pwfile, user)
    initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "kgadmin", f"--pwfile={pwfile}"]
    setup_log = directory / "initdb.log"
    _run([*_as(user), *initdb, "--auth=scram-sha-256", "-E", "UTF8", "--no-sync"], setup_log)
    (data / "pg_hba.conf").write_text(PG_HBA)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {directory} -c fsync=off"
    pg_ctl = [*_as(user), str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log)]
    _run([*pg_ctl, "-w", "-t", "60", "-o", options, "start"], directory / "ctl.log")
    try:
        _wait_port(port, None)
        yield DbServer("postgres", port, "kgadmin", directory)
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            _run([*pg_ctl, "-m", "immediate", "-w", "stop"], directory / "ctl.log")
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def mariadb_server(mariadbd: Path) -> Iterator[DbServer]:
    """A MariaDB server; its ``root@localhost`` has no password and is reached through the
    socket in the server's directory (``DbServer.directory / "sock"``)."""
    user = "mysql"
    directory = _owned_dir("kg-my-", user)
    data, log, port = directory / "data", directory / "server.log", free_port()
    run_as = ["--user=" + user] if os.geteuid() == 0 else []
    install = ["mariadb-install-db", "--no-defaults", f"--datadir={data}", *run_as]
    _run([*install, "--auth-root-authentication-method=normal", "--skip-test-db"], log)
    command = [
        str(mariadbd),
        "--no-defaults",
        f"--datadir={data}",
        f"--socket={directory / 'sock'}",
        f"--pid-file={directory / 'pid'}",
        f"--port={port}",
        "--bind-address=127.0.0.1",
        "--skip-name-resolve",
        "--skip-log-bin",
        f"--log-error={log}",
        *run_as,
    ]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, proc)
        yield DbServer("mysql", port, "root", directory)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)
