"""Pools of real PostgreSQL connections under load (issue 13): rpool against the drivers' pools.

    python -m tests.benchmarks.postgres [--quick] [--repetitions N] [--seconds S] [--json PATH]

Starts a throw-away PostgreSQL server (tests/pgcluster.py) on 127.0.0.1 and
measures, on that one server in one run, pools of 8 connections shared by 4x
as many workers, each worker taking a connection, running `SELECT 1`, giving
it back, again and again until its time is up:

- threads (32): rpool's `Pool` of psycopg connections (`acquire(timeout=5)`),
  psycopg_pool's `ConnectionPool` (`getconn(timeout=5)`, `putconn`) and
  SQLAlchemy's `QueuePool` over psycopg (`connect()`, `close()`);
- tasks (32, one event loop): rpool's `AsyncPool` of psycopg's async
  connections (`acquire(timeout=5)`, `release()`), the same of asyncpg's
  connections (so that the driver is the peer's: asyncpg's queries cost
  the event loop less than psycopg's), asyncpg's pool
  (`acquire(timeout=5)`, `release`) and psycopg_pool's `AsyncConnectionPool`
  (`getconn(timeout=5)`, `putconn`).

Measured per sample and subject: throughput (queries per second over the
sample), the acquire latency (`perf_counter_ns` around the call that takes a
connection: p50, p99 and max over all acquisitions) and fairness (most
queries by one worker / fewest). An unfair pool's percentiles look good: the
few workers it serves again and again wait little, and their many fast
acquisitions outnumber the starved workers' few slow ones; read p99 with
fairness and max beside it. Every connection is in autocommit mode, so `SELECT 1` opens
no transaction and a pool that rolls back on return (SQLAlchemy, rpool's
PgConn) finds nothing to roll back. Each pool does on return what it does by
default: asyncpg's pool sends its reset query (a round trip), psycopg_pool
checks the transaction status locally. A repetition measures every subject
of a workload one after another, each repetition starting from another
subject; the report quotes medians over repetitions and, for rpool, the
median of its ratios to the best peer within each repetition. The machine is
shared (2 cores: the server, the clients and any other load compete).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # as run.py: the repository root replaces this directory
    sys.path.pop(0)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import asyncio
import dataclasses
import json
import statistics
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from typing import Any, Self, TypeVar

import psycopg

from rpool import AsyncPool, AsyncPoolGuard, Pool, Static
from tests.benchmarks import sample_settings
from tests.pgcluster import Cluster, server_binaries

CONNECTIONS = 8
WORKERS = 4 * CONNECTIONS
TIMEOUT = 5.0
QUERY = "SELECT 1"


@dataclasses.dataclass(frozen=True)
class Settings:
    repetitions: int = 5
    seconds: float = 2.0


FULL = Settings()
QUICK = Settings(repetitions=3, seconds=0.5)


@dataclasses.dataclass(frozen=True)
class Sample:
    """One subject's figures in one repetition."""

    throughput: float
    p50_us: float
    p99_us: float
    max_ms: float
    fairness: float


