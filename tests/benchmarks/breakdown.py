"""Where rpool's round trip spends its time: a ladder of ever fuller pools.

Each rung is a complete get+release round trip in the same loop shape as the
subjects', adding one thing the pool must do to the rung before it, up to the
shape rpool has; the last rung is rpool itself. The difference between two
rungs is what that one thing costs. Sampling profilers cannot show this: a
round trip lasts a few hundred nanoseconds, less than their own overhead per
call.

The rungs are stand-ins with rpool's shape, not rpool: they skip the checks
that rpool's guarantees need (closed pool, grants, orphans), which is why the
gap between the last stand-in and rpool is the cost of those checks.
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Callable
from itertools import repeat
from typing import Protocol

from rpool import Pool, Static

from .resources import FakeConnection
from .subject import BenchmarkError

__all__ = ["RUNGS"]

_SIZE = 4


def _idle() -> deque[FakeConnection]:
    return deque(FakeConnection() for _ in range(_SIZE))


def _empty_loop() -> Callable[[int], None]:
    def loop(n: int) -> None:
        for _ in repeat(None, n):
            pass

    return loop


def _floor() -> Callable[[int], None]:
    free = _idle()

    def loop(n: int) -> None:
        pop, append = free.pop, free.append
        for _ in repeat(None, n):
            append(pop())

    return loop


class _Calls:
    """get() and release() as Python methods around the deque."""

    def __init__(self) -> None:
        self._free = _idle()

    def get(self) -> FakeConnection | None:
        return self._free.pop()

    def release(self, resource: FakeConnection) -> None:
        self._free.append(resource)


class _Resets(_Calls):
    """... and release() calls the resource's reset() and checks its answer."""

    def release(self, resource: FakeConnection) -> None:
        if resource.reset() is True:
            self._free.append(resource)


def _by_resource(pool: _Calls) -> Callable[[int], None]:
    def loop(n: int) -> None:
        get, release = pool.get, pool.release
        for _ in repeat(None, n):
            resource = get()
            if resource is None:
                raise BenchmarkError("empty")
            release(resource)

    return loop


class _Guard:
    """A guard as rpool builds one: a box (one-element list) claimed by list.pop()."""

    __slots__ = ("_box", "_pool")

    _pool: _Guarded
    _box: list[FakeConnection]

    def release(self) -> None:
        try:
            resource = self._box.pop()
        except IndexError:
            return
        self._pool._give_back(resource)


class _FinalizedGuard(_Guard):
    """... whose finalizer gives back the resource of a guard never released."""

    __slots__ = ()

    def __del__(self) -> None:
        try:
            box = self._box
        except AttributeError:
            return
        if box:
            self._pool._orphans.append(box.pop())
            warnings.warn("guard collected unreleased", ResourceWarning, stacklevel=1)


class _Guarded:
    """get() hands out a guard of `guard_type`; release goes through the pool's _give_back()."""

    def __init__(self, guard_type: type[_Guard]) -> None:
        self._free = _idle()
        self._orphans: deque[FakeConnection] = deque()
        self._guard_type = guard_type

    def get(self) -> _Guard | None:
        guard = self._guard_type()  # as rpool's get() makes it (Core._hold)
        guard._pool = self
        guard._box = [self._free.pop()]
        return guard

    def _give_back(self, resource: FakeConnection) -> None:
        if resource.reset() is True:
            self._free.append(resource)


class _Releasable(Protocol):
    def release(self) -> None: ...


def _by_guard(get: Callable[[], _Releasable | None]) -> Callable[[int], None]:
    def loop(n: int) -> None:
        for _ in repeat(None, n):
            guard = get()
            if guard is None:
                raise BenchmarkError("empty")
            guard.release()

    return loop


#: (what the rung adds, a maker of its loop), from the empty loop up to rpool.
RUNGS: tuple[tuple[str, Callable[[], Callable[[int], None]]], ...] = (
    ("empty loop", _empty_loop),
    ("deque pop + append (the floor)", _floor),
    ("+ get() and release() as Python methods", lambda: _by_resource(_Calls())),
    ("+ the resource's reset() on release", lambda: _by_resource(_Resets())),
    ("+ a guard per get(), claimed by list.pop()", lambda: _by_guard(_Guarded(_Guard).get)),
    ("+ the guard's finalizer (__del__)", lambda: _by_guard(_Guarded(_FinalizedGuard).get)),
    (
        "rpool: + closed, grant and orphan checks",
        lambda: _by_guard(Pool(FakeConnection, Static(_SIZE)).get),
    ),
)
