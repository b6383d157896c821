"""The waiting half of `acquire()`: how a thread or a task waits its turn.

Both are drivers of one step of the core, `_waiters.waiting` (the queue, the
head's take, the timeout, leaving); they differ in how they park and how
they make the user's calls: `wait` parks the thread on its `SimpleQueue` and
calls (`_drive.run`), `wait_async` parks the task on a future of its loop and
awaits (`_drive.run_async`). Which calls a waiting step yields depends on
the pool: a `Pool`'s head takes with plain calls of `new()` (in the waiting
thread, or on the task's loop), an `AsyncPool`'s head yields its awaitable
`new()` to the driver.
"""

from __future__ import annotations

import asyncio
import math
from functools import partial
from typing import TYPE_CHECKING, Any

from ._drive import run, run_async
from ._errors import PoolTimeout
from ._waiters import AsyncWaiter, Waiter, park_thread, ring, waiting

if TYPE_CHECKING:
    from ._core import Core

__all__ = ["until", "wait", "wait_async"]


def until(pool: Core[Any], timeout: float | None) -> float | None:
    """The instant (on `_clock`) a wait of `timeout` checked seconds ends; None: never.

    Raises:
        PoolTimeout: `timeout` has passed already (try-once: `timeout <= 0`).
    """
    ends = None if timeout is None or timeout == math.inf else pool._clock() + timeout
    if ends is not None and ends <= pool._clock():
        next(pool._timeouts)
        raise PoolTimeout(f"no resource available (pool: {pool!r})")
    return ends


def wait(pool: Core[Any], timeout: float | None) -> Any:
    """`acquire()` after `get()` found nothing: try-once fails, anything else waits.

    Raises:
        PoolTimeout, PoolClosedError, BaseException: as `Pool.acquire`.
    """
    ends = until(pool, timeout)
    waiter = pool._waiter_type()  # type: ignore[attr-defined]
    steps = waiting(pool, waiter, ends, partial(park_thread, waiter))
    try:
        return run(steps)
    except BaseException:
        _leave(pool, waiter)
        raise


async def wait_async(pool: Core[Any], timeout: float | None) -> Any:
    """`acquire()` for a task, after `get()` found nothing: parks the task, never the loop.

    Raises:
        PoolTimeout, PoolClosedError, BaseException: as `Pool.acquire`.
        asyncio.CancelledError: the task was cancelled; it left the queue and
            lost nothing.
    """
    ends = until(pool, timeout)
    waiter = AsyncWaiter(asyncio.get_running_loop())
    steps = waiting(pool, waiter, ends, waiter.park)
    try:
        return await run_async(steps)
    except BaseException:
        _leave(pool, waiter)
        raise


def _leave(pool: Core[Any], waiter: Waiter) -> None:
    """Leave and PassOn once more, after the waiting steps ended by an exception.

    An asynchronous exception at the first lines of the steps' `finally`
    (which runs with no exception in flight once the waiter is served), or
    just after its Enqueue, skips them: the entry would stay alive at the head
    for good, and every later caller would wait behind it.
    """
    waiter.alive = False
    if (pool._free or pool._orphans) and pool._waiters:
        ring(pool._waiters)
