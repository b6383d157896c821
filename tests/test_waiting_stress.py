"""Waiting under stress: threads and tasks on two event loops share one pool, with faults.

Four threads and three tasks on each of two event loops (each loop in a
thread of its own) take resources from one pool of at most four, for about a
second per scale mode: `get()`, `acquire()` and `acquire_async()` with random
timeouts (none, zero, short, no limit), tasks cancelled at random moments
while they wait, `new()` and `reset()` failing at random (`Faulty`), and
guards handed from a thread to a task of either loop to be released there.
Each caller registers what it holds (`Holders`), so a resource handed to two
holders at once fails the test. At the end, every caller must have finished
(a watchdog closes the pool and fails the test if some hang), and `audit`
checks at rest that every live resource is in exactly one place, every unit
of capacity is accounted for and `stats()` adds up; the counters must agree
with what the callers saw (timeouts, failed `new()`s). A second test closes
the pool under the same load: every caller must end promptly, and every
resource made must be closed exactly once.

`pytest -s` prints what each run did; the session summary repeats it.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from queue import Empty, SimpleQueue
from typing import Any, Self

import pytest

from rpool import AutoScale, Pool, PoolClosedError, PoolGuard, PoolTimeout, Static
from tests.conftest import record_checked
from tests.test_waiting import (
    PROMPT,
    WATCHDOG,
    Holders,
    LoopThread,
    Pending,
    audit,
    finish_or_fail,
    in_thread,
    running_loop,
)

from .resources import Boom, Res, Script

pytestmark = pytest.mark.usefixtures("tiny_switch_interval")

SECONDS = 1.0
"""How long each load runs (the callers then finish what they are doing)."""

THREADS, TASKS_PER_LOOP = 4, 3

TIMEOUTS: list[float | None] = [0, 0.0005, 0.002, 0.01, 0.05, None]

NEW_FAILS, RESET_RAISES, RESET_FALSE = 0.03, 0.02, 0.05

_local = threading.local()


def draw() -> float:
    """A random number from this thread's own generator."""
    rng: random.Random | None = getattr(_local, "rng", None)
    if rng is None:
        rng = _local.rng = random.Random(threading.get_ident())
    return rng.random()


@dataclass
class Faults(Script):
    """A Script with a switch: the faults are on only while the load runs."""

    on: bool = False


class Faulty(Res):
    """A `Res` whose `new()` raises, and whose `reset()` raises or returns False, at random."""

    @classmethod
    def new(cls, context: Script) -> Self:
        if isinstance(context, Faults) and context.on and draw() < NEW_FAILS:
            raise Boom("new")
        return super().new(context)

    def reset(self) -> bool:
        if not (isinstance(self.script, Faults) and self.script.on):
            return super().reset()
        chance = draw()
        if chance < RESET_RAISES:
            raise Boom("reset")
        if chance < RESET_RAISES + RESET_FALSE:
            return False
        return super().reset()


