"""Waiting: `acquire()` and `acquire_async()` on the real code (issue #11).

docs/design.md ("Waiting") describes the waiter queue; these tests check what
it promises from outside, on real threads and on asyncio tasks (each event
loop in a thread of its own, as a server would run it), and look inside the
pool only at rest, to count what is idle and spare (`audit`):

- the API: a guard for `with`; `timeout=None` and infinity wait until served
  or closed; `timeout <= 0` tries once and raises `PoolTimeout` (a
  `PoolError` and a `TimeoutError`); a bad timeout raises before anything is
  taken; a closed pool raises `PoolClosedError`, and `close()` wakes every
  waiter at once;
- FIFO hand-off: waiters queued one at a time (each start waits until
  `stats().waiting` counts it) are served in arrival order, whatever becomes
  available (a release, a Static replacement, capacity freed by a failed
  `reset()` or `new()`), and a waiter handed capacity runs `new()` in its own
  thread; a later `get()` or `acquire(timeout=0)` gets nothing (no barging);
- no lost wake-ups: callers that wait with no timeout, round and round, all
  finish (a watchdog closes the pool and fails the test if they hang);
- leaving loses nothing: a parked task cancelled, a parked thread interrupted
  by a signal handler that raises, a head whose timeout fires while a
  release happens; afterwards the next waiter is served and `audit` finds
  every resource in exactly one place;
- threads and two event loops share a pool: a release anywhere wakes a
  waiter anywhere; a loop closed with its task queued does not break the pool;
- `stats()`: `waiting`, `waited`, `timeouts`, `wait_histogram` as
  `rpool._stats.PoolStats` documents them.

tests/test_waiting_stress.py mixes all of it at random for a few seconds.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import math
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, Self, TypeVar

import pytest

from rpool import (
    AutoScale,
    Pool,
    PoolClosedError,
    PoolError,
    PoolGuard,
    PoolStats,
    PoolTimeout,
    Static,
)
from rpool._waiters import WAIT_BOUNDS
from tests.conftest import record_checked

from .resources import Boom, Res, Script

T = TypeVar("T")
P = TypeVar("P", bound=Pool[Any, Any])

PROMPT = 2.0
"""Seconds within which something that should happen at once must have happened.

Only a failing test waits this long; a passing one takes microseconds to
milliseconds. Generous because the 2-core CI machine runs other jobs."""

WATCHDOG = 30.0
"""Seconds after which a run of round trips counts as hung (a lost wake-up)."""


# --- test resources ------------------------------------------------------------


@dataclass
class Scene(Script):
    """A Script whose `new()` can be held at a gate: `entered` is set once one is there."""

    gate: threading.Event | None = None
    entered: threading.Event = field(default_factory=threading.Event)


class Tracked(Res):
    """A `Res` that records the thread its `new()` ran in (held at a `Scene`'s gate first)."""

    thread: int

    @classmethod
    def new(cls, context: Script) -> Self:
        if isinstance(context, Scene) and context.gate is not None:
            context.entered.set()
            if not context.gate.wait(WATCHDOG):
                raise AssertionError("new() was held at its gate too long")
        resource = super().new(context)
        resource.thread = threading.get_ident()
        return resource


# --- calls running elsewhere ----------------------------------------------------


def made_in(resource: object) -> int:
    """The thread in which a `Tracked` resource's `new()` ran."""
    assert isinstance(resource, Tracked), resource
    return resource.thread


class Pending:
    """A call running in another thread or as a task; its outcome lands in `future`.

    `thread` is where the call runs (its `new()` runs there, if it makes one).
    """

    def __init__(
        self, future: Future[Any], thread: int, cancel: Callable[[], object] | None = None
    ) -> None:
        self.future = future
        self.thread = thread
        self._cancel = cancel

    def done(self) -> bool:
        return self.future.done()

    def outcome(self, timeout: float = PROMPT) -> Any:
        """What the call returned; raises what it raised; fails if it is still running."""
        done, _ = concurrent.futures.wait([self.future], timeout)
        if not done:
            raise AssertionError(f"the call is still running after {timeout} s")
        return self.future.result()

    def error(self, timeout: float = PROMPT) -> BaseException | None:
        """What the call raised (None if it returned); fails if it is still running."""
        done, _ = concurrent.futures.wait([self.future], timeout)
        if not done:
            raise AssertionError(f"the call is still running after {timeout} s")
        return self.future.exception()

    def cancel(self) -> None:
        """Cancel the task (from any thread); a thread's call cannot be cancelled."""
        assert self._cancel is not None, "only a task can be cancelled"
        self._cancel()


def in_thread(call: Callable[[], Any]) -> Pending:
    """Run `call()` in a new daemon thread (a hung one cannot keep pytest from exiting)."""
    future: Future[Any] = Future()

    def main() -> None:
        try:
            result = call()
        except BaseException as error:
            future.set_exception(error)
        else:
            future.set_result(result)

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    assert thread.ident is not None
    return Pending(future, thread.ident)


def _settle(future: Future[Any], task: asyncio.Task[Any]) -> None:
    """Copy a finished task's outcome into `future` (a cancelled one as CancelledError)."""
    if task.cancelled():
        future.set_exception(asyncio.CancelledError())
    elif (error := task.exception()) is not None:
        future.set_exception(error)
    else:
        future.set_result(task.result())


class LoopThread:
    """An asyncio event loop running in a thread of its own.

    Whatever reaches the loop's exception handler (an error in a callback, "a
    future attached to a different loop", ...) is kept in `errors`; `close()`
    fails if there is any.
    """

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.errors: list[dict[str, Any]] = []
        self.loop.set_exception_handler(lambda _loop, context: self.errors.append(context))
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()
        assert self.thread.ident is not None
        self.ident = self.thread.ident

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, function: Callable[[], T]) -> T:
        """Run `function()` in the loop's thread, between its callbacks; return its result."""
        future: Future[T] = Future()

        def main() -> None:
            try:
                future.set_result(function())
            except BaseException as error:
                future.set_exception(error)

        self.loop.call_soon_threadsafe(main)
        return future.result(PROMPT)

    def start(self, make: Callable[[], Coroutine[Any, Any, Any]]) -> Pending:
        """Run `make()` as a task of this loop. The outcome is kept even if a cancel comes late."""
        future: Future[Any] = Future()

        def create() -> asyncio.Task[Any]:
            task = self.loop.create_task(make())
            task.add_done_callback(lambda done: _settle(future, done))
            return task

        task = self.call(create)
        return Pending(future, self.ident, lambda: self.loop.call_soon_threadsafe(task.cancel))

    def close(self) -> None:
        """Cancel what still runs, stop the loop, join its thread, close it."""

        async def cancel_the_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(concurrent.futures.TimeoutError):
            asyncio.run_coroutine_threadsafe(cancel_the_rest(), self.loop).result(PROMPT)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(PROMPT)
        if not self.thread.is_alive():
            self.loop.close()


