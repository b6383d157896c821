"""`Pool` of real PostgreSQL connections (psycopg 3), used from threads.

The server is a throw-away cluster on 127.0.0.1 (tests/postgres.py). What is
checked here is what a pool of database connections must get right and what
a stand-in resource cannot show: the server itself counts the connections
(capacity bound), sees no transaction leak from one borrower into the next
(reset), and a connection whose backend the server terminated is discarded
and replaced rather than handed out again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest

from rpool import AutoScale, Pool, PoolTimeout, Static
from tests.postgres import PgConn, postgres_dsn, settled

__all__ = ["postgres_dsn"]  # the fixture, used by name below

THREADS = 8
ROUNDS = 25


@pytest.fixture
def table(postgres_dsn: str) -> Iterator[str]:
    """A fresh table `t (worker int, n int)`; yields the DSN."""
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute("drop table if exists t")
        admin.execute("create table t (worker int, n int)")
    yield postgres_dsn


def _server_connections(dsn: str) -> set[int]:
    """The backend pids of the pools' connections, as the server sees them."""
    with psycopg.connect(dsn, autocommit=True) as admin:
        rows = admin.execute(
            "select pid from pg_stat_activity where application_name = 'rpool-test'"
        ).fetchall()
    return {pid for (pid,) in rows}


def test_threads_share_connections_within_the_bound_and_every_commit_lands(table: str) -> None:
    maximum = 3
    errors: list[BaseException] = []
    seen_by_server: list[int] = []
    stop = threading.Event()

    with Pool(PgConn, AutoScale(initial=1, maximum=maximum), table) as pool:

        def worker(number: int) -> None:
            try:
                for n in range(ROUNDS):
                    with pool.acquire(timeout=30.0) as conn:
                        conn.connection.execute("insert into t values (%s, %s)", (number, n))
                        if n % 5 == 4:
                            # Left open on purpose: reset() must roll it back.
                            conn.connection.execute("insert into t values (-1, -1)")
                            continue
                        conn.connection.commit()
            except BaseException as error:  # reported below, with the thread's number
                errors.append(error)

        def monitor() -> None:
            while not stop.wait(0.005):
                seen_by_server.append(len(_server_connections(table)))

        watcher = threading.Thread(target=monitor)
        watcher.start()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        watcher.join()
        stats = pool.stats()

    assert not errors, errors
    with psycopg.connect(table) as check:
        committed = check.execute("select count(*), count(*) filter (where worker = -1) from t")
        total, leaked = committed.fetchone() or (0, 0)
    # Every fifth round left its transaction open: reset() rolled it back, so
    # neither its own insert nor the extra row was committed.
    assert total == THREADS * (ROUNDS - ROUNDS // 5)
    assert leaked == 0
    assert seen_by_server and max(seen_by_server) <= maximum
    assert stats.created <= maximum and stats.discarded == 0
    assert stats.in_use == 0 and stats.waiting == 0
    # The pool was closed: the server has none of its connections left.
    gone = settled(lambda: _server_connections(table), lambda pids: not pids)
    assert gone == set()


def test_an_open_transaction_never_reaches_the_next_borrower(table: str) -> None:
    with Pool(PgConn, Static(1), table) as pool:
        with pool.acquire(timeout=5.0) as first:
            first.connection.execute("insert into t values (1, 1)")
            pid = first.pid
        with pool.acquire(timeout=5.0) as second:
            assert second.pid == pid  # the same connection, reset
            status = second.connection.info.transaction_status
            assert status == psycopg.pq.TransactionStatus.IDLE
            rows = second.connection.execute("select count(*) from t").fetchone()
            assert rows == (0,)


def test_a_terminated_backend_is_discarded_and_replaced_not_handed_out(table: str) -> None:
    with Pool(PgConn, Static(1), table) as pool:
        with pool.acquire(timeout=5.0) as conn:
            doomed = conn.pid
            with psycopg.connect(table, autocommit=True) as admin:
                admin.execute("select pg_terminate_backend(%s)", (doomed,))
            with pytest.raises(psycopg.OperationalError):
                conn.connection.execute("select 1")
        # reset() saw the broken connection: discarded, and Static replaced it.
        stats = pool.stats()
        assert stats.discarded == 1 and stats.created == 2 and stats.capacity == 1
        with pool.acquire(timeout=5.0) as fresh:
            assert fresh.pid != doomed
            assert fresh.connection.execute("select 1").fetchone() == (1,)
        left = settled(lambda: _server_connections(table), lambda pids: pids == {fresh.pid})
        assert left == {fresh.pid}  # the terminated backend has exited


def test_a_waiter_gets_the_connection_a_holder_returns_and_times_out_otherwise(
    table: str,
) -> None:
    with Pool(PgConn, Static(1), table) as pool:
        holder = pool.acquire(timeout=5.0)
        with pytest.raises(PoolTimeout):
            pool.acquire(timeout=0.05)
        served: list[int] = []

        def waiter() -> None:
            with pool.acquire(timeout=30.0) as conn:
                served.append(conn.pid)

        thread = threading.Thread(target=waiter)
        thread.start()
        while pool.stats().waiting == 0:
            threading.Event().wait(0.001)
        pid = holder.resource.pid
        holder.release()
        thread.join()
        assert served == [pid]
        stats = pool.stats()
        assert stats.timeouts == 1 and stats.waited >= 1 and stats.created == 1
