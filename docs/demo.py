"""rpool demo: eight threads share a pool of four sqlite3 connections.

Run with `make demo` (or `python docs/demo.py` where rpool is installed).
Each worker takes a connection with the non-blocking `get()`, records an
order, and gives the connection back; when all four are busy, `get()` returns
None at once and the worker backs off briefly. One connection is broken on
purpose: its `reset()` says so, the pool discards it and, being Static,
creates a replacement. The stats are printed at the end.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rpool import Pool, Static


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
        waits = [0] * 8

        def worker(number: int) -> None:
            done = 0
            while done < 25:
                guard = pool.get()
                if guard is None:  # all four busy: get() did not wait
                    waits[number] += 1
                    time.sleep(0.001)
                    continue
                with guard as connection:
                    connection.raw.execute("insert into orders values (?, ?)", (number, done))
                    connection.raw.commit()
                    if number == 0 and done == 10:
                        connection.broken = True  # reset() will say so
                done += 1

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
    print(f"times a worker found all 4 busy and backed off: {sum(waits)}")
    print(
        f"stats: capacity={stats.capacity} idle={stats.idle} in_use={stats.in_use} "
        f"created={stats.created} discarded={stats.discarded} misses={stats.misses}"
    )
    print("the broken connection was discarded and replaced: created = 4 + discarded")
    assert rows == 200
    assert stats.capacity == 4
    assert stats.created == 4 + stats.discarded == 5
    assert stats.misses == sum(waits)


if __name__ == "__main__":
    main()
