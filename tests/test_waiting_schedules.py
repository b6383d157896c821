"""Waiting under chosen interleavings: FIFO, no barging, no lost wake-up, nothing lost (issue #11).

Small programs of waiters (`acquire()` with and without a timeout),
releasers, plain `get()`s and `close()`, some with a failing `new()` or
`reset()`, run on a `ScheduledPool` (tests/scheduler): every atomic step of
the pool is a scheduling point, a waiter's park is one too (Park: the
scheduler lets it return only when it was rung, or, if it has a timeout,
makes it time out by moving the pool's virtual clock past its deadline), and
so is each ring. PCT and random choosers pick the interleavings; a failure
names its chooser and seed and prints the schedule, which `ReplayChooser`
replays.

One more thread, the janitor, waits at `quiet()` until every other thread has
finished or is parked for good; then it gives back what finished threads
still hold, and if that wakes nobody, closes the pool, so that every waiter
must finish. What is checked:

- after every step: the capacity bound and grants left of resources (as
  tests/programs.py does), no resource handed out twice (tests/probe.py);
- FIFO: when a waiter pops from the free list, every waiter that enqueued
  before it has left (been served, timed out or closed);
- no barging: a `get()` (or the first try of an `acquire()`) that returns a
  resource did not begin while a waiter was queued that is still queued when
  it returns;
- no lost wake-up: whenever the program is at rest (every thread finished,
  parked with nothing to wake it, or the janitor waiting), no waiter is
  parked while the free list holds anything, none is parked in a closed
  pool, and no orphan exists (these programs never drop a guard, so a guard
  the pool made and dropped shows up there);
- every waiter finishes: served, `PoolTimeout`, `PoolClosedError` (or its
  own `new()`'s error), once the janitor has given back and closed;
- at the end: every resource made is idle, held or discarded, exactly once;
  `stats()` agrees with the resources and with the waiters seen
  (`waiting`, `waited`, `timeouts`); an open bounded pool has every unit
  spare or alive.

`python -m tests.test_waiting_schedules` prints how many schedules and steps
each program explored.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from rpool import AutoScale, PoolClosedError, PoolGuard, PoolTimeout, ScaleMode, Static
from rpool.testing._choosers import PCTChooser, RandomChooser, ReplayChooser
from rpool.testing._explore import bounded_schedules
from rpool.testing._instrument import _CLOSED, ScheduledWaiter
from rpool.testing._scheduler import Chooser, Run, Scheduler, Step, point, quiet
from tests.conftest import record_checked
from tests.probe import Lab, Plan, Probe
from tests.resources import Boom
from tests.scheduler.instrument import ScheduledPool

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::RuntimeWarning")


@pytest.fixture(autouse=True)
def _no_garbage_guards() -> None:
    # Guards that earlier tests left in reference cycles would be finalized
    # during a run, in one of its threads: their Orphan point would be a step.
    gc.collect()


# A thread that is not blocked reaches its next point in microseconds; this
# only bounds how long a run that blocks (a bug) takes to be reported.
TIMEOUT = 5.0

STEPS = 3000
"""A run longer than this is a livelock: the programs below take 20 to 200 steps."""


# --- programs ------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One call of a branch: get, acquire (with `timeout`), release (the last guard held), close."""

    kind: str
    timeout: float | None = None
    new: tuple[str, ...] = ()
    reset: tuple[str, ...] = ()

    def __repr__(self) -> str:
        text = f"acquire({self.timeout})" if self.kind == "acquire" else self.kind
        if self.new:
            text += f" new={','.join(self.new)}"
        if self.reset:
            text += f" reset={','.join(self.reset)}"
        return text


def A(timeout: float | None = None, **plan: tuple[str, ...]) -> Op:
    return Op("acquire", timeout, **plan)


G, R, C = Op("get"), Op("release"), Op("close")


@dataclass(frozen=True)
class Program:
    """A pool shape, the guards each branch holds when it starts, and the branches."""

    mode: ScaleMode
    holds: tuple[int, ...]
    branches: tuple[tuple[Op, ...], ...]


