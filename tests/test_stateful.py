"""The real pool and the executable spec (tests/model.py), step for step.

A Hypothesis state machine runs random sequences of get, release (also twice),
release through garbage collection, and close against a real `Pool` and a
`Model`, with `new`, `reset` and `close` told to fail, raise or misbehave at
random. After every step it compares everything observable: the operation's
result or exception, the warnings, `stats()`, the free list and orphans item
for item (the model's variables), and which resources were closed. One machine
per shape: Static, bounded AutoScale by chunks, doubling, and unbounded.

The waiting machines add callers of `acquire_async(timeout)`: asyncio tasks on
one event loop whose clock is virtual (`VirtualLoop`), stepped after every
rule until nothing is left to run, so each run is one interleaving, the same
every time. The pool reads the same clock (`ClockedPool`, through the test
seam `_clock`), so a deadline passes only when a rule moves the clock on, and
a cancellation is a rule too: timeouts and cancellations are Hypothesis's
choices, never the wall clock's. After every step they also compare how each
waiter that finished ended (which resource, or which exception), the waiter
queue in arrival order, and the waiting statistics.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import warnings
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from rpool import AutoScale, Pool, PoolGuard, ScaleMode, Static
from rpool._poolable import Poolable
from tests import model
from tests.model import Model
from tests.resources import Boom, Res, Script

T = TypeVar("T")
C = TypeVar("C")
R = TypeVar("R", bound=Poolable[Any])

Outcome = tuple[object, ...]

NEW_PLAN = st.lists(st.sampled_from(["ok", "raise"]), max_size=3)
RESET_PLAN = st.lists(st.sampled_from(["ok", "false", "raise", "none"]), max_size=2)
CLOSE_PLAN = st.lists(st.sampled_from(["ok", "raise"]), max_size=2)


def describe(error: BaseException) -> Outcome:
    """An exception as the test compares it: type, and what a Boom came from."""
    if isinstance(error, BaseExceptionGroup):
        return ("group", *(describe(inner) for inner in error.exceptions))
    if isinstance(error, Boom):
        return ("Boom", str(error))
    return (type(error).__name__,)


def forget(error: BaseException | None) -> None:
    """Drop the tracebacks of `error` and of the exceptions it chains.

    A traceback keeps its frames alive, and a frame the guards its code held:
    an exception kept by a finished task, or in a reference cycle, would keep a
    guard alive after the test dropped it, and its finalizer would run at a
    random later moment instead of at once.
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        error.__traceback__ = None
        if isinstance(error, BaseExceptionGroup):
            for inner in error.exceptions:
                forget(inner)
        error = error.__cause__ or error.__context__


