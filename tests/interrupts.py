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
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import rpool
from rpool import Pool, PoolGuard, ScaleMode, Static

from .resources import Res, Script

__all__ = [
    "Interrupt",
    "Report",
    "Run",
    "Scenario",
    "Tracer",
    "at_depth",
    "check",
    "inject_everywhere",
    "settle",
]

SOURCE = str(Path(rpool.__file__).resolve().parent)


class Interrupt(BaseException):
    """The injected exception: like KeyboardInterrupt, not an Exception."""


class Tracer:
    """Numbers the line events of rpool's code; raises `Interrupt` at number `target`."""

    def __init__(self, target: int | None = None) -> None:
        self.target = target
        self.count = 0
        self.skipped = 0
        self.points: list[tuple[str, int]] = []

    def _global(self, frame: FrameType, event: str, arg: object) -> Any:
        if event == "call" and frame.f_code.co_filename.startswith(SOURCE):
            return self._local
        return None

    def _local(self, frame: FrameType, event: str, arg: object) -> Any:
        if event != "line":
            return self._local
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

    def start(self) -> Run:
        script = Script()
        run = Run(Pool(Res, self.mode, script), script)
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


def check(run: Run) -> list[str]:
    """The invariants that must hold at rest, after any run; the violations found."""
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
    return problems


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
    return problems


@dataclass
class Report:
    """What `inject_everywhere` found for one scenario."""

    scenario: str
    points: int
    skipped: int
    outcomes: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def inject_everywhere(scenario: Scenario) -> Report:
    """Run `scenario` once per injection point; check every run."""
    census = Tracer()
    baseline = scenario.run(census)
    report = Report(scenario.name, census.count, census.skipped)
    for problem in check(baseline) + settle(baseline):
        report.failures.append(f"without injection: {problem}")
    for target in range(1, census.count + 1):
        tracer = Tracer(target)
        run = scenario.run(tracer)
        report.outcomes[run.outcome] = report.outcomes.get(run.outcome, 0) + 1
        where = census.points[target - 1]
        for problem in check(run) + settle(run):
            report.failures.append(f"interrupt at point {target} {where}: {problem}")
    return report


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