class Load:
    """One run: the pool, who holds what, guards in transit, and what each caller saw."""

    def __init__(self, mode: Static | AutoScale, seconds: float) -> None:
        self.script = Faults()
        self.pool = Pool(Faulty, mode, self.script)
        self.script.on = True
        self.holders = Holders()
        self.handoff: SimpleQueue[PoolGuard[Faulty]] = SimpleQueue()
        self.ends = time.monotonic() + seconds
        self.seen: list[Counter[str]] = []
        self.drained = self.counter()

    def running(self) -> bool:
        return time.monotonic() < self.ends

    def counter(self) -> Counter[str]:
        seen: Counter[str] = Counter()
        self.seen.append(seen)  # list.append: atomic on both builds
        return seen

    def give_back(self, guard: PoolGuard[Faulty], seen: Counter[str]) -> None:
        """Release, counting what the release raised (a failed reset or replacement)."""
        try:
            guard.release()
        except Boom as error:
            seen[f"{error} failed in release"] += 1
        except PoolClosedError:
            seen["closed"] += 1

    def thread(self, index: int) -> Counter[str]:
        """A thread's loop: get() or acquire(random timeout), hold a moment, release or hand off."""
        seen, who, rng = self.counter(), f"thread {index}", random.Random(index)
        while self.running():
            seen["operations"] += 1
            try:
                if rng.random() < 0.15:
                    guard = self.pool.get()
                    if guard is None:
                        seen["get None"] += 1
                        continue
                else:
                    guard = self.pool.acquire(rng.choice(TIMEOUTS))
            except PoolTimeout:
                seen["timeouts"] += 1
                continue
            except Boom as error:
                seen[f"{error} failed in acquire"] += 1
                continue
            except PoolClosedError:
                seen["closed"] += 1
                return seen
            seen["served"] += 1
            resource = guard.resource
            self.holders.take(resource, who)
            time.sleep(rng.choice([0, 0, 0, 1e-4, 1e-3]))
            if rng.random() < 0.1:
                self.holders.give(resource, who)
                self.holders.take(resource, "handoff")
                self.handoff.put(guard)  # a task of either loop releases it
                seen["handed off"] += 1
                continue
            self.holders.give(resource, who)
            self.give_back(guard, seen)
        return seen

    async def task(self, index: int) -> Counter[str]:
        """A task's loop: as a thread's, with cancellations, and releasing handed-off guards."""
        seen, who, rng = self.counter(), f"task {index}", random.Random(1000 + index)
        while self.running():
            self.release_handed_off(seen)
            seen["operations"] += 1
            waiter = asyncio.ensure_future(self.pool.acquire_async(rng.choice(TIMEOUTS)))
            if rng.random() < 0.25:
                await asyncio.sleep(rng.choice([0, 1e-4, 1e-3, 5e-3]))
                waiter.cancel()
            try:
                guard = await waiter
            except asyncio.CancelledError:
                if not waiter.cancelled():  # this task itself was cancelled: let it end
                    raise
                seen["cancelled"] += 1
                continue
            except PoolTimeout:
                seen["timeouts"] += 1
                continue
            except Boom as error:
                seen[f"{error} failed in acquire"] += 1
                continue
            except PoolClosedError:
                seen["closed"] += 1
                return seen
            seen["served"] += 1
            resource = guard.resource
            self.holders.take(resource, who)
            await asyncio.sleep(rng.choice([0, 0, 1e-4, 1e-3]))
            self.holders.give(resource, who)
            self.give_back(guard, seen)
        self.release_handed_off(seen)
        return seen

    def release_handed_off(self, seen: Counter[str]) -> None:
        try:
            guard = self.handoff.get_nowait()
        except Empty:
            return
        self.holders.give(guard.resource, "handoff")
        seen["released for a thread"] += 1
        self.give_back(guard, seen)

    def start(self, loops: list[LoopThread]) -> list[Pending]:
        callers = [in_thread(partial(self.thread, i)) for i in range(THREADS)]
        for number, loop in enumerate(loops):
            for i in range(TASKS_PER_LOOP):
                index = THREADS + number * TASKS_PER_LOOP + i
                callers.append(loop.start(self.task_maker(index)))
        return callers

    def task_maker(self, index: int) -> Callable[[], Coroutine[Any, Any, Counter[str]]]:
        return lambda: self.task(index)

    def drain(self) -> None:
        """Release the guards handed off that no task took (main thread, at the end)."""
        while True:
            try:
                guard = self.handoff.get_nowait()
            except Empty:
                return
            self.holders.give(guard.resource, "handoff")
            self.give_back(guard, self.drained)

    def settle(self, callers: list[Pending], watchdog: float) -> None:
        """Wait for every caller, releasing handed-off guards meanwhile (a caller may be
        waiting for one after the last task ended); fail if some still run after `watchdog`."""
        ends = time.monotonic() + watchdog
        while not all(caller.done() for caller in callers) and time.monotonic() < ends:
            self.drain()
            time.sleep(0.002)
        finish_or_fail(self.pool, callers, 0.001, self.total())
        self.drain()

    def total(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for seen in self.seen:
            total.update(seen)
        return total


MODES = [
    Static(3),
    AutoScale(initial=1, maximum=4, chunk_size=2),
    AutoScale(initial=0, maximum=4, chunk_size=0),
]


@pytest.mark.parametrize("mode", MODES, ids=repr)
def test_threads_and_two_loops_with_faults_lose_nothing(mode: Static | AutoScale) -> None:
    with running_loop("loop A") as loop_a, running_loop("loop B") as loop_b:
        load = Load(mode, SECONDS)
        callers = load.start([loop_a, loop_b])
        load.settle(callers, WATCHDOG)
    assert not load.holders.clashes, load.holders.clashes
    assert not load.holders.by_resource, f"still held: {load.holders.by_resource}"
    seen = load.total()
    stats = audit(load.pool, load.script)
    assert stats.timeouts == seen["timeouts"], (stats, seen)
    news_failed = seen["new failed in acquire"] + seen["new failed in release"]
    assert stats.failed == news_failed, (stats, seen)
    assert seen["closed"] == 0
    assert seen["served"] > 0 and seen["timeouts"] > 0 and seen["cancelled"] > 0, seen
    load.pool.close()
    assert {id(r) for r in load.script.closed} == {id(r) for r in load.script.made}
    counts = {
        "operations": seen["operations"],
        "served": seen["served"],
        "timeouts": seen["timeouts"],
        "cancellations": seen["cancelled"],
        "get None": seen["get None"],
        "waits": stats.waited,
        "new() failed": stats.failed,
        "discarded": stats.discarded,
        "handed off": seen["handed off"],
    }
    print(f"\nwaiting stress, {mode!r}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    print(f"  wait histogram: {stats.wait_histogram}")
    record_checked("waiting stress", **counts)


def test_close_under_load_wakes_everyone_and_keeps_nothing() -> None:
    with running_loop("loop A") as loop_a, running_loop("loop B") as loop_b:
        load = Load(AutoScale(initial=1, maximum=3), seconds=WATCHDOG)
        callers = load.start([loop_a, loop_b])
        time.sleep(0.3)
        assert not any(caller.done() for caller in callers)
        closed_at = time.monotonic()
        load.pool.close()
        load.settle(callers, PROMPT)
        took = time.monotonic() - closed_at
    seen = load.total()
    assert seen["closed"] >= THREADS + 2 * TASKS_PER_LOOP, seen
    stats = load.pool.stats()
    assert (stats.waiting, stats.idle, stats.in_use, stats.creating) == (0, 0, 0, 0), stats
    assert sum(stats.wait_histogram) == stats.waited
    assert {id(r) for r in load.script.closed} == {id(r) for r in load.script.made}
    print(
        f"\nclose under load: every caller done {took * 1000:.1f} ms after close(); "
        f"{seen['operations']} operations, {stats.waited} waits"
    )
    record_checked("waiting, close under load", operations=seen["operations"])
