"""Traces of the async shell: `AsyncPool` runs, tasks on one event loop, logged for TLC.

The thread scheduler (`rpool.testing._scheduler`) cannot interleave tasks: they
share one thread, and asyncio switches between them only where a task
awaits. So here the event loop is the scheduler, and the scheduling points
only log. An `AsyncPool` subclass has the same instrumented containers and
`_closed` property as `ScheduledPool` (`rpool.testing._instrument`), and a
`_Recorder`, installed as the loop thread's scheduler worker, receives each
point: the step the previous point began has then ended (every access to
shared state stands behind a point), so the recorder hands it, with the
state it left, to the same `TraceLog` the threaded runs use. A step belongs
to the client task that reached the point (the collector task is the
model's process 0).

Where tasks switch is decided by the run's seeded generator: each user
callback (`AsyncUnit`) awaits `asyncio.sleep(0)` 0 to 2 times before it
ends as the director says, and each client does so between its calls. A
`_chaos` task, no model process, wakes at the same kind of moments and,
in waiting runs, picks a parked waiter and either makes its deadline pass
(the pool's clock is a `VirtualClock`, moved just past that deadline, and
the waiter woken: its park returns, and the waiting step sees the deadline
passed) or cancels its task (Waiting's `Cancels`: the CancelledError lands
at the park's `await`). No wall-clock time passes, and a seed replays a run.

Waiting runs trace the waiter of `wait_async` (`_acquire.py`): while a run
records, `_acquire.AsyncWaiter` is `TracedAsyncWaiter` (its `alive` slot,
ring and park are points, as `ScheduledWaiter`'s are) and
`_acquire.waiting` notes each task's waiting generator, whose `guard`
local is the served head's guard (Waiting's `own`). **Hook wanted in the
code:** an `AsyncPool._waiter_type` seam, as `Pool` has, so that the
harness need not replace module globals while it records.

As a script, like record.py (run.py records the async mutant this way):

    python -m tests.conformance.async_runs AsyncWaitingStatic OUT.ndjson --runs 4 --seed 1
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Self, cast

from rpool import AsyncPool, AsyncPoolGuard, PoolClosedError, PoolTimeout
from rpool import _acquire as acquire_module
from rpool._waiters import AsyncWaiter
from rpool.testing import _scheduler
from rpool.testing._instrument import (
    ScheduledDeque,
    ScheduledTally,
    VirtualClock,
    alive_through_points,
    closed_through_points,
)
from rpool.testing._scheduler import Step, point
from tests.resources import Boom
from tests.scheduler.instrument import _NeverWaited

from .harness import Call, CallKind, Director, Observer
from .record import CONFIGS, RunFailedError, Setup, main, random_director
from .resource import Context
from .trace import TraceLog

__all__ = ["ASYNC_CONFIGS", "AsyncHarness", "AsyncUnit", "record_async"]


@dataclass(frozen=True, slots=True)
class AsyncSetup:
    """A traced configuration (record.Setup) run on the async shell, and its model config."""

    name: str
    setup: Setup
    config: str
    """The models/Trace*.cfg that checks it."""
    cancels: float = 0.0
    """How often the chaos task, finding a parked waiter, cancels it rather than expire it."""
    runs: int = 6
    """How many runs `make conformance` traces (a waiting run costs TLC the most)."""


ASYNC_CONFIGS = {
    setup.name: setup
    for setup in (
        AsyncSetup("AsyncStatic", CONFIGS["Static"], "TraceStatic.cfg"),
        AsyncSetup("AsyncAutoScale", CONFIGS["AutoScale"], "TraceAutoScale.cfg"),
        AsyncSetup(
            "AsyncWaitingStatic", CONFIGS["WaitingStatic"], "TraceAsyncWaitingStatic.cfg", 0.5, 3
        ),
        AsyncSetup(
            "AsyncWaitingAutoScale",
            CONFIGS["WaitingAutoScale"],
            "TraceAsyncWaitingAutoScale.cfg",
            0.5,
            3,
        ),
    )
}
"""The async configurations traced: record.CONFIGS' pools, driven by tasks."""


# Each task's process number and decider (a ContextVar: one value per task).
_task: contextvars.ContextVar[tuple[int, Callable[[str], str]] | None] = contextvars.ContextVar(
    "_task", default=None
)