def outcome(
    call: Callable[[], T], pool: Pool[Script, Res] | None = None
) -> tuple[Outcome, T | None, list[type[Warning]]]:
    """Run `call`; return what it raised (or ("ok",)), its value, its warnings.

    Only warnings about `pool` count: a guard of another pool (an earlier
    example's) may be collected at any moment and warn too.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value: T | None = call()
            result: Outcome = ("ok",)
        except Exception as error:
            value, result = None, describe(error)
            forget(error)
    ours = [
        w.category for w in caught if not isinstance(w.source, PoolGuard) or w.source._pool is pool
    ]
    return result, value, ours


def bounded_autoscale(chunk: st.SearchStrategy[int]) -> st.SearchStrategy[ScaleMode]:
    def shape(initial: int) -> st.SearchStrategy[ScaleMode]:
        return st.builds(
            AutoScale,
            initial=st.just(initial),
            maximum=st.integers(max(initial, 1), 8),
            chunk_size=chunk,
        )

    return st.integers(0, 3).flatmap(shape)


class PoolAgainstModel(RuleBasedStateMachine):
    """Drives a `Pool[Script, Res]` and a `Model` with the same commands."""

    shapes: ClassVar[st.SearchStrategy[ScaleMode]]

    def __init__(self) -> None:
        super().__init__()
        self.guards: dict[int, PoolGuard[Res]] = {}
        self.released: list[PoolGuard[Res]] = []

    @initialize(data=st.data())
    def make_pool(self, data: st.DataObject) -> None:
        mode = data.draw(self.shapes, label="mode")
        self.script = Script()
        self.pool = self.create(mode)
        self.model = Model(mode, Script())
        self.prepare(data)

    def prepare(self, data: st.DataObject) -> None:
        """What a machine does first, once pool and model exist."""

    def create(self, mode: ScaleMode) -> Pool[Script, Res]:
        return Pool(Res, mode, self.script)

    def teardown(self) -> None:
        # Release what is still held, so that no guard of this example is
        # collected (and warns) during a later one. What the releases warn
        # about (an orphan adopted on the way) is not the test's concern.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for guard in self.guards.values():
                with contextlib.suppress(Exception):
                    guard.release()

    def plan(self, new: list[str], reset: list[str], close: list[str]) -> None:
        for script in (self.script, self.model.script):
            script.new_plan, script.reset_plan, script.close_plan = [*new], [*reset], [*close]

    def both(self, real: Callable[[], T], spec: Callable[[], object]) -> T | None:
        """Run one operation on both; they must agree on result and warnings."""
        got, value, warned = outcome(real, self.pool)
        self.model.warned = []
        expected, expected_value, _ = outcome(spec)
        assert got == expected, f"pool: {got}, model: {expected}"
        assert warned == self.model.warned, f"pool warned {warned}, model {self.model.warned}"
        if isinstance(value, PoolGuard):
            assert value.resource.id == expected_value
        else:
            assert value == expected_value
        # Both asked their callbacks the same questions.
        for real_plan, spec_plan in (
            (self.script.new_plan, self.model.script.new_plan),
            (self.script.reset_plan, self.model.script.reset_plan),
            (self.script.close_plan, self.model.script.close_plan),
        ):
            assert len(real_plan) == len(spec_plan)
        return value

    def pick(self, data: st.DataObject) -> int:
        return data.draw(st.sampled_from(sorted(self.guards)), label="resource")

    @rule(new=NEW_PLAN, reset=RESET_PLAN, close=CLOSE_PLAN)
    def get(self, new: list[str], reset: list[str], close: list[str]) -> None:
        self.plan(new, reset, close)
        guard = self.both(self.pool.get, self.model.get)
        if isinstance(guard, PoolGuard):
            self.guards[guard.resource.id] = guard

    @precondition(lambda self: self.guards)
    @rule(data=st.data(), new=NEW_PLAN, reset=RESET_PLAN, close=CLOSE_PLAN)
    def release(
        self, data: st.DataObject, new: list[str], reset: list[str], close: list[str]
    ) -> None:
        resource = self.pick(data)
        guard = self.guards.pop(resource)
        self.plan(new, reset, close)
        self.both(guard.release, lambda: self.model.release(resource))
        assert guard.released
        self.released.append(guard)

    @precondition(lambda self: self.released)
    @rule(data=st.data())
    def release_again(self, data: st.DataObject) -> None:
        """A second release of the same guard does nothing at all."""
        guard = data.draw(st.sampled_from(self.released), label="released")
        self.plan([], [], [])
        self.both(guard.release, lambda: None)

    @precondition(lambda self: self.guards)
    @rule(data=st.data())
    def drop(self, data: st.DataObject) -> None:
        """The guard is garbage-collected unreleased (CPython frees it at once)."""
        resource = self.pick(data)
        self.plan([], [], [])

        def collect() -> None:
            guard = self.guards.pop(resource)
            assert not guard.released
            del guard

        self.both(collect, lambda: self.model.drop(resource))

    @rule(close=CLOSE_PLAN)
    def close(self, close: list[str]) -> None:
        self.plan([], [], close)
        self.both(self.pool.close, self.model.close)

    @invariant()
    def stats_agree(self) -> None:
        if hasattr(self, "pool"):
            assert self.pool.stats() == self.model.stats()

    @invariant()
    def variables_agree(self) -> None:
        """free, orphans and closed are the model's, item for item."""
        if not hasattr(self, "pool"):
            return
        free = [model.Grant(item) if isinstance(item, int) else item.id for item in self.pool._free]
        assert free == list(self.model.state.free)
        # A collected guard's resource waits in a one-element list.
        assert [box[0].id for box in self.pool._orphans] == list(self.model.state.orphans)
        assert self.pool.closed == self.model.state.closed
        self.model.check()

    @invariant()
    def closed_resources_are_the_discarded_ones(self) -> None:
        if not hasattr(self, "pool"):
            return
        closed = {r.id for r in self.script.closed}
        assert closed == set(range(self.model.created)) - self.model.alive
        assert {r.id for r in self.script.made} == set(range(self.model.created))


