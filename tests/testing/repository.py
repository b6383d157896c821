"""A user's code, as docs/testing-your-code.md walks through it: users in sqlite3, over a pool.

`Connection.reset` comes in two versions: `ForgetfulConnection` has the bug
the page is about (it hands a connection back with a transaction still open),
`Connection` is the fix. tests/testing/test_repository.py finds the first
and passes the second; the page quotes this file, and a test checks that
every quoted block is still in it.
"""

from __future__ import annotations

import sqlite3
from typing import Self

from rpool import Pool


class ForgetfulConnection:
    """One connection to the application's database."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    @classmethod
    def new(cls, path: str) -> Self:
        db = sqlite3.connect(path, check_same_thread=False)
        db.execute("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT)")
        db.commit()
        return cls(db)

    def reset(self) -> bool:
        return True  # the connection is still open, so it can be reused

    def close(self) -> None:
        self.db.close()


class Connection(ForgetfulConnection):
    def reset(self) -> bool:
        if self.db.in_transaction:
            self.db.rollback()  # whatever the last user left uncommitted
        return True


class Users:
    """The application's repository of users."""

    def __init__(self, pool: Pool[str, ForgetfulConnection]) -> None:
        self.pool = pool

    def add(self, name: str) -> int:
        with self.pool.acquire(timeout=1.0) as conn:
            cursor = conn.db.execute("INSERT INTO users (name) VALUES (?)", (name,))
            if not name.strip():
                raise ValueError("a user needs a name")
            conn.db.commit()
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def count(self) -> int:
        with self.pool.acquire(timeout=1.0) as conn:
            (count,) = conn.db.execute("SELECT count(*) FROM users").fetchone()
            return int(count)
