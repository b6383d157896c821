"""`AsyncPool`: async resources on the shared core (issue 13), from the outside.

What `Pool` promises, for coroutines: the API (`open`/`async with`, `get`,
`acquire` awaited or entered, `release`, `close`), FIFO waiting with
timeouts, close waking waiters, failures of `new`/`reset`/`close` leaving the
accounting whole, collected guards reset later by an ordinary call, one
event loop per pool; and the crux, **cancellation at every await point**:
each operation is run once per k = 0, 1, 2, ... and its task cancelled after
k iterations of the event loop, until k passes the operation's last await
(so each await inside `new()`, `reset()`, `close()`, the park, and the
hand-off is hit in turn); after each run `audit` finds every resource in
exactly one place and the counters exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gc
import pickle
import random
import threading
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import pytest

from rpool import (
    AsyncPool,
    AsyncPoolGuard,
    AutoScale,
    GuardReleasedError,
    PoolClosedError,
    PoolTimeout,
    ScaleMode,
    Static,
)
from tests.interrupts import Interrupt, Tracer


class Boom(Exception):
    """What a planned failure raises."""


@dataclass
class Plan:
    """What the next calls of new/reset/close do, and how many awaits each takes."""

    steps: int = 2
    timeout: float = 5.0
    """How long the hand-off cases' waiter waits (short where injections may strand it)."""
    new: list[str] = field(default_factory=list)
    reset: list[str] = field(default_factory=list)
    close: list[str] = field(default_factory=list)
    made: list[Conn] = field(default_factory=list)
    now: float = 0.0
    """The lifecycle's clock (`clock=plan.clock`), moved by the cases."""
    dead: set[int] = field(default_factory=set)
    """Ids of the connections `plan.check` fails."""

    def clock(self) -> float:
        return self.now

    async def check(self, conn: Conn) -> bool:
        """An async check: awaits `steps` loop iterations, then fails the dead."""
        for _ in range(self.steps):
            await asyncio.sleep(0)
        return conn.id not in self.dead

    @staticmethod
    def next(plan: list[str]) -> str:
        return plan.pop(0) if plan else "ok"