PROGRAMS = {
    # Two waiters queue behind a held resource; a late get() must not barge.
    "release wakes the oldest": Program(
        Static(1), (1, 0, 0, 0), ((R,), (A(), R), (A(), R), (G, R))
    ),
    # The head may time out while the resource comes back: it must pass it on.
    "a head times out": Program(Static(1), (1, 0, 0), ((R,), (A(1.0), R), (A(), R))),
    # Timeouts that pass each other's deadlines, and a waiter behind them.
    "timeouts in a row": Program(
        Static(1), (1, 0, 0, 0), ((R,), (A(2.0), R), (A(1.0), R), (A(), R))
    ),
    # close() wakes everyone queued; later calls see it closed.
    "close wakes waiters": Program(
        Static(1), (1, 0, 0, 0), ((C,), (A(), R), (A(1.0), R), (G, A(0.0)))
    ),
    # A failed reset frees a unit as a grant; the head makes it with its own new(),
    # which may fail too, and the next waiter gets the unit.
    "a grant to the head": Program(
        AutoScale(initial=1, maximum=1),
        (1, 0, 0, 0),
        ((Op("release", reset=("false",)),), (A(new=("raise",)), R), (A(), R), (G, R)),
    ),
    # Static replaces a resource whose reset raised; the replacement is the head's.
    "a replacement for the head": Program(
        Static(1),
        (1, 0, 0),
        ((Op("release", reset=("raise",)),), (A(), R), (G, A(1.0), R)),
    ),
    # Two resources come back while two wait: both rings may reach the head,
    # which takes one (and keeps it) and must pass the other on as it leaves.
    "the served head passes on": Program(Static(2), (2, 0, 0), ((R, R), (A(),), (A(), R))),
    # Waiters that hold a resource while they wait, releasing in turn.
    "waiters release to waiters": Program(
        Static(2), (1, 1, 0), ((A(), R, R), (A(1.0), R, R), (A(), R))
    ),
}


# --- one run -------------------------------------------------------------------


class Ledger(Lab):
    """The probes' lab, which also keeps every resource it made."""

    def __init__(self, maximum: int | None) -> None:
        super().__init__(maximum)
        self.made: list[Tracked] = []


class Tracked(Probe):
    """A probe the ledger keeps, to look for each resource at the end."""

    lab: Ledger

    @classmethod
    def new(cls, lab: Lab) -> Tracked:
        assert isinstance(lab, Ledger)
        probe = super().new(lab)
        lab.made.append(probe)
        return probe


@dataclass
class Call:
    """A get() or acquire() in progress or done, as the checks see it."""

    kind: str
    queued: set[ScheduledWaiter]
    """The waiters queued (alive) when the call began."""
    waiter: ScheduledWaiter | None = None
    """The call's own waiter, once it enqueued."""
    outcome: str | None = None


