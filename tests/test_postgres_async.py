"""`AsyncPool` of real PostgreSQL connections, used from tasks, over two drivers.

The drivers are psycopg 3's `AsyncConnection` and asyncpg (not on the
free-threaded build, for which asyncpg 0.32.0 has no wheel; elsewhere
`make` requires it). The server is tests/postgres.py's throw-away cluster. As tests/test_postgres.py
does for `Pool` and threads, the server's own view (`pg_stat_activity`) is the
judge: never more sessions than the maximum, none left after `close()`, a
terminated backend discarded and replaced, and a storm of cancellations
(about a third of the tasks' acquires cancelled at random points: while
connecting, while waiting, in a query, while the connection is reset) leaves
no session leaked and none stuck in a transaction.
"""

from __future__ import annotations

import asyncio
import random
import sys
import threading
from typing import Any, Protocol, Self

import psycopg
import pytest
from psycopg.pq import TransactionStatus

from rpool import AsyncPool, AutoScale, Static
from tests.postgres import REQUIRE, postgres_dsn, settled

try:
    import asyncpg
except ImportError:  # the free-threaded venv has no asyncpg (no wheel)
    asyncpg = None

__all__ = ["postgres_dsn"]  # the fixture, used by name below

NAME = "rpool-async-test"

# Backend pids of the connections the pools have closed. The server lists a
# closed session until its backend has exited, a moment later; the monitor
# leaves these out, so that a replacement connected in that moment is not
# counted against the bound with the session it replaces.
LET_GO: set[int] = set()
# Every connection the pools made, kept alive so that the garbage collector
# cannot close a connection the pool forgot: the test asserts the pool did.
OPENED: list[Conn] = []


class Conn(Protocol):
    """What the tests need of a pooled connection, whichever the driver."""

    pid: int
    gone: tuple[type[BaseException], ...]  # what a query on a terminated backend raises

    @classmethod
    async def new(cls, dsn: str) -> Self: ...
    async def reset(self) -> bool: ...
    async def close(self) -> None: ...
    async def query(self, sql: str) -> Any: ...
    def is_closed(self) -> bool: ...