class Conn:
    """An async resource: each call awaits `plan.steps` loop iterations first."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.closed = 0
        self.id = len(plan.made)

    @classmethod
    async def new(cls, plan: Plan) -> Conn:
        step = Plan.next(plan.new)
        for _ in range(plan.steps):
            await asyncio.sleep(0)
        if step == "raise":
            raise Boom("new")
        conn = cls(plan)
        plan.made.append(conn)
        return conn

    async def reset(self) -> bool:
        step = Plan.next(self.plan.reset)
        for _ in range(self.plan.steps):
            await asyncio.sleep(0)
        if step == "raise":
            raise Boom("reset")
        return step != "false"

    async def close(self) -> None:
        assert not self.closed, "a resource is closed at most once"
        self.closed += 1
        step = Plan.next(self.plan.close)
        for _ in range(self.plan.steps):
            await asyncio.sleep(0)
        if step == "raise":
            raise Boom("close")

    def __repr__(self) -> str:
        return f"Conn({self.id})"


def audit(pool: AsyncPool[Plan, Conn], plan: Plan, held: list[AsyncPoolGuard[Conn]]) -> None:
    """Every live resource is in exactly one place; the counters are exact at rest."""
    stats = pool.stats()
    assert stats.creating == 0, stats
    assert stats.capacity == stats.idle + stats.in_use, stats
    idle = [item for item in pool._free if type(item) is not int]
    orphans = [item[0] if type(item) is list else item for item in pool._orphans]
    orphans = [item for item in orphans if type(item) is not int]
    in_guards = [guard.resource for guard in held if not guard.released]
    places = idle + orphans + in_guards
    live = [conn for conn in plan.made if not conn.closed]
    assert sorted(places, key=id) == sorted(live, key=id), (places, live)
    assert len(places) == len(set(map(id, places))), "a resource in two places"
    assert stats.in_use == len(orphans) + len(in_guards), stats
    if pool._maximum is not None:
        # The bound in force: a lowered one's unpaid debt still counts (_resize.py).
        debt = 0 if pool._lifecycle is None else len(pool._lifecycle.debt)
        assert stats.capacity <= pool._maximum + debt, stats


async def settle(pool: AsyncPool[Plan, Conn], plan: Plan, held: list[Any]) -> None:
    """Release what the test holds, close the pool: everything is closed, once."""
    plan.reset.clear()
    plan.close.clear()
    for guard in held:
        await guard.release()
    await pool.close()
    stats = pool.stats()
    assert (stats.capacity, stats.idle, stats.in_use, stats.creating) == (0, 0, 0, 0), stats
    assert all(conn.closed == 1 for conn in plan.made), plan.made


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(body())  # type: ignore[arg-type]


# --- the API -------------------------------------------------------------------


def test_open_makes_the_initial_resources_and_close_discards_them() -> None:
    async def body() -> None:
        plan = Plan()
        pool = AsyncPool(Conn, AutoScale(initial=2, maximum=4), plan)
        with pytest.raises(RuntimeError, match="not open"):
            await pool.get()
        async with pool as opened:
            assert opened is pool
            assert pool.stats().idle == 2 and len(plan.made) == 2
            await pool.open()  # idempotent
            assert len(plan.made) == 2
        assert pool.closed
        assert [conn.closed for conn in plan.made] == [1, 1]
        with pytest.raises(PoolClosedError):
            await pool.get()
        with pytest.raises(PoolClosedError):
            await pool.acquire()

    run(body)


def test_get_reuses_the_last_returned_grows_and_returns_none_when_exhausted() -> None:
    async def body() -> None:
        plan = Plan()
        async with AsyncPool(Conn, AutoScale(initial=1, maximum=2), plan) as pool:
            first = await pool.get()
            second = await pool.get()
            assert first is not None and second is not None
            assert await pool.get() is None
            assert pool.stats().misses == 1
            resource = second.resource
            await second.release()
            await second.release()  # a second release does nothing
            assert second.released
            again = await pool.get()
            assert again is not None and again.resource is resource
            await settle(pool, plan, [first, again])

    run(body)


def test_acquire_as_context_manager_awaitable_and_task() -> None:
    async def body() -> None:
        plan = Plan()
        async with AsyncPool(Conn, Static(1), plan) as pool:
            async with pool.acquire(timeout=1.0) as conn:
                assert isinstance(conn, Conn)
                assert pool.stats().in_use == 1
            assert pool.stats().idle == 1
            guard = await pool.acquire(1)
            assert isinstance(guard, AsyncPoolGuard)
            async with guard as conn:
                assert conn is guard.resource
            assert guard.released
            task = asyncio.create_task(pool.acquire())
            guard = await task
            await guard.release()
            # Left a second time (or never entered), it has nothing to give back.
            acquiring = pool.acquire()
            async with acquiring:
                pass
            await acquiring.__aexit__(None, None, None)
            assert pool.stats().idle == 1
            await settle(pool, plan, [])

    run(body)


def test_a_guard_names_its_own_class_and_cannot_be_copied() -> None:
    async def body() -> None:
        plan = Plan()
        async with AsyncPool(Conn, Static(1), plan) as pool:
            guard = await pool.acquire()
            assert repr(guard) == "<AsyncPoolGuard holding a Conn>"
            for duplicate in (copy.copy, copy.deepcopy, pickle.dumps):
                with pytest.raises(TypeError, match=r"^AsyncPoolGuard cannot be (copied|pickled)"):
                    duplicate(guard)
            assert not guard.released and guard.resource is plan.made[0]
            await guard.release()
            assert repr(guard) == "<AsyncPoolGuard released>"
            with pytest.raises(GuardReleasedError):
                _ = guard.resource
            with pytest.raises(GuardReleasedError):
                async with guard:
                    pass
            await settle(pool, plan, [])

    run(body)


def test_waiters_are_served_in_arrival_order_and_time_out() -> None:
    async def body() -> None:
        plan = Plan()
        async with AsyncPool(Conn, Static(1), plan) as pool:
            held = await pool.acquire()
            order: list[int] = []

            async def waiter(number: int) -> None:
                async with pool.acquire(timeout=5.0):
                    order.append(number)
                    await asyncio.sleep(0)

            tasks = []
            for number in range(4):
                tasks.append(asyncio.create_task(waiter(number)))
                while pool.stats().waiting < number + 1:
                    await asyncio.sleep(0)
            assert await pool.get() is None  # no barging: the waiters are owed it
            with pytest.raises(PoolTimeout):
                await pool.acquire(timeout=0.01)
            await held.release()
            await asyncio.gather(*tasks)
            assert order == [0, 1, 2, 3]
            stats = pool.stats()
            assert (stats.waited, stats.timeouts, stats.waiting) == (5, 1, 0), stats
            await settle(pool, plan, [])

    run(body)


def test_close_wakes_every_waiter() -> None:
    async def body() -> None:
        plan = Plan()
        pool = AsyncPool(Conn, Static(1), plan)
        await pool.open()
        held = await pool.acquire()
        tasks = [asyncio.create_task(pool.acquire()) for _ in range(3)]
        while pool.stats().waiting < 3:
            await asyncio.sleep(0)
        await pool.close()
        for task in tasks:
            with pytest.raises(PoolClosedError):
                await task
        await held.release()  # discarded: the pool is closed
        assert plan.made[0].closed == 1

    run(body)


@pytest.mark.parametrize("mode", [Static(2), AutoScale(0, 2)], ids=["static", "autoscale"])
def test_failures_of_new_reset_and_close_leave_the_accounting_whole(mode: ScaleMode) -> None:
    async def body() -> None:
        plan = Plan()
        async with AsyncPool(Conn, mode, plan) as pool:
            held: list[AsyncPoolGuard[Conn]] = []
            guard = await pool.acquire()
            held.append(guard)
            plan.reset, plan.close = ["raise"], ["raise"]
            with pytest.raises(Boom, match="close") as raised:  # as Pool: close's, on reset's
                await guard.release()
            assert str(raised.value.__context__) == "reset"
            audit(pool, plan, held)
            guard = await pool.acquire()
            plan.reset = ["false"]
            await guard.release()  # discarded; Static replaces it
            audit(pool, plan, held)
            guard = await pool.acquire()
            plan.reset, plan.new = ["false"], ["raise"]
            if isinstance(mode, Static):
                with pytest.raises(Boom, match="new"):  # the replacement's
                    await guard.release()
            else:  # no replacement: the unit is spare again
                await guard.release()
                plan.new.clear()
            audit(pool, plan, held)
            for _ in range(2):  # the capacity is all there
                held.append(await pool.acquire(timeout=1.0))
            audit(pool, plan, held)
            assert pool.stats().capacity == 2
            await settle(pool, plan, held)

    run(body)


def test_a_reset_that_returns_a_non_bool_discards_and_raises_type_error() -> None:
    class Odd(Conn):
        async def reset(self) -> bool:
            return None  # type: ignore[return-value]  # a buggy reset, on purpose

    async def body() -> None:
        plan = Plan()
        async with AsyncPool(Odd, AutoScale(0, 1), plan) as pool:
            guard = await pool.acquire()
            with pytest.raises(TypeError, match="must return a bool"):
                await guard.release()
            assert plan.made[0].closed == 1
            assert pool.stats().capacity == 0

    run(body)


def test_a_collected_guard_is_reset_by_the_next_ordinary_call() -> None:
    async def body() -> None:
        plan = Plan()
        async with AsyncPool(Conn, Static(1), plan) as pool:
            guard = await pool.acquire()
            resets_before = plan.made[0]
            del guard
            gc.collect()
            assert pool.stats().in_use == 1  # an orphan, in use until adopted
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                again = await pool.get()
            assert again is not None and again.resource is resets_before
            assert any(issubclass(w.category, ResourceWarning) for w in caught)
            await settle(pool, plan, [again])

    run(body)


def test_a_pool_belongs_to_the_loop_that_opened_it() -> None:
    plan = Plan()
    pool = AsyncPool(Conn, Static(1), plan)
    asyncio.run(pool.open())

    async def elsewhere() -> None:
        with pytest.raises(RuntimeError, match="another event loop"):
            await pool.get()
        with pytest.raises(RuntimeError, match="another event loop"):
            await pool.acquire(timeout=0.1)
        with pytest.raises(RuntimeError, match="another event loop"):
            await pool.close()

    errors: list[BaseException] = []

    def thread() -> None:
        try:
            asyncio.run(elsewhere())
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=thread)
    worker.start()
    worker.join(10)
    assert not worker.is_alive() and errors == []


def test_bad_arguments_are_refused_clearly() -> None:
    def check(conn: Conn) -> bool:
        return True

    with pytest.raises(TypeError, match="check must be an async function"):
        AsyncPool(Conn, Static(1), Plan(), check=check)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        AsyncPool(Conn, Static(1), Plan(), bogus=1)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="mode must be"):
        AsyncPool(Conn, 3, Plan())  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="timeout"):
        AsyncPool(Conn, Static(1), Plan()).acquire("soon")  # type: ignore[arg-type]


def test_open_that_fails_closes_what_it_made_and_the_pool() -> None:
    async def body() -> None:
        plan = Plan(new=["ok", "raise"])
        pool = AsyncPool(Conn, Static(3), plan)
        with pytest.raises(Boom):
            await pool.open()
        assert [conn.closed for conn in plan.made] == [1]
        assert pool.closed

    run(body)


def test_the_bound_counts_creations_in_flight() -> None:
    async def body() -> None:
        plan = Plan(steps=5)
        async with AsyncPool(Conn, AutoScale(0, 3), plan) as pool:
            results = await asyncio.gather(*(pool.get() for _ in range(10)))
            guards = [guard for guard in results if guard is not None]
            assert len(guards) == len(plan.made) == 3
            assert pool.stats().misses == 7
            await settle(pool, plan, guards)

    run(body)


def test_many_tasks_round_trips_with_failures_and_cancellations_lose_nothing() -> None:
    """No lost wake-up, nothing lost: 24 tasks share 3 resources, some fail or are cancelled."""

    async def body() -> None:
        plan = Plan(steps=1)
        rng = random.Random(13)
        async with AsyncPool(Conn, Static(3), plan) as pool:
            served = 0

            async def worker() -> None:
                nonlocal served
                for _ in range(15):
                    plan.reset.append(rng.choice(["ok"] * 6 + ["false", "raise"]))
                    try:
                        async with pool.acquire(timeout=10.0):
                            served += 1
                            await asyncio.sleep(0)
                    except Boom:
                        pass

            async def canceller(tasks: list[asyncio.Task[None]]) -> None:
                for _ in range(30):
                    await asyncio.sleep(0)
                    victim = rng.choice(tasks)
                    victim.cancel()

            tasks = [asyncio.create_task(worker()) for _ in range(24)]
            await canceller(tasks)
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(r is None or isinstance(r, asyncio.CancelledError) for r in results)
            assert served > 0
            gc.collect()
            audit(pool, plan, [])
            assert pool.stats().waiting == 0
            # Every unit is there: three resources can be taken at once again.
            guards = [await pool.acquire(timeout=1.0) for _ in range(3)]
            audit(pool, plan, guards)
            await settle(pool, plan, guards)

    run(body)


# --- cancellation at every await point ------------------------------------------


@dataclass
class Case:
    """An operation run in a task on a pool in a given state."""

    name: str
    mode: ScaleMode
    # Makes the state; returns the guards the test holds.
    setup: Callable[[AsyncPool[Plan, Conn], Plan], Awaitable[list[AsyncPoolGuard[Conn]]]]
    # The operation; its result (a guard, or None) is held if it is one.
    operation: Callable[
        [AsyncPool[Plan, Conn], Plan, list[AsyncPoolGuard[Conn]]], Coroutine[Any, Any, Any]
    ]
    # The pool's lifecycle options, given the plan (its clock and check).
    options: Callable[[Plan], dict[str, Any]] = lambda plan: {}

    def pool(self, plan: Plan) -> AsyncPool[Plan, Conn]:
        return AsyncPool(Conn, self.mode, plan, **self.options(plan))


async def _nothing(pool: AsyncPool[Plan, Conn], plan: Plan) -> list[AsyncPoolGuard[Conn]]:
    return []


async def _hold_all(pool: AsyncPool[Plan, Conn], plan: Plan) -> list[AsyncPoolGuard[Conn]]:
    held = []
    while (guard := await pool.get()) is not None:
        held.append(guard)
    return held


async def _get(pool: AsyncPool[Plan, Conn], plan: Plan, held: list[Any]) -> Any:
    return await pool.get()


async def _acquire(pool: AsyncPool[Plan, Conn], plan: Plan, held: list[Any]) -> Any:
    return await pool.acquire(timeout=5.0)


def _release(reset: str, new: str = "ok", close: str = "ok") -> Any:
    async def release(pool: AsyncPool[Plan, Conn], plan: Plan, held: list[Any]) -> None:
        plan.reset, plan.new, plan.close = [reset], [new], [close]
        await held[0].release()

    return release


async def _waited_for(pool: AsyncPool[Plan, Conn], plan: Plan, held: list[Any]) -> Any:
    """A waiter served by a release that comes while it is parked (the hand-off)."""

    async def later() -> None:
        while pool.stats().waiting == 0:
            await asyncio.sleep(0)
        await held[0].release()

    releaser = asyncio.create_task(later())
    try:
        return await pool.acquire(timeout=plan.timeout)
    finally:
        releaser.cancel()  # if this never waited (interrupted first), it never releases
        await asyncio.gather(releaser, return_exceptions=True)


async def _grant_for_waiter(pool: AsyncPool[Plan, Conn], plan: Plan, held: list[Any]) -> Any:
    """A waiter handed the capacity of a failed reset: it awaits new() itself."""

    async def later() -> None:
        while pool.stats().waiting == 0:
            await asyncio.sleep(0)
        plan.reset = ["false"]
        await held[0].release()

    releaser = asyncio.create_task(later())
    try:
        return await pool.acquire(timeout=plan.timeout)
    finally:
        releaser.cancel()
        await asyncio.gather(releaser, return_exceptions=True)


async def _hold_all_drop_one(pool: AsyncPool[Plan, Conn], plan: Plan) -> list[AsyncPoolGuard[Conn]]:
    """Every resource taken, and the guard of one collected: its resource is an orphan."""
    held = await _hold_all(pool, plan)
    held.pop()
    gc.collect()
    return held


async def _orphan_adopted(pool: AsyncPool[Plan, Conn], plan: Plan, held: list[Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        return await pool.get()


async def _close(pool: AsyncPool[Plan, Conn], plan: Plan, held: list[Any]) -> None:
    await pool.close()


async def _hold_all_closed(pool: AsyncPool[Plan, Conn], plan: Plan) -> list[AsyncPoolGuard[Conn]]:
    held = await _hold_all(pool, plan)
    await pool.close()
    return held


async def _closed(pool: AsyncPool[Plan, Conn], plan: Plan) -> list[AsyncPoolGuard[Conn]]:
    await pool.close()
    return []


async def _get_yields_to_waiter(pool: AsyncPool[Plan, Conn], plan: Plan, held: list[Any]) -> Any:
    """A get() that pops what a release just gave back to a parked task: it yields (None)."""
    waiter = asyncio.create_task(pool.acquire(timeout=plan.timeout))
    try:
        while pool.stats().waiting == 0:
            if waiter.done():  # an injected exception ended it before it queued
                return await waiter
            await asyncio.sleep(0)
        await held[0].release()  # rings the waiter, which has not run yet
        guard = await pool.get()  # None: it yields (a guard only if an injection ended the waiter)
        if guard is not None:
            held.append(guard)
        return await waiter
    except BaseException:
        # Not awaited in a `finally`: a cancellation of this task could land there.
        waiter.cancel()
        await asyncio.wait([waiter])
        if not waiter.cancelled() and isinstance(waiter.exception(), type(None)):
            held.append(waiter.result())  # it was served before it was cancelled
        raise


async def _release_then_adopt(pool: AsyncPool[Plan, Conn], plan: Plan, held: list[Any]) -> None:
    """A release that goes on to give back a collected guard's orphan."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        await held[0].release()


