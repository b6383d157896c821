"""What check on borrow, expiry and leak detection add to a round trip, beside the peers' pings.

    python -m tests.benchmarks.checks [--quick] [--repetitions N] [--no-postgres]

Issue 12: "With check on borrow, expiry and leak detection on: report the
added cost per round trip, side by side with the cost of psycopg_pool-style
checks or SQLAlchemy's `pool_pre_ping` on the same stand-in resource." Part
of `make bench` (run.py prints its tables); this command runs it alone.

One thread; a round trip is a hand-out and a give-back through each pool's
own API (`pool.get()` then `guard.release()`; QueuePool's `connect()` then
`close()`; psycopg_pool's `getconn()` then `putconn()`), on a pool of 4
resources made in advance, so that no round trip creates one. Three stand-in
resources, each in its own table, every subject of a table on the same one:

- *in-memory*: a DB-API-shaped object whose calls do nothing (`Stand`): the
  pools' own cost, with a check that costs a few method calls;
- *sqlite3*: an in-memory sqlite3 connection (`SqliteConn`), the check a
  real `SELECT 1` through the driver;
- *PostgreSQL*: psycopg connections to a throw-away server on 127.0.0.1
  (tests/pgcluster.py's, started here), where a check is a network round
  trip. Left out with `--no-postgres`, or where the server binaries,
  psycopg or psycopg_pool are missing.

The checks are the peers' own: `select_one` does what SQLAlchemy's
`pool_pre_ping` does through its dialect (`DefaultDialect.do_ping`: a
cursor, `execute("SELECT 1")`, `close()`); `psycopg_check` calls
`psycopg_pool.ConnectionPool.check_connection`, the check psycopg_pool
offers for its `check=` (switch to autocommit, `execute("")`, switch back),
and returns True. rpool runs them as its `check=`; QueuePool runs its ping
with `pre_ping=True`; psycopg_pool runs `check_connection` with
`check=ConnectionPool.check_connection`. psycopg_pool needs psycopg
connections, so it appears in the PostgreSQL table only; on the in-memory
stand-in its check runs inside rpool instead (the mechanism, not the pool).

A repetition times every subject of a table once, `rounds` round trips
each, in an order rotated from one repetition to the next, with the cyclic
collector paused. Reported per subject: the median over repetitions of ns
per round trip; its ratio to rpool without options (median of the
same-repetition ratios); and what it *adds* to its own pool without the
option (median of the same-repetition differences): the added cost per
round trip the issue asks for. Timings on a shared machine: the ratios and
differences are the figures to compare, not the nanoseconds.
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import statistics
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from time import perf_counter_ns
from typing import Any, Self

from rpool import Pool, Static
from tests.pgcluster import Cluster, server_binaries

__all__ = ["FULL", "QUICK", "Settings", "main", "render", "run"]

SIZE = 4
"""Resources per pool, made before timing."""

# Options of the rpool rows: none of them ever fires during a run (no
# resource lives an hour, none is held a minute), so each row times what the
# option costs when nothing is wrong, as the issue asks.
LIFETIME: dict[str, Any] = {"max_lifetime": 3600.0}
LEAKS: dict[str, Any] = {"leak_threshold": 60.0}


@dataclass(frozen=True)
class Settings:
    repetitions: int
    rounds: dict[str, int] = field(default_factory=dict)
    """Round trips per sample, by table; a check over TCP costs a hundred in-memory ones."""
    postgres: bool = True


FULL = Settings(7, {"in-memory": 20_000, "sqlite3": 10_000, "PostgreSQL": 1_000})
QUICK = Settings(3, {"in-memory": 5_000, "sqlite3": 2_000, "PostgreSQL": 300})


# The stand-in resources --------------------------------------------------------


class Cursor:
    """A cursor of `Stand`: executes nothing."""

    __slots__ = ()

    def execute(self, query: str) -> None:
        return None

    def close(self) -> None:
        return None


class Stand:
    """The in-memory stand-in: what the three pools call on a connection, doing nothing.

    rpool calls `new`, `reset` (which rolls back, as QueuePool does on
    return) and the check; QueuePool calls `rollback` and its ping's
    `cursor`; psycopg_pool's check uses `autocommit` and `execute`.
    """

    __slots__ = ("autocommit",)

    def __init__(self) -> None:
        self.autocommit = False

    @classmethod
    def new(cls, context: object) -> Self:
        return cls()

    def reset(self) -> bool:
        self.rollback()
        return True

    def rollback(self) -> None:
        return None

    def cursor(self) -> Cursor:
        return Cursor()

    def execute(self, query: str) -> None:
        return None

    def close(self) -> None:
        return None


class SqliteConn(sqlite3.Connection):
    """An in-memory sqlite3 connection that rpool can pool: `new` and `reset` added."""

    @classmethod
    def new(cls, context: object) -> SqliteConn:
        return sqlite3.connect(":memory:", factory=cls, check_same_thread=False)

    def reset(self) -> bool:
        self.rollback()
        return True


def select_one(connection: Any) -> bool:
    """SQLAlchemy's ping (`DefaultDialect.do_ping`), as an rpool check."""
    cursor = connection.cursor()
    try:
        cursor.execute("SELECT 1")
    finally:
        cursor.close()
    return True


