"""The scheduler runs one thread at a time, replays exactly, explores what it claims.

These check the tool the parallel and lock-freedom tests rely on: if it let
two threads run at once, or replayed differently, or skipped interleavings,
those tests would prove less than they say.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from math import comb

from rpool import AutoScale, Static
from rpool.testing._choosers import PCTChooser, RandomChooser, ReplayChooser, ScriptChooser
from rpool.testing._explore import bounded_schedules
from rpool.testing._scheduler import Chooser, Run, Scheduler, point, quiet
from tests.conftest import gil_enabled
from tests.programs import Command, Program, Trial
from tests.scheduler.instrument import ScheduledPool


def stepper(points: int, inside: list[int], overlaps: list[int]) -> Callable[[], None]:
    def body() -> None:
        for _ in range(points):
            inside.append(1)
            if len(inside) > 1:
                overlaps.append(1)
            inside.pop()
            point(None, "step")

    return body


def test_only_one_thread_runs_at_a_time() -> None:
    inside: list[int] = []
    overlaps: list[int] = []
    for seed in range(20):
        programs = [stepper(5, inside, overlaps) for _ in range(3)]
        run = Scheduler(RandomChooser(seed)).run(programs)
        assert run.finished == {0, 1, 2}
    assert not overlaps


def pool_run(chooser: Chooser) -> tuple[Run, Trial]:
    program = Program(
        AutoScale(initial=1, maximum=3, chunk_size=2),
        (),
        ((Command("get"), Command("release", reset=("false",))), (Command("get"), Command("get"))),
    )
    trial = Trial(program, ScheduledPool)
    run = Scheduler(chooser).run(trial.programs())
    trial.release_all()
    return run, trial


def events(trial: Trial) -> list[list[tuple[str, int | None, str]]]:
    return [[(e.kind, e.number, e.detail) for e in log] for log in trial.lab.logs.values()]


def test_a_recorded_schedule_replays_the_same_steps_and_events() -> None:
    for seed in range(10):
        first, first_trial = pool_run(RandomChooser(seed))
        again, again_trial = pool_run(ReplayChooser(first.schedule))
        assert again.steps == first.steps
        strip = [
            [(e.kind, e.number, e.detail) for e in log] for log in first_trial.lab.logs.values()
        ]
        same = [
            [(e.kind, e.number, e.detail) for e in log] for log in again_trial.lab.logs.values()
        ]
        assert strip == same


def test_bounded_exploration_runs_every_interleaving_exactly_once() -> None:
    def execute(chooser: Chooser) -> Run:
        return Scheduler(chooser).run([stepper(2, [], []), stepper(2, [], [])])

    # Each thread takes 3 steps (start, then one per point): C(6, 3) interleavings.
    orders = [tuple(run.schedule) for run in bounded_schedules(execute, preemptions=10)]
    assert len(orders) == len(set(orders)) == comb(6, 3)
    # Without preemption, a thread only gives way when it ends: who starts decides.
    assert len(list(bounded_schedules(execute, preemptions=0))) == 2


class Counter:
    """A read-modify-write with a scheduling point between read and write."""

    def __init__(self) -> None:
        self.value = 0

    def increment(self) -> None:
        seen = self.value
        point(None, "write")
        self.value = seen + 1


def lost_update(chooser: Chooser) -> tuple[Run, Counter]:
    counter = Counter()
    return Scheduler(chooser).run([counter.increment, counter.increment]), counter


def test_one_preemption_finds_a_lost_update_and_none_cannot() -> None:
    def found(preemptions: int) -> bool:
        runs: list[tuple[Run, Counter]] = []

        def execute(chooser: Chooser) -> Run:
            runs.append(lost_update(chooser))
            return runs[-1][0]

        list(bounded_schedules(execute, preemptions))
        return any(counter.value == 1 for _, counter in runs)

    assert not found(0)
    assert found(1)


def test_pct_finds_the_lost_update_and_its_schedule_replays_it() -> None:
    failing = [
        run
        for seed in range(30)
        for run, counter in [lost_update(PCTChooser(seed, threads=2, depth=2, length=4))]
        if counter.value == 1
    ]
    assert failing
    _, counter = lost_update(ReplayChooser(failing[0].schedule))
    assert counter.value == 1


def test_script_choices_of_zero_never_switch_threads() -> None:
    run, _ = lost_update(ScriptChooser([]))
    assert run.schedule == [0, 0, 1, 1]  # each thread: its start, then its write


def test_a_thread_blocked_outside_the_scheduler_is_reported() -> None:
    lock = threading.Lock()

    def holder() -> None:
        with lock:
            point(None, "inside")

    def waiter() -> None:
        with lock:
            pass

    # The holder takes the lock and stops at its point; the waiter then blocks.
    run = Scheduler(ReplayChooser([0, 1]), timeout=0.2).run([holder, waiter])
    assert run.blocked == 1


def test_a_stopped_thread_stays_stopped_until_the_block_ends() -> None:
    counter = Counter()
    scheduler = Scheduler(ScriptChooser([]), stop=lambda thread, steps: thread == 0 and steps >= 1)
    with scheduler.running([counter.increment, counter.increment]) as run:
        assert run.stopped == {0}
        assert run.finished == {1}
        assert counter.value == 1
    assert run.finished == {0, 1}


def test_each_pool_step_is_named_by_its_model_action() -> None:
    program = Program(Static(count=1), (Command("get"),), ((Command("release"), Command("get")),))
    trial = Trial(program, ScheduledPool)
    run = Scheduler(ScriptChooser([])).run(trial.programs())
    trial.release_all()
    actions = [step.action for step in run.steps]
    assert actions == [
        "Start",
        "Claim",
        "Reset",
        "CheckClosed",
        "PutIdle",
        "CheckClosed",
        "CheckWaiters",
        "TakeOrphan",
        "CheckClosed",
        "TakeFree",
        "TakeFree",
        "CheckWaiters",
    ]


class Finalized:
    """An object whose finalizer reaches a scheduling point, as a guard's Orphan does."""

    def __del__(self) -> None:
        point("Orphan", "finalize")


