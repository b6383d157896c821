"""AsyncPool's lifecycle where it differs from Pool's: waiting tasks, the maintainer task, the loop.

The behaviours both shells share run on each in tests/test_lifecycle.py,
tests/test_leaks.py (tests/shells.py); cancellation at every await and an
exception at every line of these paths are tests/test_async_pool.py's. Here:
the capacity an expiry, a failed check or a resize frees goes to a waiting
task; `maintain_every` is a task on the pool's loop, which `close()` ends;
`resize()` awaits a debt payment in progress instead of failing.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from rpool import AsyncPool, AsyncPoolGuard, AutoScale, Static

from .resources import Boom, Script
from .shells import AsyncRes


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(body())  # type: ignore[arg-type]


async def waiting(pool: AsyncPool[Script, AsyncRes]) -> asyncio.Task[AsyncPoolGuard[AsyncRes]]:
    """A task parked in `acquire()`, once it is queued."""

    async def acquire() -> AsyncPoolGuard[AsyncRes]:
        guard: AsyncPoolGuard[AsyncRes] = await pool.acquire(timeout=10.0)
        return guard

    task = asyncio.create_task(acquire())
    while not pool._waiters:
        await asyncio.sleep(0)
    return task


def test_an_expired_resource_given_back_serves_a_waiting_task() -> None:
    async def body() -> None:
        clock = Clock()
        async with AsyncPool(
            AsyncRes, Static(1), Script(), max_lifetime=5.0, lifetime_jitter=0.0, clock=clock
        ) as pool:
            guard = await pool.get()
            assert guard is not None
            old = guard.resource
            task = await waiting(pool)
            clock.now = 6.0
            await guard.release()  # expired: discarded, replaced, the replacement to the waiter
            served = await task
            assert served.resource is not old and old.closed and not served.resource.closed
            assert pool.stats().expired == 1
            # The waiter's guard was vetted by the head's take: it expires at release too.
            clock.now = 20.0
            fresh = served.resource
            await served.release()
            assert fresh.closed and pool.stats().expired == 2

    run(body)


def test_a_failed_checks_capacity_serves_a_waiting_task() -> None:
    dead: set[int] = set()

    async def check(resource: AsyncRes) -> bool:
        await asyncio.sleep(0)
        return resource.id not in dead

    async def body() -> None:
        async with AsyncPool(AsyncRes, AutoScale(1, 1), Script(), check=check) as pool:
            guard = await pool.get()
            assert guard is not None
            task = await waiting(pool)
            dead.add(guard.resource.id)
            await guard.release()  # idle; the head checks it, discards it, makes its own
            served = await task
            assert served.resource.id not in dead and pool.stats().checks_failed == 1
            await served.release()

    run(body)


def test_a_resize_that_raises_the_bound_serves_a_waiting_task() -> None:
    async def body() -> None:
        async with AsyncPool(AsyncRes, Static(1), Script()) as pool:
            held = await pool.get()
            assert held is not None
            task = await waiting(pool)
            await pool.resize(2)
            served = await task
            assert served.resource is not held.resource
            assert pool.stats().capacity == 2

    run(body)


def test_a_raise_that_needs_too_many_spare_chunks_is_refused_and_changes_nothing() -> None:
    async def body() -> None:
        async with AsyncPool(AsyncRes, Static(1), Script()) as pool:
            before = pool.stats()
            with pytest.raises(ValueError, match="spare chunks"):
                await pool.resize(10**400)
            assert pool.stats() == before
            await pool.resize(3)  # the tokens were given back
            assert pool._mode == Static(3) and pool.stats().resizes == 1

    run(body)


def test_a_resize_awaits_a_debt_payment_in_progress_then_runs() -> None:
    async def body() -> None:
        async with AsyncPool(AsyncRes, Static(2), Script()) as pool:
            await pool.resize(3)
            assert pool._lifecycle is not None
            token = pool._lifecycle.paying.pop()  # as if a payment were awaiting a close()
            resizing = asyncio.create_task(pool.resize(1))
            for _ in range(5):
                await asyncio.sleep(0)
            assert not resizing.done()  # waiting, without blocking the loop
            pool._lifecycle.paying.append(token)
            await resizing
            assert pool.stats().capacity == 1 and pool.stats().resizes == 2

    run(body)


def test_a_second_resize_while_one_awaits_is_refused() -> None:
    async def body() -> None:
        script = Script()
        async with AsyncPool(AsyncRes, Static(3), script) as pool:
            first = asyncio.create_task(pool.resize(1))  # awaits the idle ones' close()
            await asyncio.sleep(0)
            with pytest.raises(RuntimeError, match="in progress"):
                await pool.resize(2)
            await first
            assert pool.stats().capacity == 1

    run(body)


def test_maintain_and_resize_belong_to_the_pools_loop() -> None:
    pool = AsyncPool(AsyncRes, AutoScale(0, 2), Script(), max_idle=1.0)
    asyncio.run(pool.open())
    for call in (pool.maintain, lambda: pool.resize(1)):
        with pytest.raises(RuntimeError, match="another event loop"):
            asyncio.run(call())


# The maintainer task ------------------------------------------------------------


def test_the_maintainer_is_a_task_on_the_pools_loop_and_close_ends_it() -> None:
    async def body() -> None:
        clock = Clock()
        threads = threading.active_count()
        pool = AsyncPool(
            AsyncRes, AutoScale(1, 3), Script(), max_idle=1.0, clock=clock, maintain_every=0.005
        )
        assert pool._lifecycle is not None and pool._lifecycle.maintainer is not None
        await pool.open()
        task = pool._lifecycle.maintainer.task  # type: ignore[union-attr]
        assert isinstance(task, asyncio.Task) and not task.done()
        assert task.get_loop() is asyncio.get_running_loop()
        assert threading.active_count() == threads, "no thread"
        guards = [await pool.get() for _ in range(3)]
        for guard in guards:
            assert guard is not None
            await guard.release()
        while not pool._lifecycle.idle_since:
            await asyncio.sleep(0.002)  # the maintainer saw the cold end idle
        clock.now = 5.0
        for _ in range(5000):
            if pool.stats().evicted == 2:
                break
            await asyncio.sleep(0.002)
        assert pool.stats().evicted == 2 and pool.stats().capacity == 1  # the floor stays
        await pool.close()
        await asyncio.sleep(0)
        assert task.done()

    run(body)


def test_close_cancels_a_maintainer_that_would_sleep_long() -> None:
    async def body() -> None:
        pool = AsyncPool(AsyncRes, AutoScale(0, 2), Script(), max_idle=1.0, maintain_every=600.0)
        await pool.open()
        task = pool._lifecycle.maintainer.task  # type: ignore[union-attr]
        assert task is not None
        await pool.close()
        await asyncio.sleep(0)
        assert task.cancelled()  # not 600 s later

    run(body)


def test_close_lets_a_maintainer_finish_the_maintain_it_awaits() -> None:
    """A maintainer awaiting a resource's close() is not cancelled there; it ends after."""

    async def body() -> None:
        clock = Clock()
        script = Script()
        pool = AsyncPool(
            AsyncRes, AutoScale(0, 2), script, max_idle=1.0, clock=clock, maintain_every=0.001
        )
        await pool.open()
        maintainer = pool._lifecycle.maintainer  # type: ignore[union-attr]
        guards = [await pool.get() for _ in range(2)]
        for guard in guards:
            assert guard is not None
            await guard.release()
        while not pool._lifecycle.idle_since:  # type: ignore[union-attr]
            await asyncio.sleep(0.001)
        clock.now = 5.0
        while not maintainer.busy:  # type: ignore[union-attr]
            await asyncio.sleep(0)
        await pool.close()  # while the maintainer awaits an eviction's close()
        task = maintainer.task  # type: ignore[union-attr]
        assert task is not None
        await asyncio.wait_for(task, 10.0)
        assert not task.cancelled()
        assert all(resource.closed for resource in script.made)
        stats = pool.stats()
        assert (stats.capacity, stats.idle, stats.in_use) == (0, 0, 0)

    run(body)