class AsyncPgConn:
    """A pooled psycopg async connection (autocommit): an `AsyncPoolable[str]`, context the DSN."""

    gone: tuple[type[BaseException], ...] = (psycopg.OperationalError,)

    def __init__(self, connection: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        self.connection = connection
        self.pid = connection.info.backend_pid

    @classmethod
    async def new(cls, dsn: str) -> Self:
        connection = await psycopg.AsyncConnection.connect(
            dsn, application_name=NAME, connect_timeout=10, autocommit=True
        )
        pooled = cls(connection)
        OPENED.append(pooled)
        return pooled

    async def reset(self) -> bool:
        connection = self.connection
        if connection.closed or connection.broken:
            return False
        try:
            await connection.rollback()
        except psycopg.Error:  # gone, or left mid-query by a cancelled task
            return False
        return connection.info.transaction_status == TransactionStatus.IDLE

    async def close(self) -> None:
        LET_GO.add(self.pid)
        await self.connection.close()

    def is_closed(self) -> bool:
        return self.connection.closed

    async def query(self, sql: str) -> Any:
        cursor = await self.connection.execute(sql)
        return await cursor.fetchall() if cursor.description is not None else None


class AsyncpgConn:
    """A pooled asyncpg connection: an `AsyncPoolable[str]`, context the libpq DSN."""

    gone: tuple[type[BaseException], ...] = (
        () if asyncpg is None else (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)
    )

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.pid: int = connection.get_server_pid()

    @classmethod
    async def new(cls, dsn: str) -> Self:
        assert asyncpg is not None
        parts = dict(item.split("=", 1) for item in dsn.split())
        connection = await asyncpg.connect(
            host=parts["host"],
            port=int(parts["port"]),
            user=parts["user"],
            database=parts["dbname"],
            server_settings={"application_name": NAME},
            timeout=10,
        )
        pooled = cls(connection)
        OPENED.append(pooled)
        return pooled

    async def reset(self) -> bool:
        assert asyncpg is not None
        connection = self.connection
        if connection.is_closed():
            return False
        try:
            if connection.is_in_transaction():
                await connection.execute("rollback")
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            return False  # gone, or left mid-query by a cancelled task
        return not connection.is_in_transaction()

    async def close(self) -> None:
        LET_GO.add(self.pid)
        self.connection.terminate()  # no round trip: the server may be gone

    def is_closed(self) -> bool:
        return bool(self.connection.is_closed())

    async def query(self, sql: str) -> Any:
        return await self.connection.fetch(sql)


@pytest.fixture(params=["psycopg", "asyncpg"])
def driver(request: pytest.FixtureRequest) -> type[Conn]:
    """Each test runs over both drivers."""
    if request.param == "psycopg":
        return AsyncPgConn
    if asyncpg is None:
        free_threaded = not getattr(sys, "_is_gil_enabled", lambda: True)()
        if REQUIRE and not free_threaded:
            pytest.fail("asyncpg is not installed (requirements-dev.lock pins it)")
        # Justified: asyncpg 0.32.0 has no wheel for the free-threaded build.
        pytest.skip("asyncpg is not installed here (no wheel for the free-threaded build)")
    return AsyncpgConn


def sessions(dsn: str) -> list[tuple[int, str | None]]:
    """(pid, state) of the pool's sessions, as the server sees them."""
    with psycopg.connect(dsn, autocommit=True) as admin:
        rows = admin.execute(
            "select pid, state from pg_stat_activity where application_name = %s", (NAME,)
        ).fetchall()
    return [(pid, state) for pid, state in rows]


@pytest.fixture(autouse=True)
def _registries() -> None:
    """Each test starts with no connections made or let go."""
    OPENED.clear()
    LET_GO.clear()


def none_left(dsn: str) -> list[tuple[int, str | None]]:
    """The pool's sessions once the server has none left, or after 10 s (see `settled`).

    First, every connection the pool made must have been closed by it.
    """
    assert OPENED and all(conn.is_closed() for conn in OPENED)
    return settled(lambda: sessions(dsn), lambda seen: not seen)


class Monitor:
    """Counts the pool's open sessions every few milliseconds, from a thread of its own.

    A session whose connection the pool has closed (its pid in LET_GO) is not counted.
    """

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.seen: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch)

    def _watch(self) -> None:
        while not self._stop.wait(0.005):
            self.seen.append(sum(pid not in LET_GO for pid, _ in sessions(self.dsn)))

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def test_tasks_share_connections_within_the_bound_and_close_leaves_none(
    postgres_dsn: str, driver: type[Conn]
) -> None:
    maximum = 3

    async def body() -> None:
        async with AsyncPool(driver, AutoScale(initial=1, maximum=maximum), postgres_dsn) as pool:

            async def worker(number: int) -> None:
                for n in range(10):
                    async with pool.acquire(timeout=30.0) as conn:
                        await conn.query("begin")
                        await conn.query(f"select {number}, {n}")
                        if n % 4 == 3:
                            continue  # left open on purpose: reset() must roll it back
                        await conn.query("commit")

            await asyncio.gather(*(worker(i) for i in range(4 * maximum)))
            stats = pool.stats()
            assert stats.created <= maximum and stats.in_use == 0 and stats.waiting == 0
            assert all(state == "idle" for _, state in sessions(postgres_dsn))

    with Monitor(postgres_dsn) as monitor:
        asyncio.run(body())
    assert monitor.seen and max(monitor.seen) <= maximum
    assert none_left(postgres_dsn) == []


def test_a_terminated_backend_is_discarded_and_replaced(
    postgres_dsn: str, driver: type[Conn]
) -> None:
    async def body() -> None:
        async with AsyncPool(driver, Static(1), postgres_dsn) as pool:
            async with pool.acquire(timeout=5.0) as conn:
                doomed = conn.pid
                with psycopg.connect(postgres_dsn, autocommit=True) as admin:
                    admin.execute("select pg_terminate_backend(%s)", (doomed,))
                with pytest.raises(conn.gone):
                    await conn.query("select 1")
            stats = pool.stats()
            assert stats.discarded == 1 and stats.created == 2 and stats.capacity == 1
            async with pool.acquire(timeout=5.0) as fresh:
                assert fresh.pid != doomed
                assert [tuple(row) for row in await fresh.query("select 1")] == [(1,)]
            left = await asyncio.to_thread(
                settled, lambda: sessions(postgres_dsn), lambda seen: len(seen) == 1
            )
            assert [pid for pid, _ in left] == [fresh.pid]  # the terminated backend exited

    asyncio.run(body())
    assert none_left(postgres_dsn) == []