@contextlib.contextmanager
def running_loop(name: str) -> Iterator[LoopThread]:
    loop = LoopThread(name)
    try:
        yield loop
    finally:
        loop.close()
    assert not loop.errors, f"{name}'s exception handler saw: {loop.errors}"


@pytest.fixture
def loop_a() -> Iterator[LoopThread]:
    with running_loop("loop A") as loop:
        yield loop


@pytest.fixture
def loop_b() -> Iterator[LoopThread]:
    with running_loop("loop B") as loop:
        yield loop


class Driver:
    """Where a waiter runs: in a thread of its own, or as a task on an event loop's thread."""

    def __init__(self, loop: LoopThread | None) -> None:
        self.loop = loop

    def acquire(self, pool: Pool[Any, Any], timeout: float | None) -> Pending:
        if self.loop is None:
            return in_thread(lambda: pool.acquire(timeout))
        return self.loop.start(lambda: pool.acquire_async(timeout))

    def __repr__(self) -> str:
        return "thread" if self.loop is None else "task"


@pytest.fixture(params=["thread", "task"])
def driver(request: pytest.FixtureRequest, loop_a: LoopThread) -> Driver:
    return Driver(None if request.param == "thread" else loop_a)


class Closing(Protocol):
    def __call__(self, pool: P, /) -> P: ...


@pytest.fixture
def closing() -> Iterator[Closing]:
    """`closing(pool)` closes the pool when the test ends, waking any waiter it left."""
    pools: list[Pool[Any, Any]] = []

    def keep(pool: P) -> P:
        pools.append(pool)
        return pool

    yield keep
    for pool in pools:
        with contextlib.suppress(Exception):
            pool.close()


# --- waiting for things, and checking the pool at rest ---------------------------


def wait_for(condition: Callable[[], bool], what: str, timeout: float = PROMPT) -> None:
    ends = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > ends:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.0005)


def enqueue(pool: Pool[Any, Any], start: Callable[[], Pending]) -> Pending:
    """Start a waiter and return once `stats().waiting` counts it (so arrival order is known)."""
    before = pool.stats().waiting
    pending = start()
    wait_for(
        lambda: pool.stats().waiting > before or pending.done(),
        f"the waiter to queue up (waiting was {before})",
    )
    assert not pending.done(), f"it did not wait: {pending.future.exception()!r}"
    return pending


def parked(pool: Pool[Any, Any], start: Callable[[], Pending]) -> Pending:
    """Start a waiter and return once `stats().waited` counts it, or once it has finished.

    Weaker than `enqueue()` (the count comes just before the waiter queues),
    for waiters with short timeouts that may be gone before this thread looks.
    """
    before = pool.stats().waited
    pending = start()
    wait_for(lambda: pool.stats().waited > before or pending.done(), "the waiter to park")
    return pending


def maximum_of(pool: Pool[Any, Any]) -> int | None:
    mode = pool.mode
    return mode.count if isinstance(mode, Static) else mode.maximum


def audit(pool: Pool[Any, Any], script: Script, held: Iterable[Res] = ()) -> PoolStats:
    """At rest (no call in flight), check that nothing is lost or duplicated, and stats() adds up.

    Every resource `new()` made and nobody closed is in exactly one place:
    idle in the pool, or in `held` (the resources the test's callers hold);
    no waiter is queued, nothing is orphaned or being created; in a bounded
    pool every unit of capacity is a live resource or spare; and the counters
    agree with what the resources recorded. Looks at `_free` and `_orphans`,
    which is only meaningful at rest.
    """
    held = list(held)
    stats = pool.stats()
    free = list(pool._free)
    idle = [item for item in free if type(item) is not int]
    spare = sum(item for item in free if type(item) is int)
    live = [resource for resource in script.made if not resource.closed]
    assert stats.waiting == 0, f"a waiter is still queued: {stats}"
    assert not pool._orphans, f"orphans left: {list(pool._orphans)}"
    assert stats.creating == 0, stats
    assert stats.capacity == stats.idle + stats.in_use + stats.creating, stats
    assert (stats.idle, stats.in_use) == (len(idle), len(held)), (stats, idle, held)
    places = [id(resource) for resource in idle + held]
    assert len(set(places)) == len(places), f"a resource is in two places: {idle} {held}"
    assert set(places) == {id(resource) for resource in live}, (
        f"live {live}, but idle {idle} and held {held}"
    )
    assert stats.created == len(script.made), stats
    assert stats.discarded == len(script.closed), stats
    maximum = maximum_of(pool)
    if maximum is not None:
        assert spare + len(live) == maximum, f"capacity lost: {spare} spare, {len(live)} live"
        assert stats.capacity == len(live), stats
    assert sum(stats.wait_histogram) == stats.waited, stats
    return stats


def bucket(seconds: float) -> int:
    """The `wait_histogram` bucket of a wait of `seconds` (as `_waiters.waiting` counts it)."""
    return sum(seconds >= bound for bound in WAIT_BOUNDS)


