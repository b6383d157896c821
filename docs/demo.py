"""rpool demo: eight threads share a pool of four sqlite3 connections.

Run with `make demo` (or `python docs/demo.py` where rpool is installed).
Each worker takes a connection with `acquire(timeout=...)`, records an order,
and gives the connection back; when all four are busy it waits its turn (the
oldest waiter is served first) instead of polling. One connection is broken
on purpose: its `reset()` says so, the pool discards it and, being Static,
creates a replacement, which goes to the oldest waiter. The stats, with the
wait figures, are printed at the end.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rpool import Pool, PoolStats, Static


@dataclass(frozen=True)
class Database:
    """The pool's context: where the database is. Shared, never changed."""

    path: Path


class Connection:
    """A pooled sqlite3 connection."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw
        self.broken = False

    @classmethod
    def new(cls, context: Database) -> Connection:
        # check_same_thread=False: a pooled connection moves between threads,
        # but the pool hands it to one thread at a time.
        return cls(sqlite3.connect(context.path, timeout=10, check_same_thread=False))

    def reset(self) -> bool:
        """Roll back whatever the last user left open; False if unusable."""
        if self.broken:
            return False
        self.raw.rollback()
        return True

    def close(self) -> None:
        self.raw.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        database = Database(Path(scratch) / "demo.sqlite3")
        setup = sqlite3.connect(database.path)
        setup.execute("create table orders (worker int, item int)")
        setup.close()

        pool = Pool(Connection, Static(count=4), database)

        def worker(number: int) -> None:
            for done in range(25):
                # Waits while all four are busy; PoolTimeout after 10 s.
                with pool.acquire(timeout=10.0) as connection:
                    connection.raw.execute("insert into orders values (?, ?)", (number, done))
                    connection.raw.commit()
                    if number == 0 and done == 10:
                        connection.broken = True  # reset() will say so

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started

        check = pool.get()
        assert check is not None
        with check as connection:
            rows = connection.raw.execute("select count(*) from orders").fetchone()[0]
        stats = pool.stats()
        pool.close()

    print(f"8 threads, 1 pool of 4 sqlite3 connections, {elapsed:.2f} s")
    print(f"orders written: {rows} (expected 200)")
    print(
        f"stats: capacity={stats.capacity} idle={stats.idle} in_use={stats.in_use} "
        f"created={stats.created} discarded={stats.discarded}"
    )
    print("the broken connection was discarded and replaced: created = 4 + discarded")
    print(
        f"waiting: {stats.waited} acquires found all 4 busy and waited their turn; "
        f"timeouts={stats.timeouts}, waiting now={stats.waiting}"
    )
    limits = PoolStats.WAIT_BOUNDS
    bounds = [f"<{bound * 1000:g} ms" for bound in limits] + [f">={limits[-1]:g} s"]
    print(
        "wait times: "
        + ", ".join(f"{b} {n}" for b, n in zip(bounds, stats.wait_histogram, strict=True) if n)
    )
    assert rows == 200
    assert stats.capacity == 4
    assert stats.created == 4 + stats.discarded == 5
    assert stats.timeouts == 0 and stats.waiting == 0
    assert sum(stats.wait_histogram) == stats.waited


if __name__ == "__main__":
    main()
