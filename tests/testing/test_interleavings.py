"""`interleave` and `explore` find a deadlock that only some orders of two user threads reach.

The user-style example: `Copier.copy(source, target)` holds a connection of
each of two Static(1) pools, taking the source's first. Two threads copying
in opposite directions deadlock when each takes its first connection before
the other has taken its second; any other order passes. The fix takes the
two in one global order. The tools must find a failing order (by seed, by
Hypothesis and by exhaustive exploration), replay it exactly, and pass every
order of the fixed version. The other tests pin the API's contracts.
(docs/testing-your-code.md has a worked check-then-act race, run by
tests/test_docs_examples.py.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

import pytest
from hypothesis import given, settings

from rpool import Pool, PoolClosedError, PoolTimeout, Static
from rpool.testing import (
    FakeClock,
    Interleaving,
    InterleavingFailure,
    ReplayDivergedError,
    Schedule,
    ScheduledPool,
    explore,
    interleave,
)
from rpool.testing.strategies import schedule_choices


class Conn:
    """A connection to one database."""

    def __init__(self, name: str) -> None:
        self.name = name

    @classmethod
    def new(cls, name: str) -> Self:
        return cls(name)

    def reset(self) -> bool:
        return True


@dataclass
class Copier:
    """Copies rows between two databases, holding one connection to each."""

    left: Pool[str, Conn]
    right: Pool[str, Conn]
    ordered: bool = False
    """The fix: take the two connections in one order, whatever the direction."""
    timeout: float | None = None
    copied: list[str] = field(default_factory=list)

    def copy(self, source: Pool[str, Conn], target: Pool[str, Conn]) -> None:
        first, second = (self.left, self.right) if self.ordered else (source, target)
        with first.acquire(self.timeout) as one, second.acquire(self.timeout) as two:
            self.copied.append(f"{one.name}+{two.name}")


def copier(*, ordered: bool = False, timeout: float | None = None) -> Copier:
    left = ScheduledPool(Conn, Static(count=1), "left")
    right = ScheduledPool(Conn, Static(count=1), "right")
    return Copier(left, right, ordered, timeout)


def left_to_right(c: Copier) -> None:
    c.copy(c.left, c.right)


def right_to_left(c: Copier) -> None:
    c.copy(c.right, c.left)


THREADS = [left_to_right, right_to_left]


def both_copied(c: Copier) -> None:
    assert len(c.copied) == 2, c.copied


def test_a_seed_search_finds_the_deadlock_and_its_schedule_replays_it() -> None:
    runs = [interleave(copier, THREADS, seed=seed, check=both_copied) for seed in range(30)]
    failing = [run for run in runs if run.failed]
    # Only some orders deadlock: the tool must tell them apart.
    assert failing and len(failing) < len(runs)
    first = failing[0]
    assert first.deadlocked == {0, 1} and not first.errors and first.failure is None
    assert "deadlock: threads 0, 1 wait on a pool" in first.describe()
    for again in (first.replay(), interleave(copier, THREADS, schedule=str(first.schedule))):
        assert again.deadlocked == {0, 1}
        assert again.schedule == first.schedule
        assert again.steps == first.steps


def test_hypothesis_finds_the_deadlock_and_shrinks_it() -> None:
    found: list[Interleaving[Copier]] = []

    @settings(max_examples=100, database=None, deadline=None)
    @given(choices=schedule_choices(threads=2))
    def test(choices: list[int]) -> None:
        run = interleave(copier, THREADS, choices=choices, check=both_copied)
        if run.failed:
            found.append(run)
        run.assert_ok()

    with pytest.raises(InterleavingFailure) as failure:
        test()
    assert "deadlock" in str(failure.value)
    # The last failing run is the shrunk one: it replays to the same deadlock.
    shrunk = found[-1]
    assert shrunk.replay().deadlocked == shrunk.deadlocked == {0, 1}


def test_with_a_timeout_the_deadlock_is_a_timeout_the_scheduler_chose() -> None:
    def make() -> Copier:
        return copier(timeout=5.0)

    runs = list(explore(make, THREADS, preemptions=1, check=both_copied))
    timed_out = [run for run in runs if run.errors]
    assert timed_out and len(timed_out) < len(runs)
    # No wall-clock time passed: the timeout was a scheduling decision.
    for run in timed_out:
        assert all(isinstance(error, PoolTimeout) for error in run.errors.values())
        with pytest.raises(InterleavingFailure) as failure:
            run.assert_ok()
        assert isinstance(failure.value.__cause__, PoolTimeout)
        assert f'schedule="{run.schedule}"' in str(failure.value)


def test_exploration_finds_the_deadlock_and_the_fixed_copier_passes_every_order() -> None:
    buggy = list(explore(copier, THREADS, preemptions=1, check=both_copied))
    assert any(run.deadlocked for run in buggy)
    schedules = [run.schedule for run in buggy]
    assert len(set(schedules)) == len(schedules)  # each order once

    def fixed() -> Copier:
        return copier(ordered=True)

    # Every order with at most one preemption (38; the deadlock needs one),
    # and 100 random orders, with any number of preemptions.
    runs = list(explore(fixed, THREADS, preemptions=1, check=both_copied))
    runs += [interleave(fixed, THREADS, seed=seed, check=both_copied) for seed in range(100)]
    assert len({run.schedule for run in runs}) > 50
    for run in runs:
        run.assert_ok()
        assert sorted(run.state.copied) == ["left+right", "left+right"]


def test_a_deadlocked_run_lets_its_threads_go_by_closing_the_pools() -> None:
    run = next(run for run in explore(copier, THREADS) if run.deadlocked)
    # The woken threads raised PoolClosedError after the run: not part of it.
    assert not run.errors
    assert run.state.left.closed and run.state.right.closed
    with pytest.raises(PoolClosedError):
        run.state.left.get()


def test_a_check_that_fails_is_recorded_with_the_schedule() -> None:
    def never(c: Copier) -> None:
        raise AssertionError("planted")

    run = interleave(copier, [left_to_right], seed=0, check=never)
    assert isinstance(run.failure, AssertionError) and run.failed
    with pytest.raises(InterleavingFailure) as failure:
        run.assert_ok()
    assert failure.value.__cause__ is run.failure
    assert failure.value.interleaving is run
    assert "check raised AssertionError('planted')" in str(failure.value)


def test_a_schedule_prints_and_parses_back() -> None:
    schedule = Schedule((0, 1, 1, 0))
    assert str(schedule) == "0,1,1,0"
    assert Schedule.parse("0,1,1,0") == schedule
    assert Schedule.parse("") == Schedule(())
    with pytest.raises(ValueError, match="comma-separated"):
        Schedule.parse("0,x")


def test_a_schedule_that_does_not_fit_the_threads_is_refused() -> None:
    # Thread 1 finishes after its own steps; a schedule that picks it again diverges.
    whole = interleave(copier, THREADS, choices=[]).schedule
    with pytest.raises(ReplayDivergedError):
        interleave(copier, THREADS, schedule=Schedule((*whole.picks[:-1], 0, 0)))


def test_bad_arguments_are_refused_with_clear_errors() -> None:
    with pytest.raises(TypeError, match="exactly one of seed, choices, schedule"):
        interleave(copier, THREADS)
    with pytest.raises(TypeError, match="exactly one"):
        interleave(copier, THREADS, seed=1, choices=[0])
    with pytest.raises(ValueError, match="at least one"):
        interleave(copier, [], seed=1)
    with pytest.raises(TypeError, match="callable"):
        interleave(copier, [1], seed=1)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="no ScheduledPool"):
        interleave(lambda: Pool(Conn, Static(count=1), "x"), [lambda pool: None], seed=1)
    with pytest.raises(ValueError, match="preemptions"):
        next(explore(copier, THREADS, preemptions=-1))
    with pytest.raises(ValueError, match="maintain_every"):
        ScheduledPool(Conn, Static(count=1), "x", maintain_every=1.0)
    with pytest.raises(ValueError, match="threads"):
        schedule_choices(threads=0)


def test_a_scheduled_pool_takes_every_option_a_pool_takes() -> None:
    import inspect

    from rpool.testing import PoolOptions

    options = {
        name
        for name, parameter in inspect.signature(Pool.__init__).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }
    assert set(PoolOptions.__annotations__) == options


def test_steps_name_the_pool_operation_each_began_with() -> None:
    run = interleave(copier, [left_to_right], choices=[])
    ops = [step.op for step in run.steps]
    assert ops[0] == "start"
    assert {"closed.read", "free.pop", "free.append"} <= set(ops)
    assert all(step.thread == 0 for step in run.steps)
    assert run.state.copied == ["left+right"]


def test_a_thread_left_waiting_by_a_leaked_connection_is_reported() -> None:
    kept: list[object] = []

    def leaks(c: Copier) -> None:
        kept.append(c.left.acquire())  # never given back

    def waits(c: Copier) -> None:
        with c.left.acquire():
            pass

    run = interleave(copier, [leaks, waits], choices=[])
    assert run.deadlocked == {1}
    assert "deadlock: thread 1 waits on a pool" in run.describe()


def test_a_scheduled_pool_with_lifecycle_options_still_steps_at_every_access() -> None:
    clock = FakeClock()
    checked: list[Conn] = []

    def check(conn: Conn) -> bool:
        checked.append(conn)
        return True

    def setup() -> Pool[str, Conn]:
        return ScheduledPool(
            Conn, Static(count=1), "db", max_lifetime=5.0, clock=clock, check=check
        )

    def borrow(pool: Pool[str, Conn]) -> None:
        # No timeout: with one, waiting could time out, a choice the runs explore.
        with pool.acquire():
            clock.advance(3.0)  # time passes while the connection is held

    runs = list(explore(setup, [borrow, borrow], preemptions=1))
    for run in runs:
        run.assert_ok()
        assert isinstance(run.state, ScheduledPool)  # the lifecycle's class keeps the seams
        assert {"closed.read", "free.pop"} <= {step.op for step in run.steps}
    assert checked and len(runs) > 1