class Holders:
    """Who holds which resource: a resource taken while someone holds it is a clash."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # test bookkeeping only, not the pool's
        self.by_resource: dict[int, str] = {}
        self.clashes: list[str] = []

    def take(self, resource: object, who: str) -> None:
        with self.lock:
            other = self.by_resource.get(id(resource))
            if other is not None:
                self.clashes.append(f"{resource!r} handed to {who} while {other} held it")
            self.by_resource[id(resource)] = who

    def give(self, resource: object, who: str) -> None:
        with self.lock:
            if self.by_resource.pop(id(resource), None) != who:
                self.clashes.append(f"{resource!r} given back by {who}, who did not hold it")


def finish_or_fail(
    pool: Pool[Any, Any], callers: list[Pending], watchdog: float, progress: object
) -> None:
    """Wait for every caller; if some hang, close the pool (which wakes them) and fail."""
    _, hung = concurrent.futures.wait([caller.future for caller in callers], watchdog)
    if hung:
        stats = pool.stats()
        pool.close()  # wakes every parked waiter with PoolClosedError
        concurrent.futures.wait([caller.future for caller in callers], PROMPT)
        pytest.fail(
            f"{len(hung)} of {len(callers)} callers still running after {watchdog} s "
            f"(a lost wake-up?); stats then: {stats}; progress: {progress}"
        )
    for caller in callers:
        caller.outcome()  # re-raises what a caller raised


# --- the API ----------------------------------------------------------------------


def test_acquire_returns_a_guard_for_with() -> None:
    script = Script()
    pool = Pool(Res, Static(1), script)
    guard = pool.acquire()
    assert isinstance(guard, PoolGuard)
    with guard as resource:
        assert resource is script.made[0]
        assert pool.stats().in_use == 1
    assert guard.released
    assert pool.stats().idle == 1

    async def main() -> None:
        with await pool.acquire_async(1.0) as resource:
            assert resource is script.made[0]
            assert pool.stats().in_use == 1

    asyncio.run(main())
    stats = audit(pool, script)
    assert (stats.waited, stats.timeouts, stats.misses) == (0, 0, 0)


@pytest.mark.parametrize("timeout", [None, math.inf], ids=["None", "inf"])
def test_no_timeout_or_infinity_waits_until_served(
    driver: Driver, closing: Closing, timeout: float | None
) -> None:
    script = Script()
    pool = closing(Pool(Res, Static(1), script))
    guard = pool.acquire()
    waiter = enqueue(pool, lambda: driver.acquire(pool, timeout))
    time.sleep(0.3)
    assert not waiter.done(), f"acquire({timeout}) gave up: {waiter.error()!r}"
    guard.release()
    served = waiter.outcome()
    assert served.resource is script.made[0]
    stats = audit(pool, script, [served.resource])
    assert (stats.waited, stats.timeouts) == (1, 0)
    served.release()


@pytest.mark.parametrize("timeout", [1e10, 1e300, 10**400], ids=["1e10", "1e300", "10**400"])
def test_a_huge_finite_timeout_waits_or_is_refused_up_front(
    driver: Driver, closing: Closing, timeout: float
) -> None:
    """A number of seconds too large for the platform either waits like None or is refused
    at once like NaN, before the caller is counted or queued; never an error from the park."""
    script = Script()
    pool = closing(Pool(Res, Static(1), script))
    guard = pool.acquire()
    before = pool.stats()
    waiter = driver.acquire(pool, timeout)
    wait_for(lambda: pool.stats().waiting == 1 or waiter.done(), "the waiter to queue up or fail")
    if waiter.done() and pool.stats().waited == before.waited:
        assert isinstance(waiter.error(), ValueError | OverflowError), waiter.error()
        assert pool.stats() == before
        return
    time.sleep(0.2)
    assert not waiter.done(), (
        f"acquire({timeout}) waited, then gave up: {waiter.error()!r}; stats: {pool.stats()}"
    )
    guard.release()
    served = waiter.outcome()
    assert served.resource is script.made[0]
    served.release()
    audit(pool, script)


class Seconds(float):
    """A float subclass: acquire()'s inline check passes only exact floats to the pool."""


@pytest.mark.parametrize("timeout", [0, 0.0, -0.0, -1, -math.inf, Seconds(-1.0)])
def test_a_timeout_of_zero_or_less_tries_once(timeout: float) -> None:
    script = Script()
    pool = Pool(Res, Static(1), script)
    guard = pool.acquire()
    with pytest.raises(PoolTimeout) as raised:
        pool.acquire(timeout)
    assert isinstance(raised.value, PoolError)
    assert isinstance(raised.value, TimeoutError)
    with pytest.raises(TimeoutError):
        asyncio.run(pool.acquire_async(timeout))
    stats = pool.stats()
    assert (stats.timeouts, stats.misses, stats.waited, stats.waiting) == (2, 2, 0, 0)
    assert stats.wait_histogram == (0,) * 7
    guard.release()
    # With a resource idle, the one try takes it.
    with pool.acquire(timeout) as resource:
        assert resource is script.made[0]

    async def main() -> None:
        with await pool.acquire_async(timeout) as resource:
            assert resource is script.made[0]

    asyncio.run(main())
    assert audit(pool, script).timeouts == 2


@pytest.mark.parametrize(
    ("timeout", "error"),
    [
        ("1", TypeError),
        (b"1", TypeError),
        (True, TypeError),
        (False, TypeError),
        (1j, TypeError),
        ([1.0], TypeError),
        (math.nan, ValueError),
        (-math.nan, ValueError),
        (Seconds("nan"), ValueError),
    ],
    ids=["str", "bytes", "True", "False", "complex", "list", "nan", "-nan", "float subclass nan"],
)
def test_a_bad_timeout_raises_a_clear_error_and_takes_nothing(timeout: Any, error: type) -> None:
    script = Script()
    pool = Pool(Res, Static(2), script)
    held = pool.get()
    assert held is not None
    idle = next(r for r in script.made if r is not held.resource)
    before = pool.stats()
    with pytest.raises(error, match="timeout"):
        pool.acquire(timeout)
    with pytest.raises(error, match="timeout"):
        asyncio.run(pool.acquire_async(timeout))
    assert pool.stats() == before
    again = pool.get()
    assert again is not None and again.resource is idle
    again.release()
    audit(pool, script, [held.resource])


