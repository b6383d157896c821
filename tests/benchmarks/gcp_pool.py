"""`generic-connection-pool`'s threading `ConnectionPool`, with a fake connection.

Its connection manager's `on_release` callback is where rpool calls `reset()`.
"""

from __future__ import annotations

from itertools import repeat
from typing import ClassVar

# generic-connection-pool ships its own types, but only `make bench`'s
# environment installs it: where mypy runs without it, the import is untyped.
from generic_connection_pool.threading import (  # type: ignore[import-not-found, unused-ignore]
    BaseConnectionManager,
    ConnectionPool,
)

from .resources import FakeConnection
from .subject import BenchmarkError, Subject

__all__ = ["GenericConnectionPool"]

#: The pool serves connections per endpoint; the benchmark uses one.
ENDPOINT = "bench"


class _Manager(BaseConnectionManager[str, FakeConnection]):  # type: ignore[misc, unused-ignore]  # untyped without the package
    """Creates, resets (on release) and disposes of fake connections."""

    def __init__(self, resource: type[FakeConnection]) -> None:
        self._resource = resource

    def create(self, endpoint: str, timeout: float | None = None) -> FakeConnection:
        return self._resource.new(None)

    def dispose(self, endpoint: str, conn: FakeConnection, timeout: float | None = None) -> None:
        conn.close()

    def on_release(self, endpoint: str, conn: FakeConnection) -> None:
        conn.reset()


class GenericConnectionPool(Subject):
    """`ConnectionPool(min_idle=max_size=capacity)`; a miss is `acquire(timeout=0)` timing out."""

    name: ClassVar[str] = "generic-connection-pool"

    def __init__(
        self,
        capacity: int,
        resource: type[FakeConnection] = FakeConnection,
        *,
        prefill: bool = True,
    ) -> None:
        super().__init__(capacity, resource, prefill=prefill)
        self._pool: ConnectionPool[str, FakeConnection] = ConnectionPool(
            _Manager(resource), min_idle=capacity, max_size=capacity, total_max_size=capacity
        )
        self._held: list[FakeConnection] = []
        if prefill:
            self.take_all()
            self.give_back_all()

    def round_trips(self, n: int) -> None:
        acquire, release = self._pool.acquire, self._pool.release
        for _ in repeat(None, n):
            release(acquire(ENDPOINT), ENDPOINT)

    def with_round_trips(self, n: int) -> None:
        connection = self._pool.connection
        for _ in repeat(None, n):
            with connection(ENDPOINT):
                pass

    def misses(self, n: int) -> None:
        acquire = self._pool.acquire
        for _ in repeat(None, n):
            try:
                acquire(ENDPOINT, timeout=0)
            except TimeoutError:
                continue
            raise BenchmarkError("generic-connection-pool: not exhausted")

    def take_all(self) -> None:
        acquire, hold = self._pool.acquire, self._held.append
        for _ in repeat(None, self.capacity):
            hold(acquire(ENDPOINT))

    def give_back_all(self) -> None:
        for connection in self._held:
            self._pool.release(connection, ENDPOINT)
        self._held.clear()