@dataclass
class Trial:
    """One scheduled run of a program on a fresh pool, with every check."""

    program: Program
    lab: Ledger = field(init=False)
    pool: ScheduledPool[Lab, Tracked] = field(init=False)
    scheduler: Scheduler = field(init=False)

    def __post_init__(self) -> None:
        mode = self.program.mode
        self.maximum = mode.count if isinstance(mode, Static) else mode.maximum
        self.lab = Ledger(self.maximum)
        self.pool = ScheduledPool(Tracked, mode, self.lab)
        count = len(self.program.branches)
        self.janitor = count
        self.held: list[list[PoolGuard[Tracked]]] = [[] for _ in range(count)]
        self.done = [False] * count
        self.calls: dict[int, Call] = {}
        self.ended: list[tuple[int, Call]] = []
        self.outcomes: list[str] = []
        # In enqueue order, with the thread that enqueued each.
        self.waiters: dict[ScheduledWaiter, int] = {}
        self.served: list[ScheduledWaiter] = []
        self.free_before: list[Any] = []
        self.lab.enter(-1)
        for branch, holds in enumerate(self.program.holds):
            for _ in range(holds):
                guard = self.pool.get()
                assert guard is not None
                guard.resource.holder = branch
                self.held[branch].append(guard)
        self.free_before = self.free()

    # --- what the threads do -------------------------------------------------

    def execute(self, chooser: Chooser) -> Run:
        self.scheduler = Scheduler(
            chooser, after_step=self.after_step, timeout=TIMEOUT, wake=self.wake
        )
        count = len(self.program.branches)
        programs = [self.branch(i) for i in range(count)] + [self.clean_up]
        return self.scheduler.run(programs)

    def branch(self, index: int) -> Callable[[], None]:
        def run() -> None:
            self.lab.enter(index)
            for op in self.program.branches[index]:
                self.perform(index, op)
            self.done[index] = True

        return run

    def perform(self, index: int, op: Op) -> None:
        lab, pool, held = self.lab, self.pool, self.held[index]
        if op.kind in ("get", "acquire"):
            call = self.calls[index] = Call(op.kind, self.queued())
            lab.begin(repr(op), Plan(new=op.new))
            guard: PoolGuard[Tracked] | None = None
            try:
                guard = pool.get() if op.kind == "get" else pool.acquire(op.timeout)
            except (PoolTimeout, PoolClosedError, Boom) as error:
                call.outcome = type(error).__name__
            else:
                call.outcome = "None" if guard is None else "resource"
            self.ended.append((index, call))
            self.outcomes.append(call.outcome)
            lab.end(call.outcome)
            if guard is not None:
                lab.handed_out(guard.resource, index)
                held.append(guard)
        elif op.kind == "release":
            if held:
                self.give_back(held.pop(), Plan(new=op.new, reset=op.reset))
        else:
            lab.begin("close", Plan())
            pool.close()
            lab.end("ok")

    def give_back(self, guard: PoolGuard[Tracked], plan: Plan) -> None:
        self.lab.giving_back(guard.resource)
        self.lab.begin(f"release {guard.resource!r}", plan)
        point("Claim", "box.pop")  # release()'s first step is the Claim
        with contextlib.suppress(Boom, TypeError):
            guard.release()
        self.lab.end("ok")

    def clean_up(self) -> None:
        """The janitor: at rest, give back what finished branches hold; then close."""
        self.lab.enter(self.janitor)
        closed = False
        while True:
            quiet()
            if all(self.done):
                return
            guards = [g for i, held in enumerate(self.held) if self.done[i] for g in held]
            if guards:
                for held in (h for i, h in enumerate(self.held) if self.done[i]):
                    held.clear()
                for guard in guards:
                    self.give_back(guard, Plan())
            elif not closed:
                self.lab.begin("close", Plan())
                self.pool.close()
                self.lab.end("ok")
                closed = True
            else:
                return  # waiters parked in a closed pool: the step check reported them

    def wake(self) -> None:
        """After a run that ended early (a failed check): let every waiter finish."""
        with contextlib.suppress(BaseException):
            self.pool.close()
        for waiter in self.waiters:
            waiter.put(None)

    # --- checks ------------------------------------------------------------

    def free(self) -> list[Any]:
        return list(self.pool._free.__iter__())

    def queued(self) -> set[ScheduledWaiter]:
        return {w for w in self.pool._waiters.__iter__() if w.peek_alive()}

    def after_step(self, step: Step) -> None:
        assert step.index < STEPS, f"livelock: {STEPS} steps and the programs are not done"
        # The programs never drop a guard: a finalizer's Orphan step on this
        # pool means the pool dropped one it made (its finalizer then rings,
        # and the resource comes back, so this is the instant to see it).
        if step.action == "Orphan":
            orphans = list(self.pool._orphans.__iter__())
            assert not orphans, f"T{step.thread}: the pool dropped a guard it made: {orphans}"
        free = self.free()
        self.check_capacity(free)
        # Enqueue: a waiter seen for the first time belongs to the step's thread.
        for waiter in self.pool._waiters.__iter__():
            if waiter not in self.waiters:
                self.waiters[waiter] = step.thread
                self.calls[step.thread].waiter = waiter
        popped = step.op == "free.pop" and len(free) == len(self.free_before) - 1
        if popped and free == self.free_before[:-1]:
            self.check_fifo(step.thread, self.free_before[-1])
        self.free_before = free
        for thread, call in self.ended:
            self.check_no_barging(thread, call)
        self.ended.clear()
        if self.at_rest():
            self.check_at_rest(free, self.scheduler.parked())

    def check_capacity(self, free: list[Any]) -> None:
        kinds = [type(item) is int for item in free]
        assert kinds == sorted(kinds, reverse=True), f"a grant right of a resource: {free}"
        assert not self.lab.violations, self.lab.violations
        if self.maximum is not None and not _CLOSED.__get__(self.pool):
            spare = sum(item for item in free if type(item) is int)
            used = self.lab.alive + self.lab.creating
            assert spare + used <= self.maximum, (
                f"capacity duplicated: {spare} spare + {used} alive or being created"
            )

    def check_fifo(self, thread: int, item: object) -> None:
        call = self.calls.get(thread)
        waiter = None if call is None else call.waiter
        if waiter is None or not waiter.peek_alive():
            return  # not a waiter's pop
        older = list(itertools.takewhile(lambda w: w is not waiter, self.waiters))
        ahead = [f"T{self.waiters[w]}" for w in older if w.peek_alive()]
        assert not ahead, (
            f"FIFO: T{thread}'s waiter took {item!r} while older waiters still wait: {ahead}"
        )
        self.served.append(waiter)

    def check_no_barging(self, thread: int, call: Call) -> None:
        if call.outcome != "resource" or call.waiter is not None:
            return
        still = [f"T{self.waiters[w]}" for w in call.queued if w.peek_alive()]
        assert not still, (
            f"barging: T{thread}'s {call.kind}() returned a resource although "
            f"{still} queued before it began and still waits"
        )

    def at_rest(self) -> bool:
        parked = self.scheduler.parked()
        return all(
            i in parked or (i == self.janitor and self.scheduler.waiting(i) == "Quiet")
            for i in range(self.janitor + 1)
            if i not in self.scheduler._run.finished
        )

    def check_at_rest(self, free: list[Any], parked_now: set[int]) -> None:
        parked = sorted(parked_now)
        if parked and free and not _CLOSED.__get__(self.pool):
            raise AssertionError(f"lost wake-up: {parked} parked while the free list has {free}")
        if parked and _CLOSED.__get__(self.pool):
            raise AssertionError(f"waiters never finish: {parked} parked in a closed pool")
        orphans = list(self.pool._orphans.__iter__())
        assert not orphans, f"the pool dropped a guard it made: orphans {orphans}"

    def verify(self, run: Run) -> None:
        """The end of the run: everyone finished, nothing lost, stats add up."""
        where = run.describe()
        assert run.failure is None, f"{run.failure}\n{where}"
        assert run.blocked is None and not run.errors, f"{run.errors}\n{where}"
        assert not run.parked, f"threads never finished: {run.parked}\n{where}"
        assert not self.lab.violations, f"{self.lab.violations}\n{where}"
        allowed = {"resource", "None", "PoolTimeout", "PoolClosedError", "Boom"}
        assert set(self.outcomes) <= allowed, self.outcomes
        free = self.free()
        idle = [item for item in free if type(item) is not int]
        held = [g.resource for held in self.held for g in held]
        places = idle + held + list(self.pool._orphans.__iter__())
        live = [probe for probe in self.lab.made if not probe.closed]
        assert sorted(map(id, places)) == sorted(map(id, live)), (
            f"resources lost or duplicated: live {live}, idle {idle}, held {held}\n{where}"
        )
        stats = self.pool.stats()
        events = [e for log in self.lab.logs.values() for e in log]
        expected = dict(
            capacity=len(live),
            idle=len(idle),
            in_use=len(held),
            creating=0,
            created=len(self.lab.made),
            failed=sum(e.kind == "new-raised" for e in events),
            discarded=sum(probe.closed for probe in self.lab.made),
            waiting=0,
            waited=len(self.waiters),
            timeouts=self.outcomes.count("PoolTimeout"),
        )
        actual = {name: getattr(stats, name) for name in expected}
        assert actual == expected, f"stats {actual}, the run says {expected}\n{where}"
        assert sum(stats.wait_histogram) == len(self.waiters)
        if self.pool.closed:
            assert not idle, f"a closed pool keeps {idle} idle"
        elif self.maximum is not None:
            spare = sum(item for item in free if type(item) is int)
            assert len(live) + spare == self.maximum, "capacity was lost or made"

    def settle(self) -> None:
        """Give everything back and close; every resource is then discarded exactly once."""
        for held in self.held:
            while held:
                guard = held.pop()
                self.lab.giving_back(guard.resource)
                with contextlib.suppress(Boom, TypeError):
                    guard.release()
        self.pool.close()
        assert all(probe.closed for probe in self.lab.made)
        assert not self.lab.violations, self.lab.violations