@pytest.mark.parametrize("timeout", [None, 0, 1.0])
def test_acquire_on_a_closed_pool_raises_closed(driver: Driver, timeout: float | None) -> None:
    script = Script()
    pool = Pool(Res, Static(1), script)
    pool.close()
    with pytest.raises(PoolClosedError):
        driver.acquire(pool, timeout).outcome()
    stats = pool.stats()
    assert (stats.timeouts, stats.waited, stats.waiting) == (0, 0, 0)


def test_close_wakes_every_waiter_at_once(loop_a: LoopThread, loop_b: LoopThread) -> None:
    """Threads and tasks on two loops, all waiting with no timeout, raise as close() returns."""
    script = Script()
    pool = Pool(Res, Static(1), script)
    guard = pool.acquire()
    places = [Driver(None), Driver(loop_a), Driver(loop_b)]
    waiters = [enqueue(pool, partial(places[i % 3].acquire, pool, None)) for i in range(15)]
    closed_at = time.monotonic()
    pool.close()
    _, running = concurrent.futures.wait([w.future for w in waiters], PROMPT)
    took = time.monotonic() - closed_at
    assert not running, f"{len(running)} waiters still parked {PROMPT} s after close()"
    assert took < 1.0, f"the last waiter woke {took:.3f} s after close()"
    for waiter in waiters:
        assert isinstance(waiter.error(), PoolClosedError), waiter.error()
    stats = pool.stats()
    assert (stats.waiting, stats.waited, stats.timeouts) == (0, 15, 0)
    assert sum(stats.wait_histogram) == 15
    guard.release()  # given back to a closed pool: discarded
    assert script.closed == script.made


# --- FIFO hand-off ----------------------------------------------------------------


def test_waiters_are_served_in_arrival_order(loop_a: LoopThread, loop_b: LoopThread) -> None:
    """Threads and tasks of two loops, queued in a known order, get one release each, in order."""
    n = 9
    script = Script()
    pool = Pool(Res, Static(n), script)
    guards = [pool.acquire(0) for _ in range(n)]
    places = [Driver(None), Driver(loop_a), Driver(loop_b)]
    waiters = [enqueue(pool, partial(places[i % 3].acquire, pool, None)) for i in range(n)]
    for i, guard in enumerate(guards):
        resource = guard.resource
        guard.release()
        done, _ = concurrent.futures.wait(
            [w.future for w in waiters[i:]], PROMPT, concurrent.futures.FIRST_COMPLETED
        )
        served = [j for j, w in enumerate(waiters) if w.future in done]
        assert served == [i], f"release {i} served waiter(s) {served}, not waiter {i}"
        assert waiters[i].outcome().resource is resource
    audit(pool, script, [w.outcome().resource for w in waiters])


def test_tasks_are_served_in_arrival_order_by_releases_on_their_own_loop() -> None:
    """The same in one loop, where a ring sets the task's future directly (no other thread)."""

    async def main() -> None:
        n = 6
        script = Script()
        pool = Pool(Res, Static(n), script)
        guards = [pool.acquire(0) for _ in range(n)]
        tasks: list[asyncio.Task[PoolGuard[Res]]] = []
        for i in range(n):
            tasks.append(asyncio.ensure_future(pool.acquire_async(None)))
            for _ in range(1000):
                if pool.stats().waiting == i + 1:
                    break
                await asyncio.sleep(0)
            assert pool.stats().waiting == i + 1
        for i, guard in enumerate(guards):
            resource = guard.resource
            guard.release()
            done, _ = await asyncio.wait(
                tasks[i:], timeout=PROMPT, return_when=asyncio.FIRST_COMPLETED
            )
            served = [j for j, task in enumerate(tasks) if task in done]
            assert served == [i], f"release {i} served task(s) {served}, not task {i}"
            assert tasks[i].result().resource is resource
        audit(pool, script, [task.result().resource for task in tasks])

    asyncio.run(main())


def test_a_static_replacement_goes_to_the_oldest_waiter(driver: Driver, closing: Closing) -> None:
    script = Script()
    pool = closing(Pool(Tracked, Static(1), script))
    guard = pool.acquire()
    old = guard.resource
    first = enqueue(pool, lambda: driver.acquire(pool, None))
    second = enqueue(pool, lambda: driver.acquire(pool, None))
    script.reset_plan.append("false")
    guard.release()  # discards `old`; the replacement is made here, then handed on
    served = first.outcome()
    assert old.closed
    assert served.resource is script.made[1]
    assert made_in(served.resource) == threading.get_ident()  # Static replaces in the releaser
    assert not second.done() and pool.stats().waiting == 1
    served.release()
    assert second.outcome().resource is script.made[1]
    audit(pool, script, [script.made[1]])


@pytest.mark.parametrize("reset", ["false", "raise"])
def test_capacity_freed_by_a_failed_reset_goes_to_the_oldest_waiter_whose_new_makes_it(
    driver: Driver, closing: Closing, reset: str
) -> None:
    script = Script()
    pool = closing(Pool(Tracked, AutoScale(initial=1, maximum=1), script))
    guard = pool.acquire()
    first = enqueue(pool, lambda: driver.acquire(pool, None))
    second = enqueue(pool, lambda: driver.acquire(pool, None))
    script.reset_plan.append(reset)
    if reset == "raise":
        with pytest.raises(Boom):
            guard.release()
    else:
        guard.release()
    served = first.outcome()
    assert served.resource is script.made[1]
    assert made_in(served.resource) == first.thread != threading.get_ident(), (
        "the waiter handed spare capacity did not run new() in its own thread"
    )
    assert not second.done() and pool.stats().waiting == 1
    served.release()
    assert second.outcome().resource is script.made[1]
    stats = audit(pool, script, [script.made[1]])
    assert (stats.created, stats.discarded, stats.failed) == (2, 1, 0)


