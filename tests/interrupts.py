"""Fault injection at every line: an exception raised wherever the pool's own code can be.

An asynchronous exception (KeyboardInterrupt, an exception another thread
injects with `PyThreadState_SetAsyncExc`) or a RecursionError can arise
between any two steps of the pool's code, not only inside the user's
callbacks. This harness stands in for them. It runs one operation of a
`Scenario` once with a tracing function that numbers every line event in
`src/rpool/` (the *injection points*), then once more per point, raising
`Interrupt` at that point and nowhere else, each time from a fresh pool set
up the same way. After every run, `check()` looks at the pool through its
resources and its shared state:

- no resource is lost or live twice: every resource that `new()` made and
  nobody closed is in exactly one place (idle, an orphan, or a guard the
  test holds), and no place holds a closed one;
- the capacity bound: live resources never exceed the maximum;
- accounting: `stats()` is exact at rest (`capacity == idle + in_use +
  creating`, `creating == 0`), and for a bounded pool every unit is spare,
  dropped or a live resource;

and after the test has released what it holds and closed the pool
(`settle()`): nothing idle in the closed pool, every resource closed once,
nothing left in use.

Line events are the granularity: an exception landing *inside* a line (after
a C call returned, before its result is stored) is not simulated; design.md
says what that window can still do. A line reached while another exception
is being handled (inside an `except` or `finally` running for an exception)
is not an injection point either: an exception there is a second failure
during the recovery from the first, which no handler can undo (design.md,
"Exception safety"). `Tracer.skipped` counts those lines.

`at_depth()` runs an operation with the stack so close to the recursion
limit that a call somewhere inside it raises a real RecursionError.

Waiting. A scenario's pool is a `WaitingPool`, whose waiters are
`ScriptedWaiter`s and whose clock is virtual. When the operation's waiter
parks, the run's `meanwhile` actions go first, one per park, each in a second
thread run to its end (what other threads do while this one waits: release,
close, enqueue); the park then returns the token if it was rung, times out at
once on the virtual clock if it has a timeout, and otherwise raises `Stuck`:
it would wait forever. Other parked threads are stood for by *dummies*, plain
`ThreadWaiter`s queued by the setup or by a `meanwhile` action, which never
run. Besides the checks above, `check()` then finds:

- no zombie: no live entry in the queue whose caller has gone (every later
  caller would queue behind it, and every `get()` yield to it, for good);
- no waiter stuck: the head, if a dummy, holds a token if anything is idle,
  and in a closed pool every dummy does. `inject_everywhere` asks this of a
  waiter's own operation at once (its Leave and PassOn run in a `finally`);
  of a releaser, a `get()` that yields or `close()`, whose ring an interrupt
  can cut off after the item is already idle, it asks it after one more
  ordinary call (`nudge()`: a `get()`, or `close()` again), and counts the
  runs that needed it (`Report.late`).
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from types import FrameType
from typing import Any, ClassVar

import rpool
from rpool import Pool, PoolClosedError, PoolGuard, ScaleMode, Static
from rpool._waiters import ThreadWaiter
from rpool.testing._instrument import VirtualClock

from .resources import Res, Script

__all__ = [
    "Interrupt",
    "Report",
    "Run",
    "Runaway",
    "Scenario",
    "ScriptedWaiter",
    "Stuck",
    "Tracer",
    "WaitingPool",
    "at_depth",
    "check",
    "elsewhere",
    "inject_everywhere",
    "nudge",
    "settle",
    "unrung",
]

SOURCE = str(Path(rpool.__file__).resolve().parent)


class Interrupt(BaseException):
    """The injected exception: like KeyboardInterrupt, not an Exception."""


class Stuck(BaseException):
    """Raised by a park that nothing can end: no token, no timeout, no action left."""


class Runaway(BaseException):
    """Raised by the tracer once a run has gone through `RUNAWAY` lines: a livelock."""


RUNAWAY = 200_000
"""Line events after which a traced run is a livelock; the largest scenario takes a few hundred."""


class Tracer:
    """Numbers the line events of rpool's code; raises `Interrupt` at number `target`."""

    def __init__(self, target: int | None = None) -> None:
        self.target = target
        self.count = 0
        self.lines = 0
        self.skipped = 0
        self.points: list[tuple[str, int]] = []

    def _global(self, frame: FrameType, event: str, arg: object) -> Any:
        if event == "call" and frame.f_code.co_filename.startswith(SOURCE):
            return self._local
        return None

    def _local(self, frame: FrameType, event: str, arg: object) -> Any:
        if event != "line":
            return self._local
        self.lines += 1
        if self.lines == RUNAWAY:
            raise Runaway(f"{RUNAWAY} lines: a loop that never ends ({frame.f_code.co_name})")
        if sys.exc_info()[1] is not None:
            self.skipped += 1
            return self._local
        self.count += 1
        self.points.append((frame.f_code.co_name, frame.f_lineno))
        if self.count == self.target:
            raise Interrupt(f"injected at {frame.f_code.co_name} line {frame.f_lineno}")
        return self._local

    @contextmanager
    def tracing(self) -> Iterator[None]:
        sys.settrace(self._global)
        try:
            yield
        finally:
            sys.settrace(None)