def psycopg_check(connection: Any) -> bool:
    """psycopg_pool's `ConnectionPool.check_connection` as an rpool check: True, or it raises."""
    from psycopg_pool import ConnectionPool  # type: ignore[import-not-found, unused-ignore]

    ConnectionPool.check_connection(connection)
    return True


# Subjects: a loop of round trips per pool ------------------------------------------

Loop = Callable[[int], int]
"""Runs that many round trips; returns the nanoseconds they took."""


@dataclass(frozen=True)
class Row:
    name: str
    base: str | None
    """The row of the same pool without the option: what this row adds is measured against it."""
    loop: Loop


def rpool_loop(pool: Pool[Any, Any]) -> Loop:
    get = pool.get

    def run(rounds: int) -> int:
        began = perf_counter_ns()
        for _ in repeat(None, rounds):
            get().release()  # type: ignore[union-attr]
        return perf_counter_ns() - began

    return run


def queuepool_loop(
    creator: Callable[[], Any], dialect: Any, pre_ping: bool, stack: ExitStack
) -> Loop:
    """SQLAlchemy's QueuePool of SIZE, filled first (it starts empty and keeps what comes back)."""
    from sqlalchemy.pool import QueuePool  # type: ignore[import-not-found, unused-ignore]

    pool = QueuePool(
        creator, pool_size=SIZE, max_overflow=0, timeout=0, pre_ping=pre_ping, dialect=dialect
    )
    stack.callback(pool.dispose)
    held = [pool.connect() for _ in range(SIZE)]
    for connection in held:
        connection.close()
    connect = pool.connect

    def run(rounds: int) -> int:
        began = perf_counter_ns()
        for _ in repeat(None, rounds):
            connect().close()
        return perf_counter_ns() - began

    return run


def psycopg_pool_loop(dsn: str, check: Callable[[Any], None] | None, stack: ExitStack) -> Loop:
    """psycopg_pool's ConnectionPool of SIZE (its max_lifetime, 1 h by default, always on)."""
    from psycopg_pool import ConnectionPool  # type: ignore[import-not-found, unused-ignore]

    pool = ConnectionPool(dsn, min_size=SIZE, max_size=SIZE, timeout=5.0, check=check, open=True)
    stack.callback(pool.close)
    pool.wait(timeout=30.0)  # its workers open the connections in the background
    getconn, putconn = pool.getconn, pool.putconn

    def run(rounds: int) -> int:
        began = perf_counter_ns()
        for _ in repeat(None, rounds):
            putconn(getconn())
        return perf_counter_ns() - began

    return run


def rpool_rows(
    resource: Any, context: object, checks: Sequence[Callable[[Any], bool]], stack: ExitStack
) -> list[Row]:
    """rpool without options, with each check, each other option, and the first check with both."""

    def loop(**options: Any) -> Loop:
        pool = Pool(resource, Static(count=SIZE), context, **options)
        stack.callback(pool.close)
        return rpool_loop(pool)

    none = "rpool, no options"
    rows = [Row(none, None, loop())]
    rows += [Row(f"rpool, check={check.__name__}", none, loop(check=check)) for check in checks]
    rows.append(Row("rpool, max_lifetime", none, loop(**LIFETIME)))
    rows.append(Row("rpool, leak_threshold", none, loop(**LEAKS)))
    rows.append(
        Row(
            f"rpool, check={checks[0].__name__} + max_lifetime + leak_threshold",
            none,
            loop(check=checks[0], **LIFETIME, **LEAKS),
        )
    )
    return rows