def test_a_finalizer_s_point_is_a_step_of_its_own_in_whichever_thread_runs_it() -> None:
    # Thread 1 makes the object and keeps going; thread 0 drops the last
    # reference. The GIL build finalizes in thread 0, inside its step; the
    # free-threaded build in thread 1, when it is next let go: that step is
    # cut short ("finalizer") and thread 1 stops at its own point again.
    box: list[Finalized] = []

    def maker() -> None:
        box.append(Finalized())
        point(None, "one")
        point(None, "two")

    def dropper() -> None:
        point(None, "drop")
        box.pop()
        point(None, "after")

    # Thread 1 makes the object and stops at "one"; thread 0 then runs to its
    # end (past the replayed schedule, the lowest runnable thread goes), then 1.
    run = Scheduler(ReplayChooser([1])).run([dropper, maker])
    assert run.finished == {0, 1} and not run.errors and run.blocked is None
    ops = [(s.thread, s.op) for s in run.steps]
    start = [(1, "start"), (0, "start"), (0, "drop")]
    if gil_enabled():
        assert ops == [*start, (0, "finalize"), (0, "after"), (1, "one"), (1, "two")]
    else:
        cut = [(1, "finalizer"), (1, "finalize")]
        assert ops == [*start, (0, "after"), *cut, (1, "one"), (1, "two")]
    assert [s.action for s in run.steps if s.op == "finalize"] == ["Orphan"]


def test_a_finished_thread_s_finalizers_wait_for_the_end_of_the_run() -> None:
    # Thread 1 makes the object and finishes; thread 0 then drops it. The
    # free-threaded build queues the finalizer for thread 1, which waits,
    # parked, until the run ends: the finalizer runs after it, never in the
    # middle of another thread's step. The GIL build runs it in thread 0.
    box: list[Finalized] = []

    def maker() -> None:
        box.append(Finalized())

    def dropper() -> None:
        point(None, "drop")
        box.pop()
        point(None, "after")

    run = Scheduler(ReplayChooser([1])).run([dropper, maker])
    assert run.finished == {0, 1} and not run.errors and run.blocked is None
    ops = [(s.thread, s.op) for s in run.steps]
    if gil_enabled():
        assert ops == [(1, "start"), (0, "start"), (0, "drop"), (0, "finalize"), (0, "after")]
    else:
        assert ops == [(1, "start"), (0, "start"), (0, "drop"), (0, "after")]


class Gate:
    """A thread parks at `wait()` until another calls `open()`; both are points."""

    def __init__(self) -> None:
        self.is_open = False

    def wait(self) -> None:
        point("Park", "gate.wait", ready=lambda: self.is_open)

    def open(self) -> None:
        point(None, "gate.open")
        self.is_open = True


def test_a_parked_thread_is_never_chosen_until_it_is_ready() -> None:
    for seed in range(20):
        gate = Gate()
        order: list[str] = []

        def waiter(gate: Gate = gate, order: list[str] = order) -> None:
            gate.wait()
            order.append("through")

        def opener(gate: Gate = gate, order: list[str] = order) -> None:
            point(None, "before")
            order.append("opening")
            gate.open()

        run = Scheduler(RandomChooser(seed)).run([waiter, opener])
        assert run.finished == {0, 1} and not run.parked
        assert order == ["opening", "through"]
        # Once parked at the gate, T0 is chosen only after T1's open() step.
        park = next(s.index for s in run.steps if s.op == "gate.wait")
        opened = next(s.index for s in run.steps if s.op == "gate.open")
        assert park > opened


def test_a_run_where_everyone_left_is_parked_ends_and_says_who() -> None:
    gate = Gate()
    woken: list[int] = []
    run = Scheduler(ReplayChooser([]), timeout=1.0, wake=lambda: woken.append(1)).run(
        [gate.wait, lambda: point(None, "other")]
    )
    assert run.parked == {0} and run.blocked is None
    # `wake` was called, and once the run let it go, T0 passed its point freely.
    assert woken == [1] and run.finished == {0, 1}
    assert "parked for good: T0" in run.describe()


def test_quiet_waits_until_every_other_thread_has_finished_or_is_parked() -> None:
    gate = Gate()
    seen: list[tuple[str, set[int]]] = []
    scheduler: Scheduler

    def janitor() -> None:
        quiet()
        seen.append(("quiet", scheduler.parked()))
        gate.open()

    def worker() -> None:
        for _ in range(3):
            point(None, "work")

    for seed in range(10):
        gate = Gate()
        seen.clear()
        scheduler = Scheduler(RandomChooser(seed))
        run = scheduler.run([janitor, gate.wait, worker])
        assert run.finished == {0, 1, 2}
        # The janitor went on only once the worker had finished and T1 was parked.
        quiet_at = next(s.index for s in run.steps if s.op == "quiet")
        assert [s.index for s in run.steps if s.op == "work"][-1] < quiet_at
        assert seen == [("quiet", {1})]
