"""A throw-away PostgreSQL server for the integration tests, and a pooled connection.

`postgres_dsn` (a session fixture) creates a cluster in a temporary directory
with the server binaries of the machine's `postgresql` package, starts it on
127.0.0.1 at a free port, yields a libpq connection string and, after the
session, stops the server and deletes the cluster. Nothing is mocked: the
tests talk to a real server over TCP. The cluster itself is tests/pgcluster.py.

Without the server binaries the tests are skipped, saying what to install,
unless RPOOL_REQUIRE_POSTGRES=1 (set by `make test`, `make test-ft` and so
`make check`): then the session fails, since `make check` promises that the
pool was tested against a real server.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Self, TypeVar

import psycopg
import pytest
from psycopg.pq import TransactionStatus

from tests.pgcluster import Cluster, server_binaries

__all__ = ["PgConn", "postgres_dsn", "settled"]

T = TypeVar("T")

REQUIRE = os.environ.get("RPOOL_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A libpq connection string to a fresh PostgreSQL server on 127.0.0.1, for the session."""
    binaries = server_binaries()
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
    cluster = Cluster(binaries)
    cluster.start()
    try:
        yield cluster.dsn
    finally:
        cluster.stop()


def settled(read: Callable[[], T], done: Callable[[T], bool], within: float = 10.0) -> T:
    """`read()`'s value once `done` holds of it, or its last value after `within` seconds.

    The server lists a session in `pg_stat_activity` until its backend process
    has exited, a moment after the client closed the socket or after
    `pg_terminate_backend`: a view read at once may still show a session the
    pool has closed. Reading again is waiting for the server, not for the
    pool; a session the pool really leaked stays listed, and the caller's
    assertion on the returned view fails after `within` seconds.
    """
    deadline = time.monotonic() + within
    while True:
        seen = read()
        if done(seen) or time.monotonic() > deadline:
            return seen
        time.sleep(0.01)


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
