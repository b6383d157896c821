"""rpool itself, as the scenarios drive it."""

from __future__ import annotations

from itertools import repeat
from typing import ClassVar

from rpool import AutoScale, Pool, PoolGuard, ScaleMode, Static

from .resources import FakeConnection
from .subject import BenchmarkError, Subject

__all__ = ["RpoolPool"]


class RpoolPool(Subject):
    """`Pool(resource, Static(capacity))`, or an empty `AutoScale` for growth."""

    name: ClassVar[str] = "rpool"

    def __init__(
        self,
        capacity: int,
        resource: type[FakeConnection] = FakeConnection,
        *,
        prefill: bool = True,
    ) -> None:
        super().__init__(capacity, resource, prefill=prefill)
        mode: ScaleMode = Static(capacity) if prefill else AutoScale(maximum=capacity)
        self._pool = Pool(resource, mode)
        self._held: list[PoolGuard[FakeConnection]] = []

    def round_trips(self, n: int) -> None:
        get = self._pool.get
        for _ in repeat(None, n):
            guard = get()
            if guard is None:
                raise BenchmarkError("rpool: empty")
            guard.release()

    def with_round_trips(self, n: int) -> None:
        get = self._pool.get
        for _ in repeat(None, n):
            guard = get()
            if guard is None:
                raise BenchmarkError("rpool: empty")
            with guard:
                pass

    def misses(self, n: int) -> None:
        get = self._pool.get
        for _ in repeat(None, n):
            if get() is not None:
                raise BenchmarkError("rpool: not exhausted")

    def take_all(self) -> None:
        get, hold = self._pool.get, self._held.append
        for _ in repeat(None, self.capacity):
            guard = get()
            if guard is None:
                raise BenchmarkError("rpool: empty before its capacity")
            hold(guard)

    def give_back_all(self) -> None:
        for guard in self._held:
            guard.release()
        self._held.clear()
