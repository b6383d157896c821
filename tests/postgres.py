"""A throw-away PostgreSQL server for the integration tests, and a pooled connection.

`postgres_dsn` (a session fixture) creates a cluster in a temporary directory
with the server binaries of the machine's `postgresql` package, starts it on
127.0.0.1 at a free port, yields a libpq connection string and, after the
session, stops the server and deletes the cluster. Nothing is mocked: the
tests talk to a real server over TCP.

PostgreSQL refuses to run as root. Run as root (CI), the cluster directory is
given to the `postgres` user that the Debian package creates, and `initdb`
and `pg_ctl` run as that user (`subprocess`'s `user=`); run as anyone else,
they run as the caller.

Without the server binaries the tests are skipped, saying what to install,
unless RPOOL_REQUIRE_POSTGRES=1 (set by `make test`, `make test-ft` and so
`make check`): then the session fails, since `make check` promises that the
pool was tested against a real server.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import psycopg
import pytest
from psycopg.pq import TransactionStatus

__all__ = ["PgConn", "postgres_dsn"]

REQUIRE = os.environ.get("RPOOL_REQUIRE_POSTGRES") == "1"


def _server_binaries() -> Path | None:
    """The directory holding initdb and pg_ctl: Debian's newest, else the ones on PATH."""
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major)
    if debian:
        return Path(debian[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _major(initdb: str) -> int:
    version = Path(initdb).parts[-3]
    return int(version) if version.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _Cluster:
    """One throw-away cluster: `start()` it, `stop()` it; `dsn` says how to reach it."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.root = Path(tempfile.mkdtemp(prefix="rpool-postgres-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        # As root, everything runs as the package's `postgres` user, who must
        # own the directory (mkdtemp makes it 0700).
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user is not None:
            account = pwd.getpwnam(self.user)
            os.chown(self.root, account.pw_uid, account.pw_gid)

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.binaries / tool), *args]
        done = subprocess.run(
            command, user=self.user, capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}{log}"
            )

    def start(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        # No fsync (a throw-away cluster), the socket in our directory (not
        # /var/run/postgresql, which may not exist), and room for the tests'
        # connections beside the pools'.
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c full_page_writes=off -c max_connections=60"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A libpq connection string to a fresh PostgreSQL server on 127.0.0.1, for the session."""
    binaries = _server_binaries()
    if binaries is None:
        message = (
            "no PostgreSQL server binaries (initdb, pg_ctl): install the Debian package "
            "`postgresql` (.ci/run does)"
        )
        if REQUIRE:
            pytest.fail(f"RPOOL_REQUIRE_POSTGRES=1 but {message}")
        # Justified: only a bare `pytest` gets here (make sets REQUIRE), on a
        # machine without the server; it says what to install.
        pytest.skip(message)
    cluster = _Cluster(binaries)
    cluster.start()
    try:
        yield cluster.dsn
    finally:
        cluster.stop()


class PgConn:
    """A pooled psycopg connection: a `Poolable[str]` whose context is the DSN.

    `reset()` rolls back whatever the last user left open and reports whether
    the connection is still usable: False for a closed or broken connection
    (its backend terminated, say), which the pool then discards.
    """

    def __init__(self, connection: psycopg.Connection[tuple[object, ...]]) -> None:
        self.connection = connection
        self.pid = connection.info.backend_pid

    @classmethod
    def new(cls, dsn: str) -> Self:
        return cls(psycopg.connect(dsn, application_name="rpool-test", connect_timeout=10))

    def reset(self) -> bool:
        connection = self.connection
        if connection.closed or connection.broken:
            return False
        try:
            connection.rollback()
        except psycopg.OperationalError:  # the server went away since the last query
            return False
        return connection.info.transaction_status == TransactionStatus.IDLE

    def close(self) -> None:
        self.connection.close()