def run_once(program: Program, chooser: Chooser) -> tuple[Run, Trial]:
    """Run `program` once; the caller must `settle()` the trial.

    A trial and its scheduler refer to each other, so only the garbage
    collector frees them: guards left in an unsettled trial would be
    finalized at some later allocation, in whatever thread makes it, and
    their Orphan point would become a step of another run.
    """
    trial = Trial(program)
    run = trial.execute(chooser)
    return run, trial


def check(program: Program, chooser: Chooser, name: str) -> Run:
    run, trial = run_once(program, chooser)
    try:
        trial.verify(run)
        trial.settle()
    except AssertionError as failure:
        with contextlib.suppress(BaseException):
            trial.settle()
        raise AssertionError(f"{name}: {failure}\nreplay: ReplayChooser({run.schedule})") from None
    return run


# --- exploration -----------------------------------------------------------------

SEEDS = 60
"""Runs per chooser and program; with two PCT depths and random, 180 runs per program."""


def choosers(program: Program, seeds: int = SEEDS) -> Iterator[tuple[str, Chooser]]:
    threads = len(program.branches) + 1
    length = len(check(program, ReplayChooser([]), "no preemption").steps)
    for seed in range(seeds):
        yield f"PCT(seed={seed}, depth=2)", PCTChooser(seed, threads, 2, length)
        yield f"PCT(seed={seed}, depth=3)", PCTChooser(seed, threads, 3, length)
        yield f"Random(seed={seed})", RandomChooser(seed)