def test_capacity_freed_by_a_failed_replacement_goes_to_the_oldest_waiter(
    driver: Driver, closing: Closing
) -> None:
    script = Script()
    pool = closing(Pool(Tracked, Static(1), script))
    guard = pool.acquire()
    first = enqueue(pool, lambda: driver.acquire(pool, None))
    second = enqueue(pool, lambda: driver.acquire(pool, None))
    script.reset_plan.append("false")
    script.new_plan.append("raise")  # the replacement's new()
    with pytest.raises(Boom, match="new"):
        guard.release()
    served = first.outcome()
    assert served.resource is script.made[1]
    assert made_in(served.resource) == first.thread
    assert not second.done()
    served.release()
    second.outcome().release()
    stats = audit(pool, script)
    assert (stats.created, stats.discarded, stats.failed) == (2, 1, 1)


def test_capacity_freed_by_a_failed_growth_goes_to_the_oldest_waiter(
    driver: Driver, closing: Closing
) -> None:
    script = Scene(gate=threading.Event())
    pool = closing(Pool(Tracked, AutoScale(initial=0, maximum=1), script))
    grower = in_thread(pool.get)  # takes the only unit, then is held in new()
    assert script.entered.wait(PROMPT)
    first = enqueue(pool, lambda: driver.acquire(pool, None))
    second = enqueue(pool, lambda: driver.acquire(pool, None))
    script.new_plan.append("raise")
    assert script.gate is not None
    script.gate.set()
    assert isinstance(grower.error(), Boom)
    served = first.outcome()
    assert served.resource is script.made[0]
    assert made_in(served.resource) == first.thread != grower.thread
    assert not second.done()
    served.release()
    second.outcome().release()
    stats = audit(pool, script)
    assert (stats.created, stats.failed) == (1, 1)


def test_the_extra_resources_of_a_growth_go_to_the_waiters_in_order(
    driver: Driver, closing: Closing
) -> None:
    """A get() grows by a chunk of two while two callers wait: it keeps the last it makes,
    and the first, made idle while they wait, goes to the oldest of them."""
    script = Scene(gate=threading.Event())
    pool = closing(Pool(Tracked, AutoScale(initial=0, maximum=2, chunk_size=2), script))
    grower = in_thread(pool.get)  # takes the grant of two, then is held in its first new()
    assert script.entered.wait(PROMPT)
    first = enqueue(pool, lambda: driver.acquire(pool, None))
    second = enqueue(pool, lambda: driver.acquire(pool, None))
    assert script.gate is not None
    script.gate.set()
    grown = grower.outcome()
    assert grown is not None and grown.resource is script.made[1]
    served = first.outcome()
    assert served.resource is script.made[0]
    assert made_in(served.resource) == grower.thread  # made by the grower, handed on idle
    assert not second.done() and pool.stats().waiting == 1
    grown.release()
    assert second.outcome().resource is script.made[1]
    audit(pool, script, [script.made[0], script.made[1]])
    served.release()
    second.outcome().release()


def test_a_head_whose_new_fails_gets_the_error_and_the_next_waiter_the_capacity(
    driver: Driver, closing: Closing
) -> None:
    script = Script()
    pool = closing(Pool(Tracked, AutoScale(initial=1, maximum=1), script))
    guard = pool.acquire()
    first = enqueue(pool, lambda: driver.acquire(pool, None))
    second = enqueue(pool, lambda: driver.acquire(pool, None))
    script.reset_plan.append("false")  # the unit goes back as spare capacity
    script.new_plan.append("raise")  # and the first waiter's new() fails
    guard.release()
    assert isinstance(first.error(), Boom)
    served = second.outcome()
    assert served.resource is script.made[1]
    assert made_in(served.resource) == second.thread
    served.release()
    stats = audit(pool, script)
    assert (stats.created, stats.discarded, stats.failed, stats.waited) == (2, 1, 1, 2)


@pytest.mark.parametrize("item", ["resource", "grant"])
def test_no_barging_in_one_loop(item: str) -> None:
    """Released while a task waits: a get() or a try before that task runs gets nothing.

    Deterministic: the ring only schedules the task, which cannot run before
    this coroutine awaits, so whatever was released is in the free list when
    the late calls look.
    """

    async def main() -> None:
        script = Script()
        mode = Static(1) if item == "resource" else AutoScale(initial=1, maximum=1)
        pool = Pool(Res, mode, script)
        guard = pool.acquire()
        waiter = asyncio.ensure_future(pool.acquire_async(None))
        for _ in range(1000):
            if pool.stats().waiting:
                break
            await asyncio.sleep(0)
        if item == "grant":
            script.reset_plan.append("false")  # the unit goes back as a grant
        guard.release()
        assert pool.stats().idle + (item == "grant") == 1
        assert pool.get() is None
        with pytest.raises(PoolTimeout):
            pool.acquire(0)
        with pytest.raises(PoolTimeout):
            await pool.acquire_async(0)  # raises before its first await
        served = await asyncio.wait_for(waiter, PROMPT)
        assert served.resource is script.made[-1]
        stats = audit(pool, script, [served.resource])
        assert (stats.misses, stats.timeouts, stats.waited) == (4, 2, 1)
        served.release()

    asyncio.run(main())


def test_no_barging_from_threads(driver: Driver, closing: Closing) -> None:
    script = Script()
    pool = closing(Pool(Res, Static(1), script))
    guard = pool.acquire()
    waiter = enqueue(pool, lambda: driver.acquire(pool, None))
    resource = guard.resource
    guard.release()
    assert pool.get() is None
    with pytest.raises(PoolTimeout):
        pool.acquire(0)
    assert waiter.outcome().resource is resource