class StaticMachine(PoolAgainstModel):
    shapes = st.builds(Static, count=st.integers(1, 4))


class ChunkedMachine(PoolAgainstModel):
    shapes = bounded_autoscale(st.integers(1, 3))


class DoublingMachine(PoolAgainstModel):
    shapes = bounded_autoscale(st.just(0))


class UnboundedMachine(PoolAgainstModel):
    shapes = st.builds(AutoScale, initial=st.integers(0, 3), chunk_size=st.integers(0, 3))


# --- lifecycle -----------------------------------------------------------------------

LIFETIMES = st.sampled_from([None, 1.0, 4.0])
IDLE_TIMES = st.sampled_from([1.0, 4.0, None])


class LifecycleMachine(PoolAgainstModel):
    """Max lifetime and idle eviction on a clock the rules move (no jitter: exact deadlines).

    The pool's `clock` and the model's `now` are one number, moved by
    `advance`; `maintain` is a rule too. Every step compares, besides the
    usual, the `expired` and `evicted` counters (in `stats()`).
    """

    max_idle_allowed: ClassVar[bool] = True

    def prepare(self, data: st.DataObject) -> None:
        lifetime = data.draw(LIFETIMES, label="max_lifetime")
        idle = data.draw(IDLE_TIMES, label="max_idle") if self.max_idle_allowed else None
        checked = data.draw(st.booleans(), label="check")
        recheck_after = data.draw(st.sampled_from([0.0, 2.0]), label="recheck_after")
        if lifetime is None and idle is None and not checked:
            lifetime = 1.0
        self.model.max_lifetime, self.model.max_idle = lifetime, idle
        # Resources (by number) whose check fails from now on: the `spoil` rule's.
        self.spoiled: set[int] = set()
        check = (lambda number: number not in self.spoiled) if checked else None
        self.model.check_resource, self.model.recheck_after = check, recheck_after
        self.script = Script()  # the pool make_pool() made is dropped, and its script
        self.pool = Pool(
            Res,
            self.model.mode,
            self.script,
            max_lifetime=lifetime,
            lifetime_jitter=0.0,
            max_idle=idle,
            clock=lambda: self.model.now,
            check=None if check is None else (lambda resource: check(resource.id)),
            recheck_after=recheck_after,
        )
        # The model made its initial resources at time 0 without deadlines.
        for resource in self.model.alive:
            if lifetime is not None:
                self.model.deadlines[resource] = lifetime

    @rule(count=st.integers(2, 4))
    def burst(self, count: int) -> None:
        """Take `count` resources, then give them all back: the pool grows, then idles."""
        taken = []
        for _ in range(count):
            self.plan([], [], [])
            guard = self.both(self.pool.get, self.model.get)
            if isinstance(guard, PoolGuard):
                taken.append(guard)
        for guard in taken:
            self.plan([], [], [])
            resource = guard.resource.id
            self.both(guard.release, lambda resource=resource: self.model.release(resource))  # type: ignore[misc]

    @rule(data=st.data())
    def spoil(self, data: st.DataObject) -> None:
        """A resource dies (its check fails from now on), idle or held."""
        if self.model.alive:
            self.spoiled.add(data.draw(st.sampled_from(sorted(self.model.alive)), label="spoil"))

    @rule(bound=st.integers(1, 6), close=CLOSE_PLAN)
    def resize(self, bound: int, close: list[str]) -> None:
        self.plan([], [], close)
        self.both(lambda: self.pool.resize(bound), lambda: self.model.resize(bound))

    @rule(seconds=st.sampled_from([0.5, 1.0, 3.0]))
    def advance(self, seconds: float) -> None:
        self.model.now += seconds

    @rule(close=CLOSE_PLAN)
    def maintain(self, close: list[str]) -> None:
        self.plan([], [], close)
        self.both(self.pool.maintain, self.model.maintain)

    @invariant()
    def nothing_held_is_discarded(self) -> None:
        if hasattr(self, "pool"):
            assert not any(guard.resource.closed for guard in self.guards.values())