class AsyncContext(Context):
    """The pool's context for `AsyncUnit`s: resource.Context, with a task in place of a thread.

    `pause()` is where a callback lets other tasks run: 0 to 2 times, as the
    run's generator says.
    """

    def __init__(self, generator: random.Random) -> None:
        super().__init__()
        self.random = generator

    def enter(self, process: int, decider: Callable[[str], str]) -> None:
        _task.set((process, decider))

    def _here(self) -> tuple[int, Callable[[str], str]] | None:
        return _task.get()

    async def pause(self) -> None:
        for _ in range(self.random.choice((0, 0, 1, 2))):
            await asyncio.sleep(0)


class AsyncUnit:
    """resource.Unit with coroutine callbacks that let other tasks run inside them."""

    __slots__ = ("context", "number")

    def __init__(self, context: AsyncContext, number: int) -> None:
        self.context = context
        self.number = number

    @classmethod
    async def new(cls, context: AsyncContext) -> Self:
        point("Create", "new")
        await context.pause()
        if context.decide("new") == "raise":
            raise Boom("new")
        unit = cls(context, 0)
        context.arrived(unit)
        return unit

    async def reset(self) -> bool:
        point("Reset", "reset")
        await self.context.pause()
        outcome = self.context.decide("reset")
        if outcome == "raise":
            raise Boom("reset")
        return outcome == "ok"

    async def close(self) -> None:
        point("Discard", "close")
        self.context.live.discard(self.number)
        await self.context.pause()
        if self.context.decide("close") == "raise":
            raise Boom("close")

    def __repr__(self) -> str:
        return f"u{self.number}"


_CLOSED: Any = AsyncPool.__dict__["_closed"]
_ALIVE: Any = AsyncWaiter.__dict__["alive"]


class ScheduledAsyncPool(AsyncPool[AsyncContext, AsyncUnit]):  # type: ignore[misc]
    """An `AsyncPool` whose shared-state accesses are points, as `ScheduledPool`'s are."""

    _deque_type = ScheduledDeque
    _tally_type = ScheduledTally

    def __init__(self, mode: Any, context: AsyncContext, *, waiting: bool) -> None:
        super().__init__(AsyncUnit, mode, context)
        self._orphans.role = "orphans"  # type: ignore[attr-defined]
        self._waiters.role = "waiters"  # type: ignore[attr-defined]
        if not waiting:
            self._waiters = _NeverWaited()
        self.clock = VirtualClock()
        self._clock = self.clock
        for slot in ("_created", "_failed", "_discarded", "_misses", "_waited", "_timeouts"):
            cast(ScheduledTally, getattr(self, slot)).name = slot.lstrip("_")

    _closed = closed_through_points(_CLOSED)


class TracedAsyncWaiter(AsyncWaiter):
    """`AsyncWaiter` whose `alive` slot, ring and park are points (as `ScheduledWaiter`'s).

    The Park point is reached when the park's `await` ends (rung, its
    deadline made to pass, or cancelled): the step is the park's return.
    """

    __slots__ = ("client", "parked", "timeout")

    harness: AsyncHarness | None = None
    """The harness recording now (set while a run records)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        here = _task.get()
        self.client = 0 if here is None else here[0]
        self.parked = False
        self.timeout: float | None = None

    alive = alive_through_points(_ALIVE)

    def peek_alive(self) -> bool:
        return bool(_ALIVE.__get__(self))

    def put(self, item: None, /) -> None:
        point("Ring", "waiter.put")
        super().put(item)

    def expire(self) -> None:
        """Wake the park without a ring (no step): its deadline has passed on the pool's clock."""
        self._wake()

    async def park(self, timeout: float | None) -> None:
        # The deadline is virtual: the chaos task makes it pass.
        self.parked, self.timeout = True, timeout
        try:
            await super().park(None)
        finally:
            self.parked = False
            point("Park", "waiter.get")