def test_a_collected_pool_ends_its_maintainer() -> None:
    async def body() -> None:
        pool = AsyncPool(AsyncRes, AutoScale(0, 2), Script(), max_idle=1.0, maintain_every=0.001)
        await pool.open()
        task = pool._lifecycle.maintainer.task  # type: ignore[union-attr]
        assert task is not None
        del pool
        gc.collect()
        await asyncio.wait_for(task, 10.0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        run(body)


def test_the_maintainer_reports_what_maintain_raises_and_goes_on() -> None:
    class FlakyClock(Clock):
        fails = 0
        reads = 0

        def __call__(self) -> float:
            self.reads += 1
            if self.fails:
                self.fails -= 1
                raise Boom("clock")
            return self.now

    async def body() -> list[Any]:
        clock = FlakyClock()
        pool = AsyncPool(
            AsyncRes, AutoScale(0, 2), Script(), max_idle=1.0, clock=clock, maintain_every=0.001
        )
        await pool.open()
        guard = await pool.get()
        assert guard is not None
        await guard.release()  # something idle: maintain() reads the clock
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            clock.fails = 1
            while clock.fails:
                await asyncio.sleep(0.001)
            reads = clock.reads
            while clock.reads <= reads + 2:  # it went on
                await asyncio.sleep(0.001)
        await pool.close()
        return caught

    caught = asyncio.run(body())
    assert any("maintain() raised Boom('clock')" in str(w.message) for w in caught)