def explore(name: str, seeds: int = SEEDS) -> tuple[int, int]:
    """Run every chooser on program `name`; (runs, steps)."""
    program = PROGRAMS[name]
    runs = steps = 0
    for label, chooser in choosers(program, seeds):
        run = check(program, chooser, f"{name}, {label}")
        runs += 1
        steps += len(run.steps)
    return runs, steps


@pytest.mark.parametrize("name", PROGRAMS)
def test_waiters_are_served_in_order_and_nothing_is_lost_in_explored_schedules(name: str) -> None:
    runs, steps = explore(name)
    record_checked("waiting schedules (PCT and random)", runs=runs, steps=steps)


# Every schedule with at most one preemption (a switch away from a thread that
# could go on) of the smallest programs: a few hundred runs each. Larger
# programs or bounds run to thousands of schedules (tens of seconds).
BOUNDED = {
    "a release wakes the waiter": Program(Static(1), (1, 0), ((R,), (A(),))),
    "a release races a timeout": Program(Static(1), (1, 0), ((R,), (A(1.0),))),
}


@pytest.mark.parametrize("name", BOUNDED)
def test_every_schedule_with_one_preemption_keeps_the_promises(name: str) -> None:
    runs, steps = explore_bounded(name)
    record_checked("waiting schedules (at most one preemption)", runs=runs, steps=steps)


def explore_bounded(name: str) -> tuple[int, int]:
    program = BOUNDED[name]
    runs = steps = 0
    for run in bounded_schedules(lambda chooser: check(program, chooser, name), 1):
        runs += 1
        steps += len(run.steps)
    return runs, steps


# --- the harness ---------------------------------------------------------------------


def test_a_run_replays_exactly() -> None:
    program = PROGRAMS["a head times out"]
    first, trial = run_once(program, RandomChooser(7))
    trial.settle()
    again, trial = run_once(program, ReplayChooser(first.schedule))
    trial.settle()
    assert again.steps == first.steps


def test_a_timed_waiter_times_out_on_the_virtual_clock_in_no_time() -> None:
    program = Program(Static(1), (1, 0), ((), (A(5.0),)))
    began = time.perf_counter()
    run, trial = run_once(program, ReplayChooser([]))
    assert time.perf_counter() - began < 1.0
    assert trial.outcomes == ["PoolTimeout"]
    assert 5.0 < trial.pool.clock() < 5.0 + 1e-9
    assert [s.op for s in run.steps if s.action == "Park"] == ["waiter.get"]
    trial.verify(run)
    trial.settle()