async def _round_trip(pool: AsyncPool[Plan, Conn], plan: Plan, held: list[Any]) -> None:
    """`async with pool.acquire()`: the inlined hit of get() and the inlined release."""
    async with pool.acquire(timeout=5.0) as conn:
        assert not conn.closed


# Lifecycle (the shared steps of _lifecycle.py and _resize.py, awaited).


def _lifetime(plan: Plan) -> dict[str, Any]:
    return {"max_lifetime": 10.0, "lifetime_jitter": 0.0, "clock": plan.clock}


def _checked(plan: Plan) -> dict[str, Any]:
    return {"check": plan.check}


def _idle(plan: Plan) -> dict[str, Any]:
    return {"max_idle": 10.0, "clock": plan.clock}


async def _expired(pool: AsyncPool[Plan, Conn], plan: Plan) -> list[AsyncPoolGuard[Conn]]:
    """Every idle resource past its deadline: the next hand-out renews it."""
    plan.now = 10.0
    return []


async def _hold_one_past_deadline(
    pool: AsyncPool[Plan, Conn], plan: Plan
) -> list[AsyncPoolGuard[Conn]]:
    """One guard held past its resource's deadline: its release discards it."""
    guard = await pool.get()
    assert guard is not None
    plan.now = 10.0
    return [guard]