@dataclass
class Run:
    """One pool, its script, the guards the test holds, and what the operation did."""

    pool: Pool[Script, Res]
    script: Script
    guards: list[PoolGuard[Res]] = field(default_factory=list)
    outcome: str = ""
    """"returned", or the name of the exception the operation raised."""
    clock: VirtualClock = field(default_factory=VirtualClock)
    meanwhile: list[Callable[[Run], object]] = field(default_factory=list)
    """What other threads do while the operation's waiter is parked, one action per park."""
    dummies: list[ThreadWaiter] = field(default_factory=list)
    """Waiters queued for threads that stay parked (they never run)."""
    elsewhere: list[BaseException] = field(default_factory=list)
    """What a `meanwhile` action raised: the harness's failure, not the pool's."""
    late: bool = False
    """A parked waiter was rung only by one more ordinary call (see `nudge`)."""


class ScriptedWaiter(ThreadWaiter):
    """A waiter whose park lets the run's other threads act, then returns or times out."""

    run: ClassVar[Run]

    def get(self, block: bool = True, timeout: float | None = None) -> None:
        run = self.run
        if run.meanwhile:
            elsewhere(run, run.meanwhile.pop(0))
        if not self.empty():  # rung: the park returns the token
            return super().get(False)
        if timeout is not None:  # time passes, in no time
            run.clock.expire(timeout)
            raise Empty
        raise Stuck("a waiter parked with no ring to come and no timeout: it would wait forever")


def elsewhere(run: Run, action: Callable[[Run], object]) -> None:
    """Run `action(run)` in another thread, to its end (untraced: the tracer is per thread).

    The other thread has a stack of its own; this one gets room to start and
    join it even at the recursion limit (`at_depth`), so that the action has
    always ended when this returns: either this raises before the thread
    starts, or the action runs to its end first.
    """

    def main() -> None:
        try:
            action(run)
        except BaseException as error:  # reported by check(), as the harness's failure
            run.elsewhere.append(error)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit + 200)
    try:
        thread = threading.Thread(target=main)
        thread.start()
        thread.join()
    finally:
        sys.setrecursionlimit(limit)


# Pool is @final for users; tests subclass it to give waiting its seams (as
# tests/scheduler/instrument.py's ScheduledPool does).
class WaitingPool(Pool[Script, Res]):  # type: ignore[misc]
    """A `Pool` whose waiters park on their run's script, on the run's virtual clock."""

    def attach(self, run: Run) -> None:
        # Instance attributes shadow the class's seams (this subclass has a __dict__).
        self._clock = run.clock
        self._waiter_type = type("ScriptedWaiter", (ScriptedWaiter,), {"run": run})


@dataclass(frozen=True)
class Scenario:
    """An operation on a pool in a given state, run the same way every time.

    `setup` builds the pool (and the guards the test holds); `operation`
    is the one call under test; whatever guard it returns is kept by the run.
    """

    name: str
    mode: ScaleMode
    setup: Callable[[Run], None]
    operation: Callable[[Run], object]
    waits: bool = False
    """The operation is a waiter's: its Leave and PassOn must survive any interrupt."""

    def start(self) -> Run:
        script = Script()
        pool = WaitingPool(Res, self.mode, script)
        run = Run(pool, script)
        pool.attach(run)
        self.setup(run)
        return run

    def run(self, tracer: Tracer | None = None) -> Run:
        """Set up, then run the operation (under `tracer`, if given)."""
        run = self.start()

        def operation() -> object:
            if tracer is None:
                return self.operation(run)
            with tracer.tracing():
                return self.operation(run)

        return _record(run, operation)