def test_a_parked_waiter_is_not_runnable_until_rung() -> None:
    # T0 holds the only resource and waits for another, with no timeout: it
    # parks, the janitor (T1) finds nothing to give back and closes the pool,
    # whose ring lets T0 finish.
    program = Program(Static(1), (1,), ((A(),),))
    run, trial = run_once(program, ReplayChooser([]))
    assert trial.outcomes == ["PoolClosedError"]
    assert [s.thread for s in run.steps if s.action == "Park"] == [0]  # once, rung by close()
    assert [s.op for s in run.steps if s.action == "Ring"] == ["waiter.put"]
    trial.verify(run)
    trial.settle()


def test_a_run_whose_waiter_can_never_return_ends_with_it_parked() -> None:
    pool = ScheduledPool(Tracked, Static(1), Ledger(1))
    guard = pool.get()
    scheduler = Scheduler(ReplayChooser([]), timeout=TIMEOUT, wake=pool.close)
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            pool.acquire()
        except PoolClosedError as error:
            outcome.append(error)

    run = scheduler.run([wait])
    assert run.parked == {0} and run.blocked is None
    assert outcome and isinstance(outcome[0], PoolClosedError)  # woken by `wake`
    assert guard is not None


def waiting_trial() -> tuple[Trial, ScheduledWaiter, ScheduledWaiter]:
    """A trial whose pool has two waiters queued, T1's then T2's, as the checks see them."""
    trial = Trial(Program(Static(1), (1, 0, 0), ((), (), ())))
    older, newer = trial.pool._waiter_type(), trial.pool._waiter_type()
    assert isinstance(older, ScheduledWaiter) and isinstance(newer, ScheduledWaiter)
    for thread, waiter in ((1, older), (2, newer)):
        trial.pool._waiters.append(waiter)
        trial.waiters[waiter] = thread
        trial.calls[thread] = Call("acquire", set(), waiter)
    return trial, older, newer


def test_the_checks_see_a_lost_wakeup_and_a_waiter_parked_in_a_closed_pool() -> None:
    trial, _, _ = waiting_trial()
    trial.check_at_rest(trial.free(), {1, 2})
    guard = trial.held[0].pop()  # kept: a dropped guard's finalizer would orphan r0
    trial.pool._free.append(guard._box.pop())
    with pytest.raises(AssertionError, match="lost wake-up"):
        trial.check_at_rest(trial.free(), {1, 2})
    trial.pool.close()
    with pytest.raises(AssertionError, match="never finish"):
        trial.check_at_rest(trial.free(), {1, 2})


def test_the_checks_see_a_waiter_served_out_of_order() -> None:
    trial, _, _ = waiting_trial()
    with pytest.raises(AssertionError, match="FIFO"):
        trial.check_fifo(2, "r0")
    trial.check_fifo(1, "r0")


def test_the_checks_see_a_get_that_barges() -> None:
    trial, older, _ = waiting_trial()
    with pytest.raises(AssertionError, match="barging"):
        trial.check_no_barging(0, Call("get", {older}, outcome="resource"))
    trial.check_no_barging(0, Call("get", {older}, outcome="None"))
    trial.check_no_barging(0, Call("get", set(), outcome="resource"))


def main() -> None:
    """Print what each program explored: `python -m tests.test_waiting_schedules`."""
    total_runs = total_steps = 0
    print("| program | threads | runs | steps | seconds |")
    print("|---|---:|---:|---:|---:|")
    for name, program in PROGRAMS.items():
        began = time.perf_counter()
        runs, steps = explore(name)
        total_runs += runs
        total_steps += steps
        seconds = time.perf_counter() - began
        threads = len(program.branches) + 1
        print(f"| {name} | {threads} | {runs} | {steps} | {seconds:.1f} |")
    for name, program in BOUNDED.items():
        began = time.perf_counter()
        runs, steps = explore_bounded(name)
        total_runs += runs
        total_steps += steps
        seconds = time.perf_counter() - began
        threads = len(program.branches) + 1
        print(
            f"| {name} (every schedule, ≤ 1 preemption) | {threads} | {runs} | {steps} "
            f"| {seconds:.1f} |"
        )
    print(f"\n{total_runs} schedules, {total_steps} steps")


if __name__ == "__main__":
    main()