def test_a_waiter_behind_the_head_does_not_take_what_the_head_is_owed(
    loop_a: LoopThread, closing: Closing
) -> None:
    """The head (a task whose loop is busy) is rung but cannot run yet; the thread queued
    behind it reaches its deadline with the resource idle, and must time out, not take it."""
    script = Script()
    pool = closing(Pool(Res, Static(1), script))
    guard = pool.acquire()
    resource = guard.resource
    head = enqueue(pool, lambda: loop_a.start(lambda: pool.acquire_async(None)))
    behind = enqueue(pool, lambda: in_thread(lambda: pool.acquire(0.5)))
    unblock = threading.Event()
    loop_a.loop.call_soon_threadsafe(unblock.wait, PROMPT)  # loop A is busy until set
    guard.release()  # rings the head, which runs only once loop A is free
    try:
        assert isinstance(behind.error(), PoolTimeout), (
            f"the waiter behind the head got {behind.error() or behind.outcome()!r}"
        )
        assert pool.stats().idle == 1
    finally:
        unblock.set()
    assert head.outcome().resource is resource
    audit(pool, script, [resource])
    head.outcome().release()


# --- stats() ------------------------------------------------------------------------


def test_stats_count_waiting_waited_timeouts_and_the_histogram(loop_a: LoopThread) -> None:
    script = Script()
    pool = Pool(Res, Static(1), script)
    guard = pool.acquire()

    def counts() -> tuple[int, int, int, int, int]:
        s = pool.stats()
        return s.waiting, s.waited, s.timeouts, s.misses, sum(s.wait_histogram)

    with pytest.raises(PoolTimeout):
        pool.acquire(0)  # one try: a timeout and a miss, not a wait
    assert counts() == (0, 0, 1, 1, 0)
    parked = enqueue(pool, lambda: in_thread(lambda: pool.acquire(None)))
    assert counts() == (1, 1, 1, 2, 0)  # counted in the histogram only when it leaves
    started = time.monotonic()
    with pytest.raises(PoolTimeout):
        pool.acquire(0.15)  # parks behind the first, times out
    took = time.monotonic() - started
    assert counts() == (1, 2, 2, 3, 1)
    (index,) = [i for i, n in enumerate(pool.stats().wait_histogram) if n]
    assert bucket(0.15) <= index <= bucket(took)
    task = enqueue(pool, lambda: loop_a.start(lambda: pool.acquire_async(None)))
    assert counts() == (2, 3, 2, 4, 1)
    task.cancel()
    assert isinstance(task.error(), asyncio.CancelledError)
    assert counts() == (1, 3, 2, 4, 2)  # a cancelled wait is a wait, not a timeout
    guard.release()
    served = parked.outcome()
    assert counts() == (0, 3, 2, 4, 3)  # the head's own looks are not misses
    closed = enqueue(pool, lambda: in_thread(lambda: pool.acquire(None)))
    pool.close()
    assert isinstance(closed.error(), PoolClosedError)
    assert counts() == (0, 4, 2, 5, 4)
    served.release()


@pytest.mark.parametrize("delay", [0.02, 0.2])
def test_the_histogram_counts_a_wait_in_the_bucket_of_its_length(
    driver: Driver, closing: Closing, delay: float
) -> None:
    script = Script()
    pool = closing(Pool(Res, Static(1), script))
    guard = pool.acquire()
    started = time.monotonic()
    waiter = enqueue(pool, lambda: driver.acquire(pool, None))
    time.sleep(delay)
    guard.release()
    waiter.outcome().release()
    took = time.monotonic() - started
    histogram = pool.stats().wait_histogram
    (index,) = [i for i, n in enumerate(histogram) if n]
    assert bucket(delay) <= index <= bucket(took), (histogram, delay, took)


# --- no lost wake-ups -----------------------------------------------------------------


def round_trips_in_threads(
    pool: Pool[Any, Any], holders: Holders, threads: int, rounds: int, progress: list[int]
) -> list[Pending]:
    def worker(index: int) -> None:
        who = f"thread {index}"
        for _ in range(rounds):
            with pool.acquire(None) as resource:
                holders.take(resource, who)
                progress[index] += 1
                time.sleep(1e-4)  # long enough for others to find nothing and park
                holders.give(resource, who)

    return [in_thread(partial(worker, i)) for i in range(threads)]


def round_trips_on_a_loop(
    loop: LoopThread,
    pool: Pool[Any, Any],
    holders: Holders,
    tasks: int,
    rounds: int,
    progress: list[int],
    first: int,
) -> list[Pending]:
    async def worker(index: int) -> None:
        who = f"task {index}"
        for _ in range(rounds):
            with await pool.acquire_async(None) as resource:
                holders.take(resource, who)
                progress[index] += 1
                await asyncio.sleep(1e-4)
                holders.give(resource, who)

    return [loop.start(partial(worker, i)) for i in range(first, first + tasks)]


@pytest.mark.usefixtures("tiny_switch_interval")
@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_no_wakeup_is_lost_between_threads(count: int) -> None:
    """Twelve threads wait with no timeout, round after round: the run must end."""
    threads, rounds = 12, 150
    script = Script()
    pool = Pool(Res, Static(count), script)
    holders, progress = Holders(), [0] * threads
    callers = round_trips_in_threads(pool, holders, threads, rounds, progress)
    finish_or_fail(pool, callers, WATCHDOG, progress)
    assert not holders.clashes, holders.clashes
    stats = audit(pool, script)
    assert stats.created == count and stats.timeouts == 0
    assert stats.waited > 0, "nobody waited: the run tested nothing"
    record_checked(
        "waiting, no lost wake-up (threads)", round_trips=threads * rounds, waits=stats.waited
    )