def _record(run: Run, operation: Callable[[], object]) -> Run:
    """Call `operation`; note in `run` how it ended, and keep the guard it returned."""
    gc.disable()  # collections at chosen moments only: the runs must repeat
    try:
        result = operation()
        run.outcome = "returned"
    except BaseException as error:  # the outcome is recorded, then checked
        result = None
        run.outcome = type(error).__name__
    finally:
        gc.enable()
    if isinstance(result, PoolGuard):
        run.guards.append(result)
    return run


def maximum_of(mode: ScaleMode) -> int | None:
    return mode.count if isinstance(mode, Static) else mode.maximum


def _places(run: Run) -> list[Res]:
    """Every resource the pool or the test holds, once per place it is found in."""
    found: list[Res] = []
    for item in run.pool._free:
        if not isinstance(item, int):
            found.append(item)
    for item in run.pool._orphans:
        if isinstance(item, list):
            found.extend(item)
        elif type(item) is not int:
            found.append(item)
    for guard in run.guards:
        found.extend(guard._box)
    return found


def _spare(run: Run) -> int:
    units = [item for item in run.pool._free if type(item) is int]
    units += [item for item in run.pool._orphans if type(item) is int]
    return sum(units)


FREE_THREADED = not getattr(sys, "_is_gil_enabled", lambda: True)()


def check(run: Run) -> list[str]:
    """The invariants that must hold at rest, after any run; the violations found.

    A guard or a suspended step that only a reference cycle keeps (an
    exception stored by an asyncio task holds the frames that held it) is
    finalized first: its resource goes to the orphans, as the collector would
    send it later. Collections are off during a run, so the cycle is in the
    youngest generation, which the GIL builds collect in microseconds. The
    free-threaded build has no generations: each collection walks the whole
    heap (tens of milliseconds in a test session, for each of the hundreds of
    runs of a scenario). There the state is checked as it is, and collected
    and checked again only if it is wrong: what a collection can mend, it
    mends; what a late finalizer could break in a sound state is checked by
    the GIL builds, which run the same code and collect every time.
    """
    if FREE_THREADED:
        problems = _check(run)
        if not problems:
            return problems
    gc.collect(0)
    return _check(run)


def _check(run: Run) -> list[str]:
    problems: list[str] = []
    script, pool = run.script, run.pool
    live = [r for r in script.made if not r.closed]
    found = _places(run)
    ids = [r.id for r in found]
    if len(ids) != len(set(ids)):
        problems.append(f"a resource is in two places: {sorted(ids)}")
    if any(r.closed for r in found):
        problems.append(
            f"a closed resource is still held or idle: {[r for r in found if r.closed]}"
        )
    lost = {r.id for r in live} - set(ids)
    if lost:
        problems.append(f"resources lost (alive, in no place): {sorted(lost)}")
    closes = [r.id for r in script.closed]
    if len(closes) != len(set(closes)):
        problems.append(f"a resource was closed twice: {closes}")
    maximum = maximum_of(pool.mode)
    if maximum is not None and len(live) > maximum:
        problems.append(f"{len(live)} live resources, maximum {maximum}")
    stats = pool.stats()
    if stats.capacity != stats.idle + stats.in_use + stats.creating or stats.creating != 0:
        problems.append(f"accounting not whole at rest: {stats}")
    if stats.created - stats.discarded != len(live):
        problems.append(
            f"created - discarded is {stats.created - stats.discarded}, live {len(live)}"
        )
    if maximum is not None and not pool.closed:
        spare = _spare(run)
        if spare + len(live) != maximum:
            problems.append(f"{spare} spare + {len(live)} live units, maximum {maximum}")
    if run.outcome == "Stuck":
        problems.append("a waiter parked with nothing to wake it: it would wait forever")
    if run.outcome == "Runaway":
        problems.append(f"livelock: the operation ran {RUNAWAY} lines without ending")
    zombies = [w for w in pool._waiters if w.alive and not _is_dummy(run, w)]
    if zombies:
        problems.append(
            f"a waiter still queued alive after its caller left: {zombies} "
            "(later callers would queue behind it, and get() yield to it, for good)"
        )
    if run.elsewhere:
        problems.append(f"harness: a meanwhile action raised {run.elsewhere!r}")
    return problems


