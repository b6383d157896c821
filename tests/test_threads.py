"""Threaded stress: real threads, tiny switch interval, failures injected at random.

These tests look at the pool only from outside, as a user would: the live
resources each test resource counts for itself, and `stats()`. The
interleavings are the interpreter's, not chosen; the deterministic scheduler
tests (test_parallel.py, test_lockfree.py) choose them.
"""

from __future__ import annotations

import contextlib
import random
import sys
import threading
import time
from collections.abc import Iterator
from typing import Self

import pytest

from rpool import AutoScale, Pool, Static
from tests.conftest import record_checked


class Census:
    """Counts resources alive or being created, as the resources see it."""

    def __init__(self, seed: int) -> None:
        self.lock = threading.Lock()  # test bookkeeping only, not the pool's
        self.live = 0
        self.peak = 0
        self.random = random.Random(seed)
        self.failing = True

    def enter(self) -> None:
        with self.lock:
            self.live += 1
            self.peak = max(self.peak, self.live)

    def leave(self) -> None:
        with self.lock:
            self.live -= 1

    def chance(self, p: float) -> bool:
        with self.lock:
            return self.failing and self.random.random() < p


class Flaky:
    """Fails new() and reset() now and then; counts itself in the census."""

    def __init__(self, census: Census) -> None:
        self.census = census

    @classmethod
    def new(cls, context: Census) -> Self:
        context.enter()  # capacity is taken from the moment new() starts
        if context.chance(0.05):
            context.leave()
            raise RuntimeError("new failed")
        return cls(context)

    def reset(self) -> bool:
        if self.census.chance(0.02):
            raise RuntimeError("reset failed")
        return not self.census.chance(0.05)

    def close(self) -> None:
        self.census.leave()


@pytest.fixture(autouse=True)
def fast_switching() -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


# Snapshots of stats() the monitor must check while the clients run.
MIN_SNAPSHOTS = 200

MODES = [
    Static(4),
    AutoScale(initial=0, maximum=5, chunk_size=2),
    AutoScale(initial=1, maximum=6, chunk_size=0),
    AutoScale(initial=0, maximum=None, chunk_size=3),
]


@pytest.mark.parametrize("mode", MODES, ids=repr)
def test_capacity_never_exceeds_maximum_and_accounting_balances(
    mode: Static | AutoScale,
) -> None:
    census = Census(seed=1)
    pool = Pool(Flaky, mode, census)
    maximum = mode.count if isinstance(mode, Static) else mode.maximum
    stop = threading.Event()
    errors: list[BaseException] = []
    snapshots = [0]
    calls: list[int] = []  # each client's count, appended (atomic) when it ends

    def client() -> None:
        try:
            # At least 400 calls each, and on until the monitor has checked
            # MIN_SNAPSHOTS snapshots taken while the clients run. On 3.13t
            # stats() succeeds only in a lull (its deque.copy() retries while
            # another thread changes the deque, performance.md): with both
            # cores busy, 400,000 calls each once left it at 38 snapshots. So
            # after the first 400 calls a client makes lulls: every 32nd call
            # holds its guard for a millisecond, and the monitor sees the pool
            # with resources in use and the free list still.
            done = 0
            deadline = time.monotonic() + 60
            while done < 400 or (snapshots[0] < MIN_SNAPSHOTS and time.monotonic() < deadline):
                done += 1
                try:
                    guard = pool.get()
                except RuntimeError:
                    continue
                if guard is None:
                    continue
                if done > 400 and done % 32 == 0:
                    time.sleep(0.001)
                with contextlib.suppress(RuntimeError):
                    guard.release()
            calls.append(done)
        except BaseException as error:
            errors.append(error)

    def monitor() -> None:
        while not stop.is_set():
            s = pool.stats()
            if maximum is not None and s.capacity > maximum:
                errors.append(AssertionError(f"capacity {s.capacity} > {maximum}"))
            if min(s.idle, s.in_use, s.creating) < 0:
                errors.append(AssertionError(f"negative field in {s}"))
            snapshots[0] += 1

    threads = [threading.Thread(target=client) for _ in range(6)]
    watcher = threading.Thread(target=monitor)
    watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    watcher.join()
    assert errors == []
    assert snapshots[0] >= MIN_SNAPSHOTS
    if maximum is not None:
        assert census.peak <= maximum
    s = pool.stats()
    record_checked(
        "fault storms",
        calls=sum(calls),
        failed_new=s.failed,
        discarded=s.discarded,
        stats_checked=snapshots[0],
    )
    assert s.in_use == 0 and s.creating == 0
    assert s.capacity == s.idle == census.live
    if isinstance(mode, Static):
        # Slots whose replacement failed come back on demand: with failures
        # off, count gets succeed and the pool is whole again.
        census.failing = False
        held = [pool.get() for _ in range(mode.count)]
        assert all(g is not None for g in held)
        assert pool.stats().capacity == census.live == mode.count
        for guard in held:
            assert guard is not None
            guard.release()
    pool.close()
    assert census.live == 0


def test_static_pool_keeps_count_resources_through_failed_resets() -> None:
    census = Census(seed=2)
    pool = Pool(Flaky, Static(3), census)
    errors: list[BaseException] = []

    def client() -> None:
        try:
            for _ in range(300):
                # new() may fail where get() recreates a slot on demand.
                with contextlib.suppress(RuntimeError):
                    guard = pool.get()
                    if guard is not None:
                        guard.release()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    s = pool.stats()
    assert s.discarded > 0  # the failures did happen
    assert 3 - s.failed <= s.capacity <= 3
    assert s.capacity == census.live