async def _dead_idle(pool: AsyncPool[Plan, Conn], plan: Plan) -> list[AsyncPoolGuard[Conn]]:
    """Every idle resource fails the check."""
    plan.dead.update(conn.id for conn in plan.made)
    return []


async def _grown_then_idle(pool: AsyncPool[Plan, Conn], plan: Plan) -> list[AsyncPoolGuard[Conn]]:
    """Three resources made and given back, seen idle at 0 and idle long at 20: evictable."""
    guards = [await pool.get() for _ in range(3)]
    for guard in guards:
        assert guard is not None
        await guard.release()
    await pool.maintain()  # the cold end is first seen idle now
    plan.now = 20.0
    return []


async def _maintain(pool: AsyncPool[Plan, Conn], plan: Plan, held: list[Any]) -> int:
    return await pool.maintain()


def _resize_to(bound: int) -> Any:
    async def resize(pool: AsyncPool[Plan, Conn], plan: Plan, held: list[Any]) -> None:
        await pool.resize(bound)

    return resize


async def _lowered_all_held(pool: AsyncPool[Plan, Conn], plan: Plan) -> list[AsyncPoolGuard[Conn]]:
    """Everything held, the bound lowered from 3 to 1, then all given back: two units of debt."""
    held = await _hold_all(pool, plan)
    await pool.resize(1)
    for guard in held:
        await guard.release()
    return []


