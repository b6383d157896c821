"""Parallel programs with waiting: `acquire(timeout)` beside get, release and close.

The programs and trials of tests/programs.py, with one more command,
`Acquire(timeout)`, and a pool that logs what its waiters do. `LoggedPool` is
a test-only subclass of `Pool` (as tests/scheduler/instrument.py's is) whose
test seams log, in the calling thread's log (tests/probe.py):

- `_waiter_type`, a `ThreadWaiter` that logs "wait" when it is made (the
  acquire()'s get() found nothing and the caller is about to enqueue,
  `Pool._wait`), and "park" and "woke" around each park
  (`SimpleQueue.get(timeout=...)`);
- `_clock`, `time.monotonic` that logs "clock" first. In `waiting()` the
  first read after "wait" comes before the Enqueue, and each later one
  (with a timeout) right after a look as the head.

tests/lincheck/history.py reads them to bound the waiter's Enqueue (before
its second clock read or its first park, by when it has looked as the head
once) and its end (after its last wake); without them both could only be
placed anywhere in the call.

The timeouts are real and small: the checker decides what is legal, not the
timing, so a waiter may time out or be served, either way.

`ScheduledLoggedPool` logs the same events from a `ScheduledPool`
(tests/scheduler), whose waiters park at scheduling points and whose clock
moves only when the scheduler lets a park time out: one chosen interleaving
of these histories, replayed exactly (tests/test_parallel.py pins the races
the real threads met that way).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from hypothesis import strategies as st

from rpool import AutoScale, Pool, PoolClosedError, PoolGuard, PoolTimeout, ScaleMode, Static
from rpool._waiters import ThreadWaiter
from rpool.testing import Verdict, check
from tests.lincheck.history import operations, resources_consistent
from tests.lincheck.spec import Input, PoolSpec, SpecState
from tests.probe import Lab, Plan, Probe
from tests.programs import Command, Program, Trial
from tests.resources import Boom
from tests.scheduler.instrument import ScheduledPool

__all__ = ["Acquire", "LoggedPool", "ScheduledLoggedPool", "WaitingTrial", "waiting_programs"]

TIMEOUTS = (0.0, 0.0005, 0.002, 0.01)
"""Seconds: try once, or wait a little; long enough for another thread to release."""


class LoggedWaiter(ThreadWaiter):
    """A thread's waiter that logs "wait", then "park" and "woke" around each park."""

    __slots__ = ()
    lab: ClassVar[Lab]

    def __init__(self) -> None:
        super().__init__()
        self.lab.log("wait")

    def get(self, block: bool = True, timeout: float | None = None) -> None:
        self.lab.log("park")
        try:
            return super().get(block, timeout)
        finally:
            self.lab.log("woke")


def logged_clock(lab: Lab) -> Callable[[], float]:
    """`time.monotonic`, each read logged as "clock" first."""

    def clock() -> float:
        lab.log("clock")
        return time.monotonic()

    return clock


class LoggedPool(Pool[Lab, Probe]):  # type: ignore[misc]  # Pool is final for users, not for tests
    """A `Pool` whose waiters and clock log into its `Lab` (the context)."""

    __slots__ = ("_clock", "_waiter_type")

    def __init__(self, resource: Any, mode: ScaleMode, context: Lab) -> None:
        super().__init__(resource, mode, context)
        self._waiter_type = type("LabWaiter", (LoggedWaiter,), {"__slots__": (), "lab": context})
        self._clock = logged_clock(context)


class ScheduledLoggedPool(ScheduledPool[Lab, Probe]):  # type: ignore[misc]  # Pool is final for users
    """A `ScheduledPool` whose waiters and virtual clock log into its `Lab`, as `LoggedPool`'s."""

    def __init__(self, resource: Any, mode: ScaleMode, context: Lab) -> None:
        super().__init__(resource, mode, context)
        self._waiter_type = type(
            "LabWaiter", (LoggedWaiter, self._waiter_type), {"__slots__": (), "lab": context}
        )
        read = self.clock

        def clock() -> float:
            context.log("clock")
            return read()

        self._clock = clock


@dataclass(frozen=True)
class Acquire(Command):
    """`acquire(timeout)`; `new` is the plan for a growth, by its get() or as the head."""

    kind: str = "acquire"
    timeout: float = 0.0

    def __repr__(self) -> str:
        plan = f" new={','.join(self.new)}" if self.new else ""
        return f"acquire {self.timeout}{plan}"