def queuepool_rows(creator: Callable[[], Any], dialect: Any, stack: ExitStack) -> list[Row]:
    """QueuePool without and with `pre_ping`, pinging through `dialect`'s `do_ping`."""
    none = "SQLAlchemy QueuePool"
    return [
        Row(none, None, queuepool_loop(creator, dialect, False, stack)),
        Row(f"{none}, pool_pre_ping", none, queuepool_loop(creator, dialect, True, stack)),
    ]


def _installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class Table:
    name: str
    note: str
    rows: list[Row]


def in_memory(stack: ExitStack) -> Table:
    checks = [select_one, psycopg_check] if _installed("psycopg_pool") else [select_one]
    rows = rpool_rows(Stand, None, checks, stack)
    if _installed("sqlalchemy"):
        from sqlalchemy.engine.default import (  # type: ignore[import-not-found, unused-ignore]
            DefaultDialect,
        )

        rows += queuepool_rows(Stand, DefaultDialect(), stack)
    note = (
        "`Stand`, whose calls do nothing; psycopg_pool needs psycopg connections, so its check "
        "runs here inside rpool (`check=psycopg_check`), and psycopg_pool itself in the "
        "PostgreSQL table"
    )
    return Table("in-memory", note, rows)


def on_sqlite(stack: ExitStack) -> Table:
    rows = rpool_rows(SqliteConn, None, [select_one], stack)
    if _installed("sqlalchemy"):
        from sqlalchemy.dialects.sqlite.pysqlite import (  # type: ignore[import-not-found, unused-ignore]
            SQLiteDialect_pysqlite,
        )

        rows += queuepool_rows(lambda: SqliteConn.new(None), SQLiteDialect_pysqlite(), stack)
    note = "an in-memory `sqlite3` connection; `select_one` runs a real `SELECT 1`"
    return Table("sqlite3", note, rows)


def on_postgres(dsn: str, stack: ExitStack) -> Table:
    """The PostgreSQL table: rpool, psycopg_pool and QueuePool on psycopg connections to `dsn`."""
    import psycopg
    from psycopg.pq import TransactionStatus
    from psycopg_pool import ConnectionPool  # type: ignore[import-not-found, unused-ignore]
    from sqlalchemy.dialects.postgresql.psycopg import (  # type: ignore[import-not-found, unused-ignore]
        PGDialect_psycopg,
    )

    class PgResource(psycopg.Connection[Any]):
        """A psycopg connection rpool can pool, reset as tests/postgres.py's `PgConn` is."""

        @classmethod
        def new(cls, context: str) -> PgResource:
            return cls.connect(context)

        def reset(self) -> bool:
            if self.closed or self.broken:
                return False
            try:
                self.rollback()  # nothing is sent when no transaction is open
            except psycopg.OperationalError:
                return False
            return self.info.transaction_status == TransactionStatus.IDLE

    # Only psycopg_pool's check here: select_one, outside autocommit, would
    # open a transaction that the reset must then roll back (a second round
    # trip); SQLAlchemy's psycopg dialect switches to autocommit for its ping.
    rows = rpool_rows(PgResource, dsn, [psycopg_check], stack)
    none = "psycopg_pool ConnectionPool"
    for check in (None, ConnectionPool.check_connection):
        run = psycopg_pool_loop(dsn, check, stack)
        name = none if check is None else f"{none}, check=check_connection"
        rows.append(Row(name, None if check is None else none, run))
    rows += queuepool_rows(lambda: psycopg.connect(dsn), PGDialect_psycopg(), stack)
    note = (
        "psycopg connections to a throw-away server on 127.0.0.1 (tests/pgcluster.py's), "
        "where a check is a network round trip; psycopg_pool's own `max_lifetime` (1 h by "
        "default) is on in both of its rows"
    )
    return Table("PostgreSQL", note, rows)