LIFECYCLE_CASES = [
    Case("get: expired, close and new awaited", Static(2), _expired, _get, _lifetime),
    Case("get: check awaited, fails, renewed", Static(2), _dead_idle, _get, _checked),
    Case("acquire: the head's take is checked", Static(1), _dead_idle, _acquire, _checked),
    Case(
        "release: expired, close and Static new awaited",
        Static(1),
        _hold_one_past_deadline,
        _release("ok"),
        _lifetime,
    ),
    Case(
        "release: expired, AutoScale unit spare",
        AutoScale(1, 2),
        _hold_one_past_deadline,
        _release("ok"),
        _lifetime,
    ),
    Case("get: sweeps one idle resource", AutoScale(0, 3), _grown_then_idle, _get, _idle),
    Case("maintain: evicts idle resources", AutoScale(0, 3), _grown_then_idle, _maintain, _idle),
    Case("resize: lowering discards idle", Static(3), _nothing, _resize_to(1)),
    Case("maintain: pays a lowered bound's debt", Static(3), _lowered_all_held, _maintain),
]

CASES = [
    *LIFECYCLE_CASES,
    Case("get: growth awaits new()", AutoScale(0, 3, chunk_size=2), _nothing, _get),
    Case("get: idle resource", Static(2), _nothing, _get),
    Case("acquire: growth", AutoScale(0, 1), _nothing, _acquire),
    Case("acquire: parked, then a release hands off", Static(1), _hold_all, _waited_for),
    Case(
        "acquire: parked, given a failed reset's capacity",
        AutoScale(1, 1),
        _hold_all,
        _grant_for_waiter,
    ),
    Case("release: reset", Static(1), _hold_all, _release("ok")),
    Case("release: reset fails, close, Static new", Static(1), _hold_all, _release("false")),
    Case(
        "release: reset raises, close raises",
        AutoScale(1, 2),
        _hold_all,
        _release("raise", close="raise"),
    ),
    Case("release: replacement's new raises", Static(1), _hold_all, _release("false", new="raise")),
    Case("get: adopts a collected guard's orphan", Static(1), _hold_all_drop_one, _orphan_adopted),
    Case("close: drains idle resources", Static(2), _nothing, _close),
    Case("async with acquire(): idle resource, reset", Static(1), _nothing, _round_trip),
    Case("get: yields to a parked waiter", Static(1), _hold_all, _get_yields_to_waiter),
    Case("get: closed pool", Static(1), _closed, _get),
    Case("release: closed pool", Static(1), _hold_all_closed, _release("ok")),
    Case("release: then adopts an orphan", Static(2), _hold_all_drop_one, _release_then_adopt),
]