def _sample(counts: list[int], waits: list[int], seconds: float) -> Sample:
    waits.sort()
    return Sample(
        throughput=sum(counts) / seconds,
        p50_us=waits[len(waits) // 2] / 1000,
        p99_us=waits[min(len(waits) - 1, len(waits) * 99 // 100)] / 1000,
        max_ms=waits[-1] / 1e6,
        fairness=max(counts) / max(1, min(counts)),
    )


class PgConn:
    """A psycopg connection as an rpool resource; `reset()` rolls back what was left open."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection

    @classmethod
    def new(cls, dsn: str) -> Self:
        return cls(psycopg.connect(dsn, autocommit=True))

    def reset(self) -> bool:
        connection = self.connection
        if connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            connection.rollback()
        return True

    def close(self) -> None:
        self.connection.close()


# --- threads -------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ThreadParts:
    """A pool under test from threads: take a connection, query it, give it back, close."""

    take: Callable[[], Any]
    query: Callable[[Any], None]
    give: Callable[[Any], None]
    close: Callable[[], None]


def _rpool_threads(dsn: str) -> ThreadParts:
    pool = Pool(PgConn, Static(CONNECTIONS), dsn)

    def query(guard: Any) -> None:
        guard.resource.connection.execute(QUERY).fetchone()

    return ThreadParts(
        lambda: pool.acquire(timeout=TIMEOUT), query, lambda guard: guard.release(), pool.close
    )


def _psycopg_pool_threads(dsn: str) -> ThreadParts:
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool(
        dsn,
        min_size=CONNECTIONS,
        max_size=CONNECTIONS,
        kwargs={"autocommit": True},
        open=True,
    )
    pool.wait()

    def query(connection: Any) -> None:
        connection.execute(QUERY).fetchone()

    return ThreadParts(lambda: pool.getconn(timeout=TIMEOUT), query, pool.putconn, pool.close)


def _sqlalchemy_threads(dsn: str) -> ThreadParts:
    from sqlalchemy.pool import QueuePool

    pool = QueuePool(
        lambda: psycopg.connect(dsn, autocommit=True),
        pool_size=CONNECTIONS,
        max_overflow=0,
        timeout=TIMEOUT,
    )
    # Open the 8 connections now, as the other pools do, so that no
    # connect() is timed.
    opened = [pool.connect() for _ in range(CONNECTIONS)]
    for fairy in opened:
        fairy.close()

    def query(fairy: Any) -> None:
        cursor = fairy.cursor()
        cursor.execute(QUERY)
        cursor.fetchone()
        cursor.close()

    return ThreadParts(pool.connect, query, lambda fairy: fairy.close(), pool.dispose)


THREAD_SUBJECTS: dict[str, Callable[[str], ThreadParts]] = {
    "rpool Pool": _rpool_threads,
    "psycopg_pool ConnectionPool": _psycopg_pool_threads,
    "SQLAlchemy QueuePool": _sqlalchemy_threads,
}


def _run_threads(subject: Callable[[str], ThreadParts], dsn: str, seconds: float) -> Sample:
    parts = subject(dsn)
    take, query, give = parts.take, parts.query, parts.give
    counts = [0] * WORKERS
    waits: list[list[int]] = [[] for _ in range(WORKERS)]
    start = threading.Barrier(WORKERS + 1)
    until = [0.0]

    def worker(index: int) -> None:
        mine = waits[index]
        done = 0
        clock = time.perf_counter_ns
        start.wait()
        end = until[0]
        while time.perf_counter() < end:
            began = clock()
            held = take()
            mine.append(clock() - began)
            try:
                query(held)
            finally:
                give(held)
            done += 1
        counts[index] = done

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    until[0] = time.perf_counter() + seconds
    start.wait()
    for thread in threads:
        thread.join()
    parts.close()
    return _sample(counts, [w for mine in waits for w in mine], seconds)


# --- tasks ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TaskParts:
    """A pool under test from tasks: as ThreadParts, each a coroutine function."""

    take: Callable[[], Awaitable[Any]]
    query: Callable[[Any], Awaitable[None]]
    give: Callable[[Any], Awaitable[None]]
    close: Callable[[], Awaitable[None]]


TaskSubject = Callable[[str], Awaitable[TaskParts]]


async def _asyncpg(dsn: str) -> TaskParts:
    import asyncpg

    pool = await asyncpg.create_pool(_asyncpg_dsn(dsn), min_size=CONNECTIONS, max_size=CONNECTIONS)

    async def take() -> Any:
        return await pool.acquire(timeout=TIMEOUT)

    async def query(connection: Any) -> None:
        await connection.fetchval(QUERY)

    return TaskParts(take, query, pool.release, pool.close)


def _asyncpg_dsn(dsn: str) -> str:
    """The libpq key=value DSN as the URL asyncpg takes."""
    parts = dict(item.split("=", 1) for item in dsn.split())
    return f"postgresql://{parts['user']}@{parts['host']}:{parts['port']}/{parts['dbname']}"


async def _psycopg_pool_tasks(dsn: str) -> TaskParts:
    from psycopg_pool import AsyncConnectionPool

    pool = AsyncConnectionPool(
        dsn,
        min_size=CONNECTIONS,
        max_size=CONNECTIONS,
        kwargs={"autocommit": True},
        open=False,
    )
    await pool.open(wait=True)

    async def take() -> Any:
        return await pool.getconn(timeout=TIMEOUT)

    async def query(connection: Any) -> None:
        await (await connection.execute(QUERY)).fetchone()

    return TaskParts(take, query, pool.putconn, pool.close)


class AsyncPgConn:
    """A psycopg async connection as an AsyncPool resource, reset as PgConn is."""

    def __init__(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self.connection = connection

    @classmethod
    async def new(cls, dsn: str) -> Self:
        return cls(await psycopg.AsyncConnection.connect(dsn, autocommit=True))

    async def reset(self) -> bool:
        connection = self.connection
        if connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            await connection.rollback()
        return True

    async def close(self) -> None:
        await self.connection.close()


async def _rpool_tasks(dsn: str) -> TaskParts:
    pool = AsyncPool(AsyncPgConn, Static(CONNECTIONS), dsn)
    await pool.open()

    async def take() -> Any:
        return await pool.acquire(timeout=TIMEOUT)

    async def query(guard: Any) -> None:
        await (await guard.resource.connection.execute(QUERY)).fetchone()

    return TaskParts(take, query, AsyncPoolGuard.release, pool.close)


class AsyncpgConn:
    """An asyncpg connection as an AsyncPool resource: reset() checks locally, as PgConn does.

    asyncpg's own pool sends a reset query on every release (a round trip);
    this one rolls back only a connection left in a transaction.
    """

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    @classmethod
    async def new(cls, url: str) -> Self:
        import asyncpg

        return cls(await asyncpg.connect(url))

    async def reset(self) -> bool:
        connection = self.connection
        if connection.is_closed():
            return False
        if connection.is_in_transaction():
            await connection.execute("ROLLBACK")
        return True

    async def close(self) -> None:
        await self.connection.close()


async def _rpool_asyncpg(dsn: str) -> TaskParts:
    """rpool's AsyncPool of asyncpg connections: the same driver as asyncpg's pool."""
    pool = AsyncPool(AsyncpgConn, Static(CONNECTIONS), _asyncpg_dsn(dsn))
    await pool.open()

    async def take() -> Any:
        return await pool.acquire(timeout=TIMEOUT)

    async def query(guard: Any) -> None:
        await guard.resource.connection.fetchval(QUERY)

    return TaskParts(take, query, AsyncPoolGuard.release, pool.close)


def _task_subjects() -> dict[str, TaskSubject]:
    return {
        "rpool AsyncPool": _rpool_tasks,
        "rpool AsyncPool (asyncpg)": _rpool_asyncpg,
        "asyncpg Pool": _asyncpg,
        "psycopg_pool AsyncConnectionPool": _psycopg_pool_tasks,
    }


async def _run_tasks(subject: TaskSubject, dsn: str, seconds: float) -> Sample:
    parts = await subject(dsn)
    take, query, give = parts.take, parts.query, parts.give
    counts = [0] * WORKERS
    waits: list[int] = []
    end = time.perf_counter() + seconds

    async def worker(index: int) -> None:
        clock = time.perf_counter_ns
        done = 0
        while time.perf_counter() < end:
            began = clock()
            held = await take()
            waits.append(clock() - began)
            try:
                await query(held)
            finally:
                await give(held)
            done += 1
        counts[index] = done

    await asyncio.gather(*(worker(i) for i in range(WORKERS)))
    await parts.close()
    return _sample(counts, waits, seconds)


# --- the run -------------------------------------------------------------


@contextmanager
def server() -> Iterator[str]:
    """A throw-away server's DSN for the run; SystemExit without the server binaries."""
    binaries = server_binaries()
    if binaries is None:
        raise SystemExit("no PostgreSQL server binaries: install the Debian package `postgresql`")
    cluster = Cluster(binaries)
    cluster.start()
    try:
        yield cluster.dsn
    finally:
        cluster.stop()


Results = dict[str, dict[str, list[Sample]]]


T = TypeVar("T")

#: The package each subject needs besides psycopg and rpool.
NEEDS = {
    "psycopg_pool ConnectionPool": "psycopg_pool",
    "SQLAlchemy QueuePool": "sqlalchemy",
    "rpool AsyncPool (asyncpg)": "asyncpg",
    "asyncpg Pool": "asyncpg",
    "psycopg_pool AsyncConnectionPool": "psycopg_pool",
}


def installed(subjects: dict[str, T]) -> dict[str, T]:
    """The subjects whose package is installed here (the free-threaded venv has none of them)."""
    return {
        name: subject
        for name, subject in subjects.items()
        if name not in NEEDS or find_spec(NEEDS[name]) is not None
    }


def run(settings: Settings, dsn: str) -> Results:
    """Every workload's subjects, `settings.repetitions` times, rotating who goes first.

    A subject whose package is not installed is left out (`installed`).
    """
    threads = installed(THREAD_SUBJECTS)
    tasks = installed(_task_subjects())
    results: Results = {"threads": {n: [] for n in threads}, "tasks": {n: [] for n in tasks}}
    for repetition in range(settings.repetitions):
        order = list(threads)
        order = order[repetition % len(order) :] + order[: repetition % len(order)]
        for name in order:
            print(f"threads {repetition + 1}/{settings.repetitions}: {name}", file=sys.stderr)
            results["threads"][name].append(_run_threads(threads[name], dsn, settings.seconds))
        order = list(tasks)
        order = order[repetition % len(order) :] + order[: repetition % len(order)]
        for name in order:
            print(f"tasks {repetition + 1}/{settings.repetitions}: {name}", file=sys.stderr)
            sample = asyncio.run(_run_tasks(tasks[name], dsn, settings.seconds))
            results["tasks"][name].append(sample)
    return results


def _ratio(
    samples: dict[str, list[Sample]],
    ours: str,
    field: str,
    best: Callable[..., float],
    peers: list[str] | None = None,
) -> float:
    """Median over repetitions of ours / the best peer's figure in the same repetition."""
    if peers is None:
        peers = [name for name in samples if name != ours]
    ratios: list[float] = []
    for index, mine in enumerate(samples[ours]):
        peer = best(getattr(samples[name][index], field) for name in peers)
        ratios.append(float(getattr(mine, field)) / peer)
    return statistics.median(ratios)


#: A peer whose median fairness is above this starves some workers: its
#: percentiles describe the workers it serves (see the module's docstring).
FAIR = 2.0


def record(results: Results) -> dict[str, dict[str, list[dict[str, float]]]]:
    """The raw samples, for JSON."""
    return {
        workload: {
            name: [dataclasses.asdict(sample) for sample in runs] for name, runs in samples.items()
        }
        for workload, samples in results.items()
    }


def render(results: Results, settings: Settings) -> str:
    lines = [
        f"## PostgreSQL: {CONNECTIONS} connections, {WORKERS} workers, `{QUERY}`",
        "",
        f"Medians of {settings.repetitions} samples of {settings.seconds:g} s.",
    ]
    for workload, samples in results.items():
        lines += [
            "",
            f"### {workload}",
            "",
            "| pool | queries/s | acquire p50 (µs) | acquire p99 (µs) | max (ms) | fairness |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, runs in samples.items():
            lines.append(
                f"| {name} | {statistics.median(s.throughput for s in runs):,.0f} "
                f"| {statistics.median(s.p50_us for s in runs):,.0f} "
                f"| {statistics.median(s.p99_us for s in runs):,.0f} "
                f"| {statistics.median(s.max_ms for s in runs):,.1f} "
                f"| {statistics.median(s.fairness for s in runs):.2f} |"
            )
        # Each rpool subject against the peers (never against rpool's other).
        peers = [name for name in samples if not name.startswith("rpool")]
        if not peers:
            lines += ["", "No peer: their packages are not installed here."]
            continue
        for ours in (name for name in samples if name.startswith("rpool")):
            throughput = _ratio(samples, ours, "throughput", max, peers)
            p99 = _ratio(samples, ours, "p99_us", min, peers)
            fair = [
                name
                for name in peers
                if statistics.median(s.fairness for s in samples[name]) <= FAIR
            ]
            lines += [
                "",
                f"{ours}: goal, throughput ≥ the best peer's: {throughput:.2f}x "
                f"({'met' if throughput >= 1 else 'not met'}).",
                f"{ours}: goal, p99 acquire ≤ the best peer's: {p99:.2f}x "
                f"({'met' if p99 <= 1 else 'not met'}).",
            ]
            if fair and len(fair) < len(peers):
                fair_p99 = _ratio(samples, ours, "p99_us", min, fair)
                lines.append(
                    f"{ours}: among the peers with fairness ≤ {FAIR:g} ({', '.join(fair)}): "
                    f"p99 acquire {fair_p99:.2f}x ({'met' if fair_p99 <= 1 else 'not met'})."
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    settings, json_path = sample_settings.parse(__doc__, FULL, QUICK, argv)
    with server() as dsn:
        results = run(settings, dsn)
    print(render(results, settings))
    if json_path:
        json_path.write_text(json.dumps(record(results), indent=1) + "\n")


if __name__ == "__main__":
    main()
