"""The pools a Python user writes by hand: `queue.LifoQueue`, or a Lock and a list.

They are what rpool must beat to have a reason to exist. Both are correct as
lock-based pools go: `get()` never waits and returns None when the capacity is
all taken, `release()` resets outside the lock (so a slow reset delays only its
own thread). `LockedResetPool` is the same pool resetting *inside* its lock: it
stands for any thread that stops while it holds a pool's lock (a slow callback,
preemption, a page fault), which a lock-free pool has no equivalent of.
"""

from __future__ import annotations

import queue
import threading
from itertools import repeat
from typing import ClassVar

from .resources import FakeConnection
from .subject import BenchmarkError, Subject

__all__ = ["LifoQueueSubject", "LockListSubject", "LockedResetSubject"]


class LifoQueuePool:
    """Idle resources in a `queue.LifoQueue`; a Lock guards the creation count."""

    def __init__(self, resource: type[FakeConnection], capacity: int, prefill: bool) -> None:
        self._resource = resource
        self._capacity = capacity
        self._lock = threading.Lock()
        self._idle: queue.LifoQueue[FakeConnection] = queue.LifoQueue()
        self._created = capacity if prefill else 0
        for _ in range(self._created):
            self._idle.put_nowait(resource.new(None))

    def get(self) -> FakeConnection | None:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._created == self._capacity:
                return None
            self._created += 1
        return self._resource.new(None)

    def release(self, resource: FakeConnection) -> None:
        if resource.reset():
            self._idle.put_nowait(resource)
        else:
            with self._lock:
                self._created -= 1


class LockListPool:
    """Idle resources in a list; one `threading.Lock` guards the list and the count."""

    def __init__(self, resource: type[FakeConnection], capacity: int, prefill: bool) -> None:
        self._resource = resource
        self._capacity = capacity
        self._lock = threading.Lock()
        self._created = capacity if prefill else 0
        self._idle = [resource.new(None) for _ in range(self._created)]

    def get(self) -> FakeConnection | None:
        with self._lock:
            if self._idle:
                return self._idle.pop()
            if self._created == self._capacity:
                return None
            self._created += 1
        return self._resource.new(None)

    def release(self, resource: FakeConnection) -> None:
        if resource.reset():
            with self._lock:
                self._idle.append(resource)
        else:
            with self._lock:
                self._created -= 1


class LockedResetPool(LockListPool):
    """`LockListPool` whose `release()` runs the reset while holding the lock."""

    def release(self, resource: FakeConnection) -> None:
        with self._lock:
            if resource.reset():
                self._idle.append(resource)
            else:
                self._created -= 1


class _HandRolledSubject(Subject):
    """Drives a hand-rolled pool: `get()` gives a resource or None, `release(r)` takes it back."""

    pool_type: ClassVar[type[LifoQueuePool | LockListPool]]
    _pool: LifoQueuePool | LockListPool
    _held: list[FakeConnection]

    def __init__(
        self,
        capacity: int,
        resource: type[FakeConnection] = FakeConnection,
        *,
        prefill: bool = True,
    ) -> None:
        super().__init__(capacity, resource, prefill=prefill)
        self._held = []
        self._pool = self.pool_type(resource, capacity, prefill)

    def round_trips(self, n: int) -> None:
        get, release = self._pool.get, self._pool.release
        for _ in repeat(None, n):
            resource = get()
            if resource is None:
                raise BenchmarkError(f"{self.name}: empty")
            release(resource)

    def misses(self, n: int) -> None:
        get = self._pool.get
        for _ in repeat(None, n):
            if get() is not None:
                raise BenchmarkError(f"{self.name}: not exhausted")

    def take_all(self) -> None:
        get, hold = self._pool.get, self._held.append
        for _ in repeat(None, self.capacity):
            resource = get()
            if resource is None:
                raise BenchmarkError(f"{self.name}: empty before its capacity")
            hold(resource)

    def give_back_all(self) -> None:
        for resource in self._held:
            self._pool.release(resource)
        self._held.clear()


class LifoQueueSubject(_HandRolledSubject):
    name: ClassVar[str] = "queue.LifoQueue"
    pool_type = LifoQueuePool


class LockListSubject(_HandRolledSubject):
    name: ClassVar[str] = "Lock + list"
    pool_type = LockListPool


class LockedResetSubject(_HandRolledSubject):
    name: ClassVar[str] = "Lock + list, reset in lock"
    pool_type = LockedResetPool