# The counter each lifecycle case must move, by a word of its name.
_COUNTERS = {
    "resize": "resizes",
    "debt": "discarded",
    "expired": "expired",
    "check": "checks_failed",
    "idle": "evicted",
}


@pytest.mark.parametrize("case", LIFECYCLE_CASES, ids=[case.name for case in LIFECYCLE_CASES])
def test_each_lifecycle_case_does_what_it_names(case: Case) -> None:
    """Uncancelled, each lifecycle case expires, fails a check, evicts or resizes (awaiting)."""

    async def body() -> None:
        plan = Plan()
        pool = case.pool(plan)
        await pool.open()
        held = await case.setup(pool, plan)
        before = pool.stats()
        result = await case.operation(pool, plan, held)
        if isinstance(result, AsyncPoolGuard):
            held.append(result)
        stats = pool.stats()
        assert stats.discarded > before.discarded, (before, stats)
        counter = next(c for word, c in _COUNTERS.items() if word in case.name)
        assert getattr(stats, counter) > getattr(before, counter), (counter, before, stats)
        audit(pool, plan, held)
        await settle(pool, plan, [guard for guard in held if not guard.released])

    run(body)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_cancellation_at_every_await_point_loses_nothing(case: Case) -> None:
    cancelled_in_flight = 0
    finished = False
    k = 0
    while not finished:
        assert k < 200, "the operation never finished before its cancellation"
        outcome = asyncio.run(_cancel_after(case, k))
        finished = outcome == "finished"
        cancelled_in_flight += outcome == "cancelled"
        k += 1
    # Every k before the last cancelled the operation inside one of its awaits.
    assert cancelled_in_flight == k - 1 > 0