@pytest.mark.usefixtures("tiny_switch_interval")
def test_no_wakeup_is_lost_between_threads_and_two_loops(
    loop_a: LoopThread, loop_b: LoopThread
) -> None:
    threads, tasks, rounds = 4, 4, 100
    script = Script()
    pool = Pool(Res, Static(2), script)
    holders, progress = Holders(), [0] * (threads + 2 * tasks)
    callers = round_trips_in_threads(pool, holders, threads, rounds, progress)
    callers += round_trips_on_a_loop(loop_a, pool, holders, tasks, rounds, progress, threads)
    callers += round_trips_on_a_loop(
        loop_b, pool, holders, tasks, rounds, progress, threads + tasks
    )
    finish_or_fail(pool, callers, WATCHDOG, progress)
    assert not holders.clashes, holders.clashes
    stats = audit(pool, script)
    assert sum(progress) == len(progress) * rounds
    assert stats.waited > 0, "nobody waited: the run tested nothing"
    record_checked(
        "waiting, no lost wake-up (threads and two loops)",
        round_trips=sum(progress),
        waits=stats.waited,
    )


# --- leaving the queue loses nothing ----------------------------------------------------


@pytest.mark.parametrize("when", ["rung", "parked"])
def test_a_cancelled_head_passes_the_resource_on(when: str) -> None:
    """A head task cancelled while parked, or rung but not yet run: the next is served."""

    async def main() -> None:
        script = Script()
        pool = Pool(Res, Static(1), script)
        guard = pool.acquire()
        first = asyncio.ensure_future(pool.acquire_async(None))
        await asyncio.sleep(0)
        second = asyncio.ensure_future(pool.acquire_async(None))
        await asyncio.sleep(0)
        assert pool.stats().waiting == 2
        if when == "rung":
            guard.release()  # rings `first`, which cannot run before we await
            first.cancel()
        else:
            first.cancel()
            await asyncio.sleep(0)
            guard.release()
        with pytest.raises(asyncio.CancelledError):
            await first
        served = await asyncio.wait_for(second, PROMPT)
        assert served.resource is script.made[0]
        stats = audit(pool, script, [served.resource])
        assert (stats.waited, stats.timeouts) == (2, 0)
        served.release()

    asyncio.run(main())


def test_a_task_timed_out_by_asyncio_leaves_the_queue() -> None:
    """`async with asyncio.timeout()` around a wait with no timeout: the task leaves the queue."""

    async def main() -> None:
        script = Script()
        pool = Pool(Res, Static(1), script)
        guard = pool.acquire()
        second: asyncio.Task[PoolGuard[Res]] | None = None
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                first = pool.acquire_async(None)
                second = asyncio.ensure_future(pool.acquire_async(None))
                await first  # queues before `second` starts
        assert second is not None
        assert pool.stats().waiting == 1
        guard.release()
        served = await asyncio.wait_for(second, PROMPT)
        stats = audit(pool, script, [served.resource])
        assert (stats.waited, stats.timeouts) == (2, 0)
        served.release()

    asyncio.run(main())


class Interrupt(BaseException):
    """What a signal handler raises in a parked thread: a KeyboardInterrupt of our own."""


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs POSIX signals")
@pytest.mark.parametrize("when", ["parked", "rung"])
def test_a_parked_thread_interrupted_by_a_signal_loses_nothing(when: str, closing: Closing) -> None:
    """The main thread parks as the head; a signal handler raises in it (after releasing,
    for "rung": the head was rung and is interrupted before it takes). The thread
    waiting behind it must be served, and nothing may be lost."""
    if threading.current_thread() is not threading.main_thread():
        # Justified: CPython runs signal handlers only in the main thread; pytest
        # runs tests there, so this guards only a runner that uses worker threads.
        pytest.skip("signal handlers run in the main thread")
    script = Script()
    pool = closing(Pool(Res, Static(1), script))
    guard = pool.acquire()
    resource = guard.resource

    def handler(signum: int, frame: object) -> None:
        if when == "rung":
            guard.release()
        raise Interrupt

    def behind() -> Pending:
        wait_for(lambda: pool.stats().waiting == 1, "the main thread to park")
        second = enqueue(pool, lambda: in_thread(lambda: pool.acquire(None)))
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGALRM)
        return second

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        helper = in_thread(behind)
        with pytest.raises(Interrupt):
            pool.acquire(None)
    finally:
        signal.signal(signal.SIGALRM, previous)
    second: Pending = helper.outcome()
    if when == "parked":
        assert not second.done()
        guard.release()
    served = second.outcome()
    assert served.resource is resource
    stats = audit(pool, script, [resource])
    assert (stats.waited, stats.timeouts) == (2, 0)
    served.release()


def test_a_head_timing_out_while_a_release_happens_loses_nothing(
    driver: Driver, closing: Closing
) -> None:
    """The head's 20 ms timeout and a release meet, round after round, within ±4 ms.

    Whether the head is served or times out, the thread waiting behind it must
    be served (at once, when the head times out), and nothing is lost.
    """
    script = Script()
    pool = closing(Pool(Res, Static(1), script))
    rng = random.Random(11)
    outcomes: Counter[str] = Counter()
    for _ in range(40):
        guard = pool.acquire(0)
        started = time.monotonic()
        # Not enqueue(): on a loaded machine the head may time out before this
        # thread sees it queued. Each parked caller counts in `waited` first.
        head = parked(pool, lambda: driver.acquire(pool, 0.02))
        second = parked(pool, lambda: in_thread(lambda: pool.acquire(None)))
        time.sleep(max(0.0, started + 0.02 + rng.uniform(-0.004, 0.004) - time.monotonic()))
        guard.release()
        error = head.error()
        if error is None:
            outcomes["head served"] += 1
            head.outcome().release()
        else:
            assert isinstance(error, PoolTimeout), error
            outcomes["head timed out"] += 1
        second.outcome().release()
    stats = audit(pool, script)
    assert stats.timeouts == outcomes["head timed out"]
    print(f"head timing out while released ({driver!r}): {dict(outcomes)}")
    record_checked(f"waiting, timeout meets release ({driver!r})", **outcomes)