def test_a_cancellation_storm_leaks_no_session(postgres_dsn: str, driver: type[Conn]) -> None:
    maximum = 4
    rng = random.Random(1123)

    async def body() -> None:
        async with AsyncPool(driver, AutoScale(initial=0, maximum=maximum), postgres_dsn) as pool:
            cancelled = 0

            async def one_acquire() -> None:
                async with pool.acquire(timeout=30.0) as conn:
                    await conn.query("select pg_sleep(0.001)")
                    await conn.query("begin")  # left open: reset rolls it back

            async def worker() -> None:
                nonlocal cancelled
                for _ in range(6):
                    task = asyncio.create_task(one_acquire())
                    if rng.random() < 1 / 3:
                        # Cancel after a random number of loop iterations: while
                        # connecting, waiting, querying or being reset.
                        for _ in range(rng.randrange(40)):
                            await asyncio.sleep(0)
                        task.cancel()
                    try:
                        await task
                    except asyncio.CancelledError:
                        cancelled += 1

            await asyncio.gather(*(worker() for _ in range(4 * maximum)))
            assert cancelled > 0
            stats = pool.stats()
            assert stats.in_use == 0 and stats.waiting == 0, stats
            assert stats.capacity == stats.idle <= maximum, stats
            # The server agrees: as many sessions as idle connections, none in
            # a transaction.
            seen = await asyncio.to_thread(
                settled, lambda: sessions(postgres_dsn), lambda seen: len(seen) == stats.idle
            )
            assert len(seen) == stats.idle, (seen, stats)
            assert all(state == "idle" for _, state in seen), seen

    with Monitor(postgres_dsn) as monitor:
        asyncio.run(body())
    assert monitor.seen and max(monitor.seen) <= maximum
    assert none_left(postgres_dsn) == []


def test_max_lifetime_and_check_recycle_real_connections(
    postgres_dsn: str, driver: type[Conn]
) -> None:
    """A dead connection fails the async check and is replaced; an old one expires.

    The check runs a query (awaited by the pool before the hand-out): a
    connection whose backend was terminated fails it and is closed, and the
    caller gets a fresh one. Past `max_lifetime` (the pool's clock, moved by
    the test) a connection is closed when found idle, and when it comes back.
    The server sees the old sessions go and never more than the count.
    """
    now = [0.0]

    async def alive(conn: Conn) -> bool:
        try:
            await conn.query("select 1")
        except conn.gone:
            return False
        return True

    async def body() -> None:
        async with AsyncPool(
            driver,
            Static(2),
            postgres_dsn,
            check=alive,
            max_lifetime=60.0,
            lifetime_jitter=0.0,
            clock=lambda: now[0],
        ) as pool:
            async with pool.acquire(timeout=5.0) as conn:
                doomed = conn.pid
            with psycopg.connect(postgres_dsn, autocommit=True) as admin:
                admin.execute("select pg_terminate_backend(%s)", (doomed,))
            async with pool.acquire(timeout=5.0) as conn:  # the last returned: doomed
                assert conn.pid != doomed
                replacement = conn.pid
            assert pool.stats().checks_failed == 1
            now[0] = 61.0  # both connections past their lifetime
            held = await pool.acquire(timeout=5.0)  # found expired: renewed
            renewed = held.resource.pid
            assert renewed not in (doomed, replacement)
            await held.release()
            stats = pool.stats()
            assert stats.expired == 1 and stats.capacity == 2, stats
            pids = {
                pid
                for pid, _ in await asyncio.to_thread(
                    settled,
                    lambda: sessions(postgres_dsn),
                    lambda seen: not {doomed, replacement} & {pid for pid, _ in seen},
                )
            }
            assert doomed not in pids and replacement not in pids and renewed in pids
            assert len(pids) <= 2
            now[0] = 200.0
            async with pool.acquire(timeout=5.0) as conn:  # expired again: renewed
                assert conn.pid != renewed
                fresh = conn.pid
                now[0] = 300.0  # it expires while held: discarded when it comes back
            stats = pool.stats()
            assert stats.expired == 3 and stats.capacity == 2, stats
            left = await asyncio.to_thread(
                settled,
                lambda: sessions(postgres_dsn),
                lambda seen: fresh not in {pid for pid, _ in seen},
            )
            assert fresh not in {pid for pid, _ in left}

    asyncio.run(body())
    assert none_left(postgres_dsn) == []