@contextmanager
def postgres() -> Iterator[str | None]:
    """A throw-away server's DSN (tests/pgcluster.py), or None if it cannot be had here."""
    if not (_installed("psycopg_pool") and _installed("sqlalchemy") and _installed("psycopg")):
        yield None
        return
    binaries = server_binaries()
    if binaries is None:
        yield None
        return
    cluster = Cluster(binaries)
    cluster.start()
    try:
        yield cluster.dsn
    finally:
        cluster.stop()


# Measuring and reporting ----------------------------------------------------------


@contextmanager
def _collector_paused() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def measure(table: Table, repetitions: int, rounds: int) -> dict[str, list[float]]:
    """ns per round trip of each row, one sample per repetition, in rotated order."""
    samples: dict[str, list[float]] = {row.name: [] for row in table.rows}
    rows = table.rows
    for repetition in range(repetitions):
        shift = repetition % len(rows)
        for row in rows[shift:] + rows[:shift]:
            with _collector_paused():
                samples[row.name].append(row.loop(rounds) / rounds)
    return samples


def run(settings: Settings) -> dict[str, Any]:
    """Each table's samples: {table: {"note", "rounds", "bases", "samples"}}; progress to stderr."""
    results: dict[str, Any] = {}
    with ExitStack() as stack:
        dsn = stack.enter_context(postgres()) if settings.postgres else None
        tables = [in_memory(stack), on_sqlite(stack)]
        if dsn is not None:
            tables.append(on_postgres(dsn, stack))
        for table in tables:
            rounds = settings.rounds[table.name]
            print(f"checks: {table.name}, {len(table.rows)} subjects", file=sys.stderr)
            results[table.name] = {
                "note": table.note,
                "rounds": rounds,
                "bases": {row.name: row.base for row in table.rows},
                "samples": measure(table, settings.repetitions, rounds),
            }
    if "PostgreSQL" not in results:
        reason = "--no-postgres" if not settings.postgres else "no server binaries, psycopg_pool"
        results["PostgreSQL"] = {"left out": f"{reason} (or psycopg, SQLAlchemy) missing"}
    return results


def render(results: dict[str, Any], repetitions: int) -> str:
    """Markdown tables: median ns, ÷ rpool without options, and what each option adds."""
    lines = ["## Check on borrow, expiry and leak detection beside the peers' pings (issue 12)", ""]
    for name, table in results.items():
        if "left out" in table:
            lines += [f"#### {name}: left out ({table['left out']})", ""]
            continue
        samples, bases = table["samples"], table["bases"]
        reference = samples["rpool, no options"]
        lines += [
            f"#### {name}: {table['note']}",
            "",
            f"ns per round trip, medians of {repetitions} repetitions of {table['rounds']:,} "
            "round trips; ÷ and + are medians of same-repetition ratios and differences.",
            "",
            "| subject | ns/round trip | ÷ rpool, no options "
            "| + ns over the same pool without it |",
            "|---|---:|---:|---:|",
        ]
        for row, values in samples.items():
            ratio = statistics.median(v / r for v, r in zip(values, reference, strict=True))
            base = bases[row]
            added = ""
            if base is not None:
                pairs = zip(values, samples[base], strict=True)
                added = f"{statistics.median(v - b for v, b in pairs):,.0f}"
            lines.append(f"| {row} | {statistics.median(values):,.0f} | {ratio:.2f} | {added} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3 short repetitions")
    parser.add_argument("--repetitions", type=int, help="samples per subject (default 7, quick 3)")
    parser.add_argument("--no-postgres", action="store_true", help="leave the server's table out")
    arguments = parser.parse_args(argv)
    settings = QUICK if arguments.quick else FULL
    if arguments.repetitions is not None:
        settings = Settings(arguments.repetitions, settings.rounds, settings.postgres)
    if arguments.no_postgres:
        settings = Settings(settings.repetitions, settings.rounds, postgres=False)
    print(f"Python {sys.version.split()[0]}")
    print(render(run(settings), settings.repetitions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