@dataclass
class WaitingTrial(Trial):
    """A `Trial` whose branches may also acquire; judged against the FIFO blocking spec."""

    pool_type: type[Pool[Lab, Probe]] = LoggedPool
    late_timeouts: int = 0
    """Histories that passed only with timeouts split (the races of test_parallel.py's
    `race("look")` and `held_past_a_timeout()`); the others passed as they are."""

    def perform(self, process: int, command: Command, held: list[PoolGuard[Probe]]) -> None:
        if not isinstance(command, Acquire):
            super().perform(process, command, held)
            return
        lab = self.lab
        lab.begin(f"acquire {command.timeout}", Plan(new=command.new))
        try:
            guard = self.pool.acquire(command.timeout)
        except (PoolTimeout, PoolClosedError) as error:
            lab.end(type(error).__name__)
            return
        except Boom as error:
            lab.end(f"Boom({error})")
            return
        lab.end(repr(guard.resource), guard.resource.number)
        lab.handed_out(guard.resource, process)
        held.append(guard)

    def linearizability(
        self, atomic_get: bool = False, split_timeouts: bool = False
    ) -> Verdict[SpecState, Input]:
        """The verdict on the history; if it fails, the verdict with timeouts split, if that passes.

        A pass of the second kind is counted in `late_timeouts`: the history
        shows one of the known races of a timeout with an item in flight
        (tests/lincheck/spec.py, `Leave(w, "decide")`), and nothing else wrong.
        """
        strict = self.verdict(atomic_get, split_timeouts)
        if strict.ok or split_timeouts:
            return strict
        split = self.verdict(atomic_get, split_timeouts=True)
        if split.ok:
            self.late_timeouts += 1
            return split
        return strict

    def verdict(
        self, atomic_get: bool, split_timeouts: bool, atomic_takes: bool = False
    ) -> Verdict[SpecState, Input]:
        """The verdict with the options of `operations`, without fallback."""
        logs = {p: events for p, events in self.lab.logs.items() if p >= 0}
        replaces = isinstance(self.program.mode, Static)
        ops = operations(
            logs, replaces, not atomic_get, split_timeouts=split_timeouts, atomic_takes=atomic_takes
        )
        spec = PoolSpec(bounded=self.maximum is not None)
        return check(ops, self.start, spec.step, resources_consistent(ops))


def _shapes() -> st.SearchStrategy[ScaleMode]:
    """Small bounded pools: waiting needs the capacity to run out."""
    return st.one_of(
        st.builds(Static, count=st.integers(1, 2)),
        st.integers(0, 1).flatmap(
            lambda initial: st.builds(
                AutoScale,
                initial=st.just(initial),
                maximum=st.integers(max(initial, 1), 3),
                chunk_size=st.integers(0, 2),
            )
        ),
    )


_NEW = st.lists(st.sampled_from(["ok", "ok", "raise"]), max_size=2).map(tuple)
_RESET = st.lists(st.sampled_from(["ok", "ok", "false", "raise"]), max_size=2).map(tuple)


def _commands() -> st.SearchStrategy[Command]:
    acquire = st.builds(Acquire, timeout=st.sampled_from(TIMEOUTS), new=_NEW)
    release = st.builds(Command, st.just("release"), st.integers(0, 3), new=_NEW, reset=_RESET)
    get = st.builds(Command, st.just("get"), new=_NEW)
    return st.one_of(acquire, acquire, acquire, release, release, release, get)


@st.composite
def waiting_programs(draw: st.DrawFn, threads: int = 3, length: int = 5) -> Program:
    """A small bounded pool, most of it taken by the prefix (the branches hold what it
    took), then 2 to `threads` branches of acquires, releases and gets; in one program
    out of four a branch ends by dropping a guard or closing the pool."""
    mode = draw(_shapes())
    maximum = mode.count if isinstance(mode, Static) else mode.maximum
    assert maximum is not None
    prefix = (Command("get"),) * draw(st.integers(0, maximum))
    count = draw(st.integers(2, threads))
    branches = draw(
        st.lists(
            st.lists(_commands(), min_size=1, max_size=length),
            min_size=count,
            max_size=count,
        )
    )
    if draw(st.integers(0, 3)) == 0:
        last = draw(st.sampled_from([Command("close"), Command("drop")]), label="last")
        branches[draw(st.integers(0, count - 1))].append(last)
    return Program(mode, prefix, tuple(tuple(branch) for branch in branches))