async def _cancel_after(case: Case, k: int) -> str:
    plan = Plan()
    pool = case.pool(plan)
    await pool.open()
    held = await case.setup(pool, plan)
    task = asyncio.create_task(case.operation(pool, plan, held))
    for _ in range(k):
        await asyncio.sleep(0)
    outcome = "finished" if task.done() else "cancelled"
    task.cancel()
    try:
        result = await task
    except asyncio.CancelledError:
        pass
    except (Boom, PoolClosedError, ExceptionGroup):
        pass  # the operation's own failure, as planned
    else:
        if isinstance(result, AsyncPoolGuard):
            held.append(result)
    gc.collect()  # a guard dropped by the cancelled task becomes an orphan now
    if not pool.closed:
        audit(pool, plan, held)
    await settle(pool, plan, [guard for guard in held if not guard.released])
    return outcome


# --- an exception at any line ----------------------------------------------------

LINE_CASES = [
    case
    for case in CASES
    if case.name
    in {
        "get: expired, close and new awaited",
        "acquire: the head's take is checked",
        "release: expired, close and Static new awaited",
        "maintain: evicts idle resources",
        "resize: lowering discards idle",
        "get: growth awaits new()",
        "get: idle resource",
        "release: reset",
        "async with acquire(): idle resource, reset",
        "get: yields to a parked waiter",
        "get: closed pool",
        "release: closed pool",
        "release: then adopts an orphan",
        "acquire: parked, then a release hands off",
        "acquire: parked, given a failed reset's capacity",
        "release: reset fails, close, Static new",
        "release: reset raises, close raises",
        "get: adopts a collected guard's orphan",
        "close: drains idle resources",
    }
]