def test_a_task_cancelled_at_random_moments_around_a_release_loses_nothing(
    loop_a: LoopThread, closing: Closing
) -> None:
    script = Script()
    pool = closing(Pool(Res, Static(1), script))
    rng = random.Random(12)
    outcomes: Counter[str] = Counter()
    for _ in range(40):
        guard = pool.acquire(0)
        head = enqueue(pool, lambda: loop_a.start(lambda: pool.acquire_async(None)))
        second = enqueue(pool, lambda: in_thread(lambda: pool.acquire(None)))
        steps = [guard.release, head.cancel]
        rng.shuffle(steps)
        for step in steps:
            time.sleep(rng.uniform(0, 0.001))
            step()
        error = head.error()
        if error is None:
            outcomes["head served"] += 1
            head.outcome().release()
        else:
            assert isinstance(error, asyncio.CancelledError), error
            outcomes["head cancelled"] += 1
        second.outcome().release()
    stats = audit(pool, script)
    assert (stats.timeouts, stats.waited) == (0, 80)
    print(f"task cancelled around a release: {dict(outcomes)}")
    record_checked("waiting, cancel meets release", **outcomes)


# --- threads and event loops share one pool --------------------------------------------

PLACES = ["thread", "loop A", "loop B"]


@pytest.mark.parametrize("waiter_in", PLACES)
@pytest.mark.parametrize("releaser_in", PLACES)
def test_a_release_anywhere_wakes_a_waiter_anywhere(
    loop_a: LoopThread,
    loop_b: LoopThread,
    closing: Closing,
    releaser_in: str,
    waiter_in: str,
) -> None:
    loops = {"thread": None, "loop A": loop_a, "loop B": loop_b}
    script = Script()
    pool = closing(Pool(Res, Static(1), script))
    guard = pool.acquire()
    resource = guard.resource
    waiter = enqueue(pool, lambda: Driver(loops[waiter_in]).acquire(pool, None))
    releaser = loops[releaser_in]
    if releaser is None:
        in_thread(guard.release).outcome()
    else:

        async def release() -> None:
            guard.release()

        releaser.start(release).outcome()
    assert waiter.outcome().resource is resource
    for loop in (loop_a, loop_b):
        assert not loop.errors, loop.errors
    audit(pool, script, [resource])
    waiter.outcome().release()


def park_a_task_and_close_its_loop(pool: Pool[Any, Any]) -> asyncio.Task[Any]:
    """Queue a task on a loop run in this thread, then close the loop without cancelling it."""
    loop = asyncio.new_event_loop()
    task = loop.create_task(pool.acquire_async(None))

    async def until_queued() -> None:
        while not pool.stats().waiting:
            await asyncio.sleep(0.001)

    loop.run_until_complete(asyncio.wait_for(until_queued(), PROMPT))
    loop.close()  # the task stays queued, and can never run again
    return task


@pytest.mark.parametrize("ring_from", ["another thread", "the loop's own thread"])
def test_a_loop_closed_with_its_task_queued_is_skipped(closing: Closing, ring_from: str) -> None:
    """A thread waiting behind a dead loop's task is served by a release, from any thread."""
    script = Script()
    pool = closing(Pool(Res, Static(1), script))
    guard = pool.acquire()
    resource = guard.resource
    dead = park_a_task_and_close_its_loop(pool)
    waiter = enqueue(pool, lambda: in_thread(lambda: pool.acquire(PROMPT)))
    if ring_from == "another thread":
        in_thread(guard.release).outcome()
    else:
        guard.release()  # this thread ran the closed loop
    error = waiter.error(2 * PROMPT)
    assert error is None, (
        f"the thread behind the closed loop's task was not served ({error!r}), "
        f"though the resource was idle: {pool.stats()}"
    )
    assert waiter.outcome().resource is resource
    waiter.outcome().release()
    del dead
    gc.collect()  # the dead task's coroutine is closed: its wait is counted in the histogram
    audit(pool, script)


def test_a_loop_closed_with_its_task_queued_does_not_starve_get_in_its_thread(
    closing: Closing,
) -> None:
    script = Script()
    pool = closing(Pool(Res, Static(1), script))
    guard = pool.acquire()
    dead = park_a_task_and_close_its_loop(pool)
    guard.release()
    got = [pool.get() for _ in range(3)]
    assert any(g is not None for g in got), (
        f"three get()s in the thread of the closed loop returned None with the resource "
        f"idle, the dead task still queued: {pool.stats()}"
    )
    del dead


def test_asyncio_run_ending_with_a_task_queued_leaves_the_queue() -> None:
    script = Script()
    pool = Pool(Res, Static(1), script)
    guard = pool.acquire()

    async def main() -> None:
        waiter = asyncio.ensure_future(pool.acquire_async(None))
        while not pool.stats().waiting:
            await asyncio.sleep(0.001)

        assert not waiter.done()

    asyncio.run(main())  # cancels the task still waiting before it closes the loop
    assert pool.stats().waiting == 0
    guard.release()
    with pool.acquire(0) as resource:
        assert resource is script.made[0]
    audit(pool, script)


# --- a guard collected while callers wait ---------------------------------------------


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_guard_collected_while_a_caller_waits_reaches_it(
    driver: Driver, closing: Closing
) -> None:
    """README: a guard garbage-collected unreleased gives its resource back. A caller
    waiting with no timeout must get it, with nothing else happening in the pool."""
    script = Script()
    pool = closing(Pool(Res, Static(1), script))
    guard: PoolGuard[Res] | None = pool.acquire()
    waiter = enqueue(pool, lambda: driver.acquire(pool, None))
    del guard
    gc.collect()
    done, _ = concurrent.futures.wait([waiter.future], PROMPT)
    assert done, (
        f"the caller waiting with no timeout still waits {PROMPT} s after the only "
        f"guard was collected: {pool.stats()}"
    )
    assert waiter.outcome().resource is script.made[0]
    waiter.outcome().release()
    audit(pool, script)


def test_an_unbounded_pool_never_parks() -> None:
    script = Script()
    pool = Pool(Res, AutoScale(maximum=None), script)
    guards = [pool.acquire(0) for _ in range(5)]
    stats = pool.stats()
    assert (stats.waited, stats.timeouts, stats.created) == (0, 0, 5)
    for guard in guards:
        guard.release()
    audit(pool, script)