def _is_dummy(run: Run, waiter: object) -> bool:
    return any(waiter is dummy for dummy in run.dummies)


def unrung(run: Run) -> list[ThreadWaiter]:
    """Parked dummies that should hold a token and do not.

    In an open pool, the head, if anything is idle or spare (it would take
    it); in a closed pool, every live dummy (it would raise PoolClosedError).
    """
    pool = run.pool
    alive = [w for w in pool._waiters if w.alive]
    if pool.closed:
        return [w for w in alive if _is_dummy(run, w) and w.empty()]
    if alive and pool._free and _is_dummy(run, alive[0]) and alive[0].empty():
        return [alive[0]]
    return []


def nudge(run: Run) -> None:
    """One more ordinary call, as the next caller would make: get(), or close() again if closed."""
    gc.disable()
    try:
        if run.pool.closed:
            with suppress(BaseException):
                run.pool.close()
            return
        with suppress(PoolClosedError):
            guard = run.pool.get()
            if guard is not None:
                run.guards.append(guard)
    finally:
        gc.enable()


def settle(run: Run) -> list[str]:
    """Release what the test holds, close the pool, check the end state (no injection)."""
    problems: list[str] = []
    # A planned callback failure may make these raise; the state is checked below.
    for guard in run.guards:
        with suppress(BaseException):
            guard.release()
    run.guards.clear()
    with suppress(BaseException):
        run.pool.close()
    pool = run.pool
    if any(type(item) is not int for item in pool._free):
        problems.append(f"idle resources in a closed pool: {list(pool._free)}")
    if pool._orphans:
        problems.append(f"orphans left after close(): {list(pool._orphans)}")
    open_ = [r for r in run.script.made if not r.closed]
    if open_:
        problems.append(f"resources never closed: {open_}")
    stats = pool.stats()
    if (stats.capacity, stats.idle, stats.in_use, stats.creating) != (0, 0, 0, 0):
        problems.append(f"a closed, settled pool still counts capacity: {stats}")
    if unrung(run):
        problems.append(f"waiters never woken by close(): {unrung(run)}")
    return problems


@dataclass
class Report:
    """What `inject_everywhere` found for one scenario."""

    scenario: str
    points: int
    skipped: int
    outcomes: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    late: int = 0
    """Runs after which a parked waiter was rung only by the next ordinary call."""


def inject_everywhere(scenario: Scenario) -> Report:
    """Run `scenario` once per injection point; check every run."""
    census = Tracer()
    baseline = scenario.run(census)
    report = Report(scenario.name, census.count, census.skipped)
    problems = check(baseline) + _rung(baseline, at_once=True) + settle(baseline)
    if baseline.late:
        problems.append("a waiter was rung late although nothing was interrupted")
    for problem in problems:
        report.failures.append(f"without injection: {problem}")
    if baseline.outcome == "Runaway":
        return report  # every run would run away as well
    for target in range(1, census.count + 1):
        tracer = Tracer(target)
        run = scenario.run(tracer)
        report.outcomes[run.outcome] = report.outcomes.get(run.outcome, 0) + 1
        where = census.points[target - 1]
        problems = check(run) + _rung(run, at_once=scenario.waits) + settle(run)
        report.late += run.late
        for problem in problems:
            report.failures.append(f"interrupt at point {target} {where}: {problem}")
    return report


def _rung(run: Run, at_once: bool) -> list[str]:
    """No waiter stuck: rung now (`at_once`), or at the latest by the next ordinary call."""
    if not unrung(run):
        return []
    if at_once:
        return [f"lost wake-up: {unrung(run)} parked, unrung, with {list(run.pool._free)} free"]
    run.late = True
    nudge(run)
    if unrung(run):
        return [f"{unrung(run)} still unrung after the next call (free: {list(run.pool._free)})"]
    return []


def at_depth(scenario: Scenario, free_frames: int) -> Run:
    """Run `scenario` with only `free_frames` frames left below the recursion limit."""
    run = scenario.start()

    def descend(depth: int) -> object:
        if depth > 0:
            return descend(depth - 1)
        return scenario.operation(run)

    depth = sys.getrecursionlimit() - _depth() - free_frames
    return _record(run, lambda: descend(depth))


def _depth() -> int:
    frame: FrameType | None = sys._getframe()
    depth = 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth
