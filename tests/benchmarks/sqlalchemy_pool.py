"""SQLAlchemy's `QueuePool`, the pool behind most Python database code, with a fake connection.

`QueuePool` calls the connection's `rollback()` when it comes back (its
`reset_on_return`), which is where rpool calls `reset()`.
"""

from __future__ import annotations

from itertools import repeat
from typing import Any, ClassVar

# SQLAlchemy ships its own types, but only `make bench`'s environment installs
# it: where mypy runs without it, the import is untyped (hence the ignores).
from sqlalchemy.exc import TimeoutError as PoolTimeout  # type: ignore[import-not-found, unused-ignore]
from sqlalchemy.pool import QueuePool  # type: ignore[import-not-found, unused-ignore]

from .resources import FakeConnection
from .subject import BenchmarkError, Subject

__all__ = ["SQLAlchemyQueuePool"]


class SQLAlchemyQueuePool(Subject):
    """`QueuePool(pool_size=capacity, max_overflow=0, timeout=0)`: never waits, like rpool."""

    name: ClassVar[str] = "SQLAlchemy QueuePool"

    def __init__(
        self,
        capacity: int,
        resource: type[FakeConnection] = FakeConnection,
        *,
        prefill: bool = True,
    ) -> None:
        super().__init__(capacity, resource, prefill=prefill)

        # A DB-API connection in SQLAlchemy's types has cursor(), commit(), ...;
        # the fake has only what QueuePool calls, hence Any.
        def creator() -> Any:
            return resource.new(None)

        self._pool = QueuePool(creator, pool_size=capacity, max_overflow=0, timeout=0)
        # QueuePool starts empty and keeps what was given back: fill it so.
        self._held: list[Any] = []
        if prefill:
            self.take_all()
            self.give_back_all()

    def round_trips(self, n: int) -> None:
        connect = self._pool.connect
        for _ in repeat(None, n):
            connect().close()

    def with_round_trips(self, n: int) -> None:
        connect = self._pool.connect
        for _ in repeat(None, n):
            with connect():
                pass

    def misses(self, n: int) -> None:
        connect = self._pool.connect
        for _ in repeat(None, n):
            try:
                connect()
            except PoolTimeout:
                continue
            raise BenchmarkError("QueuePool: not exhausted")

    def take_all(self) -> None:
        connect, hold = self._pool.connect, self._held.append
        for _ in repeat(None, self.capacity):
            hold(connect())

    def give_back_all(self) -> None:
        for connection in self._held:
            connection.close()
        self._held.clear()