class _Recorder:
    """The loop thread's scheduler worker: logs the step each point ends.

    A point from a task that is no model process (the chaos task, the
    coroutine that runs the harness) logs nothing. A `TraceLog` error is
    kept for the end of the run, not raised into the pool's code.
    """

    def __init__(self, harness: AsyncHarness, log: TraceLog) -> None:
        self.harness = harness
        self.log = log
        self.pending: Step | None = None
        self.steps = 0
        self.busy = False
        self.errors: list[BaseException] = []

    def pause(self, action: str | None, op: str, ready: Callable[[], bool] | None = None) -> None:
        if self.busy:
            return
        task = asyncio.current_task()
        process = None if task is None else self.harness.processes.get(task)
        if process is None:
            return
        self.flush()
        self.pending = Step(self.steps, process, action, op)
        self.steps += 1

    def flush(self) -> None:
        step, self.pending = self.pending, None
        if step is None:
            return
        self.busy = True
        try:
            self.log.after_step(step)
        except Exception as error:  # reported at the end of the run
            self.errors.append(error)
        finally:
            self.busy = False


class AsyncHarness(Observer):
    """Client tasks 1..N, a collector task (0) and a chaos task driving one `ScheduledAsyncPool`.

    As harness.Harness, with tasks for threads: what the model sees of the
    pool (`observe`), each client's guards, and the calls they make.
    """

    def __init__(self, async_setup: AsyncSetup, director: Director, seed: int) -> None:
        setup = async_setup.setup
        self.director = director
        self.random = random.Random(seed)
        self.context = AsyncContext(self.random)
        self.waiting = setup.waiting
        self.cancels = async_setup.cancels
        self.pool = ScheduledAsyncPool(setup.mode, self.context, waiting=setup.waiting)
        self.clients = setup.clients
        self.processes: dict[asyncio.Task[Any], int] = {}
        self.tasks: dict[int, asyncio.Task[Any]] = {}
        self.waiter: list[TracedAsyncWaiter | None] = [None] * (self.clients + 1)
        self.steps: dict[int, Any] = {}
        """Each client's latest `waiting()` generator (its `guard` local: Waiting's `own`)."""
        self.guards: list[list[AsyncPoolGuard[AsyncUnit]]] = [[] for _ in range(self.clients + 1)]
        self.releasing: list[AsyncPoolGuard[AsyncUnit] | None] = [None] * (self.clients + 1)
        self.dropped: list[tuple[int, int]] = []
        self.calls: list[CallKind | None] = [None] * (self.clients + 1)
        self.raised: list[BaseException] = []
        self.cancelled = 0
        self.expired = 0
        self.closes = 0
        self.finished = 0

    # What TraceLog reads: Observer's observe() and settle(), and calls.

    def _closed(self) -> bool:
        return _CLOSED.__get__(self.pool) is True  # the slot itself: no scheduling point

    def _served(self, process: int) -> list[int]:
        steps = self.steps.get(process)
        frame = None if steps is None else steps.gi_frame
        guard = None if frame is None else frame.f_locals.get("guard")
        if isinstance(guard, AsyncPoolGuard) and not guard.released:
            return [guard.resource.number]
        return []

    # The run.

    async def run(self, number: int) -> tuple[TraceLog, _Recorder]:
        """Open the pool, run every task to its end, logged as run `number`."""
        await self.pool.open()
        log = TraceLog(cast(Any, self), number)  # line 1: the pool as opened
        recorder = _Recorder(self, log)
        programs = [self._collect(), *(self._client(p) for p in range(1, self.clients + 1))]
        with self._tracing(recorder):
            for process, program in enumerate(programs):
                task = asyncio.ensure_future(program)
                self.processes[task] = process
                self.tasks[process] = task
            chaos = asyncio.ensure_future(self._chaos(len(programs)))
            await asyncio.gather(*self.tasks.values())
            await chaos
            recorder.flush()
        return log, recorder

    @contextlib.contextmanager
    def _tracing(self, recorder: _Recorder) -> Iterator[None]:
        module: Any = acquire_module
        waiting = module.waiting
        harness = self

        def traced(pool: Any, waiter: Any, ends: float | None, park: Any) -> Any:
            steps = waiting(pool, waiter, ends, park)
            here = _task.get()
            if here is not None:
                harness.steps[here[0]] = steps
            return steps

        saved = module.AsyncWaiter, module.waiting
        local: Any = _scheduler._local
        module.AsyncWaiter, module.waiting = TracedAsyncWaiter, traced
        local.worker = recorder
        try:
            yield
        finally:
            local.worker = None
            module.AsyncWaiter, module.waiting = saved

    async def _switch(self) -> None:
        for _ in range(self.random.choice((0, 1, 1, 2, 3))):
            await asyncio.sleep(0)

    async def _client(self, process: int) -> None:
        self.context.enter(process, lambda callback: self.director.outcome(process, callback))
        while self.director.more(process):
            point("Idle", "call")
            call = self.director.call(process, cast(Any, self))
            self.calls[process] = call.kind
            try:
                await self._call(process, call)
            # What the model lets a call raise, as harness.Harness; and the
            # chaos task's cancellation of a parked acquire().
            except (Boom, PoolClosedError, PoolTimeout, ExceptionGroup) as error:
                self.raised.append(error)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                assert task is not None
                task.uncancel()
                self.cancelled += 1
            await self._switch()
        if process == 1 and not self.closes:
            # Every run closes: client 1 at its end, unless it closed already
            # (the director's closes are rare, and Waiting's is once a pool).
            point("Idle", "call")
            self.calls[process] = "close"
            with contextlib.suppress(Boom, ExceptionGroup):
                await self._call(process, Call("close"))
        self.finished += 1

    async def _call(self, process: int, call: Call) -> None:
        if call.kind == "get":
            guard = await self.pool.get()
            if guard is not None:
                self.guards[process].append(guard)
        elif call.kind == "acquire":
            self.guards[process].append(await self.pool.acquire(call.timeout))
        elif call.kind == "release":
            guards = self.guards[process]
            [index] = [i for i, g in enumerate(guards) if g.resource.number == call.number]
            self.releasing[process] = guard = guards.pop(index)
            point("Claim", "box.pop")
            try:
                await guard.release()
            finally:
                self.releasing[process] = None
        else:
            self.closes += 1
            await self.pool.close()

    async def _collect(self) -> None:
        while self.director.more(0):
            await self._switch()
            # Stop before choosing: the step before it (another task's) is
            # logged with the numbers it gave, as the victim is picked by them.
            point(None, "collect")
            victim = self.director.victim(cast(Any, self))
            if victim is None:
                continue
            client, number = victim
            guards = self.guards[client]
            [index] = [i for i, g in enumerate(guards) if g.resource.number == number]
            self.dropped.append(victim)
            del guards[index]  # the last reference: AsyncPoolGuard.__del__ (Model: Orphan)
        self.finished += 1

    async def _chaos(self, programs: int) -> None:
        """Make a parked waiter's deadline pass, or cancel its task, until the programs end."""
        while self.finished < programs:
            await self._switch()
            parked = [w for w in self.waiter[1:] if w is not None and w.parked]
            if not parked or self.random.random() < 0.5:
                continue
            waiter = self.random.choice(parked)
            if self.random.random() < self.cancels:
                self.tasks[waiter.client].cancel()  # counted where it lands (_client)
            elif waiter.timeout is not None:
                self.pool.clock.expire(waiter.timeout)
                waiter.expire()
                self.expired += 1

    def dispose(self) -> list[Awaitable[None]]:
        """The releases of every guard still held (awaited after the run, unrecorded)."""
        guards = [g for held in self.guards for g in held] + [g for g in self.releasing if g]
        return [guard.release() for guard in guards]


def record_async(
    async_setup: AsyncSetup,
    seed: int,
    runs: int,
    calls: int = 4,
    counts: collections.Counter[str] | None = None,
) -> list[dict[str, object]]:
    """The traces of `runs` random runs of `async_setup`, numbered 1..runs, as ndjson lines.

    `counts`, if given, gets how many parks were cancelled and made to time out.
    """
    setup = async_setup.setup
    lines: list[dict[str, object]] = []
    for run in range(1, runs + 1):
        director = random_director(setup, seed * 1000 + run, calls)
        harness = AsyncHarness(async_setup, director, seed * 1000 + run)
        log, recorder = asyncio.run(_record(harness, run))
        if recorder.errors:
            raise RunFailedError(f"run {run} (seed {seed}): {recorder.errors}")
        if counts is not None:
            counts.update(cancelled=harness.cancelled, expired=harness.expired)
        lines += log.lines
    return lines


async def _record(harness: AsyncHarness, run: int) -> tuple[TraceLog, _Recorder]:
    try:
        return await harness.run(run)
    finally:
        for release in harness.dispose():
            with contextlib.suppress(Exception):
                await release


if __name__ == "__main__":
    main(__doc__.splitlines()[0], ASYNC_CONFIGS, record_async)