# An interrupt right after Acquiring made its coroutine, before awaiting it.
@pytest.mark.filterwarnings("ignore:coroutine 'AsyncPool._acquire' was never awaited")
# An injection point may fall in the finalizer of a released guard (its box
# empty: nothing to lose) or of the guard a renewal emptied (check_out's
# _renew), which the interpreter reports as unraisable; the audit shows
# nothing was lost.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("case", LINE_CASES, ids=[case.name for case in LINE_CASES])
def test_an_exception_at_any_line_of_the_async_shell_loses_nothing(case: Case) -> None:
    """tests/interrupts.py's injection, for AsyncPool: the steps, the drivers, the guard."""
    with asyncio.Runner() as runner:  # one loop, a fresh pool per point
        points = runner.run(_inject(case, None))
        assert points >= 3  # the tracer sees rpool's lines (those with no exception in flight)
        for target in range(1, points + 1):
            runner.run(_inject(case, target))


async def _inject(case: Case, target: int | None) -> int:
    """Run `case` once, raising `Interrupt` at line event `target` of rpool's code; audit."""
    # Short: an interrupted release may leave the waiter to its timeout
    # (design.md: a ring cut off by an interruption waits for the next call).
    plan = Plan(steps=1, timeout=0.01)
    pool = case.pool(plan)
    await pool.open()
    held = await case.setup(pool, plan)
    tracer = Tracer(target)
    result: Any = None
    # Collections at chosen moments only: what the run makes stays young.
    gc.disable()
    try:
        async with asyncio.timeout(30):  # a lost wake-up would hang here
            with tracer.tracing():
                task = asyncio.create_task(case.operation(pool, plan, held))
                with contextlib.suppress(
                    Interrupt, Boom, PoolClosedError, PoolTimeout, ExceptionGroup
                ):
                    result = await task
    finally:
        gc.enable()
    if isinstance(result, AsyncPoolGuard):
        held.append(result)
    # A guard that only the failed task's exception keeps (its traceback holds
    # the frames that held it) is finalized once the task goes: its resource
    # goes to the orphans, as the collector would send it later.
    del task
    for _ in range(3):  # callbacks still queued on the loop may hold the task
        await asyncio.sleep(0)
    where = f"interrupt at point {target}: {tracer.points[-1] if tracer.points else None}"
    try:
        audit(pool, plan, held)
    except AssertionError:
        # Only a collection finds such a guard (slow on 3.13t, whose collector
        # has no generations): made only when a resource seems missing.
        gc.collect()
        try:
            audit(pool, plan, held)
        except AssertionError as error:
            raise AssertionError(f"{where}: {error}") from None
    await settle(pool, plan, [guard for guard in held if not guard.released])
    return tracer.count
