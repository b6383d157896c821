"""The original Rust crate's tests, kept as behaviour this port must have."""

from __future__ import annotations

import threading

from rpool import AutoScale, Pool, PoolGuard, Static

from .resources import Plain


def test_static_pool_of_10_hands_out_exactly_10() -> None:
    pool = Pool(Plain, Static(10))
    held = [pool.get() for _ in range(10)]
    assert all(g is not None for g in held)
    assert pool.get() is None


def test_static_pool_of_10_serves_1000_cycles() -> None:
    pool = Pool(Plain, Static(10))
    for _ in range(1000):
        guard = pool.get()
        assert guard is not None
        guard.release()
    assert pool.stats().created == 10


def test_autoscale_chunk_1_unbounded_grows_one_by_one() -> None:
    pool = Pool(Plain, AutoScale(initial=0, maximum=None, chunk_size=1))
    held = [pool.get() for _ in range(100)]
    assert pool.stats().capacity == 100
    held.append(pool.get())
    assert held[-1] is not None


def test_autoscale_doubling_reaches_128_for_100_items() -> None:
    pool = Pool(Plain, AutoScale(initial=0, maximum=None, chunk_size=0))
    _held = [pool.get() for _ in range(100)]
    assert pool.stats().capacity == 128


def test_autoscale_maximum_10_stops_at_10() -> None:
    pool = Pool(Plain, AutoScale(initial=0, maximum=10, chunk_size=1))
    held = [pool.get() for _ in range(10)]
    assert all(g is not None for g in held)
    assert pool.stats().capacity == 10
    assert pool.get() is None


def run_threads(count: int, work: object) -> None:
    assert callable(work)
    start = threading.Barrier(count)
    failures: list[BaseException] = []

    def body() -> None:
        start.wait()
        try:
            work()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=body) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_100_threads_keep_10_each_from_a_static_pool_of_1000() -> None:
    pool = Pool(Plain, Static(1000))
    kept: list[PoolGuard[Plain]] = []

    def work() -> None:
        for _ in range(10):
            guard = pool.get()
            assert guard is not None
            kept.append(guard)

    run_threads(100, work)
    assert len({id(g.resource) for g in kept}) == 1000
    assert pool.get() is None
    s = pool.stats()
    assert (s.idle, s.in_use) == (0, 1000)


def test_100_threads_returning_leave_all_1000_idle() -> None:
    pool = Pool(Plain, Static(1000))

    def work() -> None:
        for _ in range(10):
            guard = pool.get()
            assert guard is not None
            guard.release()

    run_threads(100, work)
    s = pool.stats()
    assert (s.capacity, s.idle, s.in_use) == (1000, 1000, 0)


def test_1000_threads_take_110_each_from_an_unbounded_pool() -> None:
    pool = Pool(Plain, AutoScale(initial=0, maximum=None, chunk_size=1))
    kept: list[PoolGuard[Plain]] = []

    def work() -> None:
        for _ in range(110):
            guard = pool.get()
            assert guard is not None
            kept.append(guard)

    run_threads(1000, work)
    assert len(kept) == 110_000
    assert pool.stats().capacity == 110_000