class LifecycleStaticMachine(LifecycleMachine):
    shapes = st.builds(Static, count=st.integers(1, 3))
    max_idle_allowed = False


class LifecycleAutoScaleMachine(LifecycleMachine):
    shapes = bounded_autoscale(st.integers(0, 2))


# --- waiting -------------------------------------------------------------------------


class VirtualLoop(asyncio.SelectorEventLoop):
    """An event loop on a virtual clock, which the test steps until nothing is left to run.

    `time()` is `now`, which only the test moves on, so a waiter's deadline
    timer (`call_later`) fires when a rule says so. `settle()` runs one
    iteration of the loop at a time, and only while a callback is ready or a
    timer is due, so the loop never waits for anything: the order in which
    tasks run is the loop's own FIFO order, the same on every run.
    """

    # BaseEventLoop's own fields, read by settle() (CPython 3.11 to 3.13).
    _ready: deque[asyncio.Handle]
    _scheduled: list[asyncio.TimerHandle]
    _clock_resolution: float

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def time(self) -> float:
        return self.now

    def settle(self, limit: int = 10_000) -> None:
        """Run the loop until no callback is ready and no timer is due."""
        for _ in range(limit):
            scheduled = self._scheduled
            due = bool(scheduled) and scheduled[0].when() < self.now + self._clock_resolution
            if not self._ready and not due:
                return
            self.call_soon(self.stop)
            self.run_forever()  # one iteration: stop() is among the ready callbacks
        raise AssertionError(f"the event loop still had work after {limit} iterations")


class ClockedPool(Pool[C, R]):  # type: ignore[misc]  # Pool is final for users, not for tests
    """A `Pool` whose clock (the test seam `Pool._clock`) is set per instance."""

    __slots__ = ("_clock",)


QUEUED = "queued"
"""What starting a waiter gives when the caller waits (is queued)."""

# Dyadic numbers of seconds: the sums and differences the pool and the model
# compute with them are exact, so both see the same deadlines and waits.
TIMEOUTS = st.sampled_from(
    [None, math.inf, 0.0, -1.0, 2.0**-12, 2.0**-8, 2.0**-4, 0.5, 1.0, 4.0, 16.0]
)
STEPS = st.sampled_from([2.0**-14, 2.0**-9, 2.0**-6, 2.0**-3, 1.0, 8.0, 32.0])


def task_outcome(task: asyncio.Task[None]) -> Outcome:
    """How a finished waiter's task ended: ("ok",), or what it raised."""
    if task.cancelled():
        return ("CancelledError",)
    error = task.exception()
    forget(error)
    return ("ok",) if error is None else describe(error)


def model_outcome(result: int | BaseException) -> tuple[Outcome, int | None]:
    if isinstance(result, BaseException):
        return describe(result), None
    return ("ok",), result


class WaitingAgainstModel(PoolAgainstModel):
    """The machine above, plus waiters: `acquire_async` tasks, timeouts and cancellations."""

    def create(self, mode: ScaleMode) -> Pool[Script, Res]:
        self.loop = VirtualLoop()
        pool: ClockedPool[Script, Res] = ClockedPool(Res, mode, self.script)
        pool._clock = self.loop.time
        self.tasks: dict[int, asyncio.Task[None]] = {}
        """The waiters still queued, by number."""
        self.served: dict[int, PoolGuard[Res]] = {}
        """The guards waiters were served, until the machine takes them."""
        self.entries: dict[int, tuple[object, int]] = {}
        """The pool's waiter objects (by id, each kept alive here) and their numbers."""
        self.numbers = itertools.count()
        return pool

    def prepare(self, data: st.DataObject) -> None:
        """Take a few resources first, so that callers often have to wait."""
        for _ in range(data.draw(st.integers(0, 4), label="taken first")):
            self.get([], [], [])

    def teardown(self) -> None:
        if hasattr(self, "loop"):
            for task in self.tasks.values():
                task.cancel()
            self.loop.settle()
            self.tasks.clear()
        super().teardown()
        if hasattr(self, "loop"):
            self.loop.close()

    def both(self, real: Callable[[], T], spec: Callable[[], object]) -> T | None:
        """Run one operation on both, the loop stepped until quiescent; compare the waiters."""

        def settled() -> T:
            try:
                return real()
            finally:
                self.loop.settle()

        value = super().both(settled, spec)
        for number, task in list(self.tasks.items()):
            if not task.done():
                continue
            del self.tasks[number]
            assert number in self.model.results, f"waiter {number} ended; the model's waits"
            got = task_outcome(task)
            guard = self.served.pop(number, None)
            resource = None if guard is None else guard.resource.id
            expected, expected_resource = model_outcome(self.model.results.pop(number))
            assert (got, resource) == (expected, expected_resource), (
                f"waiter {number}: pool {got} {resource}, model {expected} {expected_resource}"
            )
            event(f"a waiter ended: {got[0]}")
            if guard is not None:
                self.guards[guard.resource.id] = guard
        assert not self.model.results, f"the model's waiters {self.model.results} still wait"
        return value

    async def waiter(self, number: int, timeout: float | None) -> None:
        """A waiter's task. Its guard goes to `served`, not into the task's result: a
        finished task would keep the guard alive, and a dropped guard must be collected
        at once, not whenever the task is."""
        self.served[number] = await self.pool.acquire_async(timeout)

    @rule(timeout=TIMEOUTS, new=NEW_PLAN, reset=RESET_PLAN, close=CLOSE_PLAN)
    def start(
        self, timeout: float | None, new: list[str], reset: list[str], close: list[str]
    ) -> None:
        """A task calls acquire_async(timeout): it takes at once, raises, or waits."""
        self.acquire(timeout, new, reset, close)

    @rule(timeout=st.sampled_from([None, 0.5, 4.0]), new=NEW_PLAN)
    def start_waiting(self, timeout: float | None, new: list[str]) -> None:
        """As `start`, with a timeout that lets it wait: waiters are what this machine is for."""
        self.acquire(timeout, new, [], [])

    def acquire(
        self, timeout: float | None, new: list[str], reset: list[str], close: list[str]
    ) -> None:
        number = next(self.numbers)
        if timeout is not None and 0 < timeout < math.inf:
            # Deadlines are distinct, so the loop fires their timers in one order.
            deadlines = {wait.deadline for wait in self.model.waits.values()}
            while self.loop.now + timeout in deadlines:
                timeout += 2.0**-20
        self.plan(new, reset, close)
        started: list[asyncio.Task[None]] = []

        def real() -> PoolGuard[Res] | str:
            task = self.loop.create_task(self.waiter(number, timeout))
            started.append(task)
            self.loop.settle()
            if not task.done():
                return QUEUED
            task.result()  # raises what acquire_async raised
            return self.served.pop(number)

        def spec() -> int | str:
            resource = self.model.acquire(number, timeout)
            return QUEUED if resource is None else resource

        value = self.both(real, spec)
        event(f"acquire_async: {'took' if isinstance(value, PoolGuard) else value}")
        if isinstance(value, PoolGuard):
            self.guards[value.resource.id] = value
        elif value == QUEUED:
            self.tasks[number] = started[0]
            # It joined the pool's waiter queue at the back.
            entry = self.pool._waiters[-1]
            assert id(entry) not in self.entries
            self.entries[id(entry)] = (entry, number)

    @precondition(lambda self: self.tasks)
    @rule(close=CLOSE_PLAN)
    def close(self, close: list[str]) -> None:
        """As the base machine's close, but only while someone waits (WakeAll), so that
        examples do not spend most of their steps on a closed pool."""
        super().close(close)

    @precondition(lambda self: self.tasks)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        """A queued waiter's task is cancelled: it leaves, owed nothing."""
        number = data.draw(st.sampled_from(sorted(self.tasks)), label="waiter")
        task = self.tasks[number]
        self.plan([], [], [])
        self.both(lambda: (task.cancel(), None)[1], lambda: self.model.cancel(number))

    @rule(step=STEPS, new=NEW_PLAN, reset=RESET_PLAN, close=CLOSE_PLAN)
    def time_passes(self, step: float, new: list[str], reset: list[str], close: list[str]) -> None:
        """The clock moves on; waiters whose deadline passed time out (a head looks first)."""
        self.advance(self.loop.now + step, new, reset, close)

    @precondition(lambda self: any(wait.deadline is not None for wait in self.model.waits.values()))
    @rule(new=NEW_PLAN, reset=RESET_PLAN, close=CLOSE_PLAN)
    def next_deadline(self, new: list[str], reset: list[str], close: list[str]) -> None:
        """The clock moves on to the earliest deadline, exactly."""
        deadlines = [wait.deadline for wait in self.model.waits.values()]
        self.advance(min(d for d in deadlines if d is not None), new, reset, close)

    def advance(self, now: float, new: list[str], reset: list[str], close: list[str]) -> None:
        # An expiring head looks once more: it may adopt an orphan (reset) or grow (new).
        self.plan(new, reset, close)

        def real() -> None:
            self.loop.now = now

        self.both(real, lambda: self.model.advance(now))

    @invariant()
    def waiters_agree(self) -> None:
        """The queue holds the waiters the model has, in arrival order."""
        if not hasattr(self, "pool"):
            return
        queue = [self.entries[id(entry)][1] for entry in self.pool._waiters]
        assert queue == list(self.model.state.waiters)
        assert sorted(self.tasks) == sorted(self.model.state.waiters)


class WaitingStaticMachine(WaitingAgainstModel):
    shapes = st.builds(Static, count=st.integers(1, 3))


class WaitingAutoScaleMachine(WaitingAgainstModel):
    shapes = st.integers(0, 2).flatmap(
        lambda initial: st.builds(
            AutoScale,
            initial=st.just(initial),
            maximum=st.integers(max(initial, 1), 4),
            chunk_size=st.integers(0, 3),
        )
    )


test_static_pool_behaves_as_the_model = StaticMachine.TestCase
test_chunked_autoscale_pool_behaves_as_the_model = ChunkedMachine.TestCase
test_doubling_autoscale_pool_behaves_as_the_model = DoublingMachine.TestCase
test_unbounded_autoscale_pool_behaves_as_the_model = UnboundedMachine.TestCase
test_static_pool_with_waiters_behaves_as_the_fifo_model = WaitingStaticMachine.TestCase
test_autoscale_pool_with_waiters_behaves_as_the_fifo_model = WaitingAutoScaleMachine.TestCase
test_static_pool_with_max_lifetime_behaves_as_the_model = LifecycleStaticMachine.TestCase
test_autoscale_pool_with_lifecycle_behaves_as_the_model = LifecycleAutoScaleMachine.TestCase
