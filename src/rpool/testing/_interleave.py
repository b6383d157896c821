"""Interleavings of your own threads around a pool: run one, explore many, replay one exactly.

`interleave(setup, threads, seed=...)` makes fresh state with `setup()` (your
objects, over `ScheduledPool`s), then runs each of `threads` on a real
thread of its own, given that state, one thread at a time: threads switch
only at the pools' steps (each deque, counter and flag access, each park of
a waiting `acquire()`), and a seed, a list of choices (Hypothesis draws
them: `rpool.testing.strategies.schedule_choices`) or a recorded `Schedule`
decides which thread takes each step. The result, an `Interleaving`, records
the thread picked at each decision; `interleave(..., schedule=...)` or
`result.replay()` runs exactly that interleaving again. `explore()` runs
every schedule with at most k preemptions.

A run fails when a thread raises, when `check(state)` raises after the
threads have finished, when every thread left waits on a pool forever (a
deadlock: none can take another step), or when a thread blocks on something
that is not a pool step (a lock, a queue, I/O) for `timeout` seconds. Your
threads should wait only on pools: the scheduler cannot see other waits.

The machinery is rpool's own deterministic scheduler (`_scheduler.py`, its
choosers and bounded exploration, and `_instrument.py`'s pool), which rpool's
tests run on too (docs/testing.md, "Deterministic scheduler").
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ._choosers import RandomChooser, ReplayChooser, ScriptChooser
from ._explore import bounded_schedules
from ._instrument import collecting
from ._scheduler import Chooser, Run, Scheduler, Step

__all__ = ["Interleaving", "InterleavingFailure", "Schedule", "explore", "interleave"]

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Schedule:
    """The thread picked at each switch decision of a run; it replays that run exactly.

    `str(schedule)` prints the picks as "0,0,1,0"; `Schedule.parse` reads
    that back, so a schedule printed by a failing test can be pasted into a
    replay.
    """

    picks: tuple[int, ...]

    def __str__(self) -> str:
        return ",".join(map(str, self.picks))

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """The schedule `str()` printed as `text` ("" is the empty schedule).

        Raises:
            ValueError: `text` is not comma-separated thread numbers.
        """
        parts = [part.strip() for part in text.split(",")] if text.strip() else []
        if not all(part.isdigit() for part in parts):
            raise ValueError(f"a schedule is comma-separated thread numbers, not {text!r}")
        return cls(tuple(int(part) for part in parts))


class InterleavingFailure(AssertionError):
    """A run of your threads failed; the message has its schedule and its steps."""

    __module__ = "rpool.testing"

    def __init__(self, interleaving: Interleaving[Any]) -> None:
        super().__init__(interleaving.describe())
        self.interleaving = interleaving


@dataclass(frozen=True, slots=True, eq=False)
class Interleaving(Generic[S]):
    """One run of your threads, one pool step at a time: what happened and how to replay it."""

    state: S
    """What `setup()` returned for this run, after the threads ran (and `check`, if any)."""
    schedule: Schedule
    """The thread picked at each decision: `replay()` follows it."""
    steps: tuple[Step, ...]
    """Each step taken, in order: its thread, and the pool operation (`op`) it began with."""
    errors: Mapping[int, BaseException]
    """What each thread raised during the run, by thread number."""
    failure: Exception | None
    """What `check(state)` raised, if it ran and raised."""
    deadlocked: frozenset[int]
    """Threads still waiting on a pool when no thread could take another step."""
    blocked: int | None
    """The thread that blocked on something other than a pool step, if one did."""
    _replay: Callable[[Chooser], Interleaving[S]] = field(repr=False)

    @property
    def failed(self) -> bool:
        """Whether a thread raised, `check` raised, threads deadlocked or one blocked."""
        return bool(self.errors or self.failure or self.deadlocked or self.blocked is not None)

    def describe(self) -> str:
        """What went wrong (if anything), the schedule that replays it, and the steps."""
        lines = [f"thread {thread} raised {error!r}" for thread, error in self.errors.items()]
        if self.failure is not None:
            lines.append(f"check raised {self.failure!r}")
        if self.deadlocked:
            numbers = ", ".join(map(str, sorted(self.deadlocked)))
            who = (
                f"threads {numbers} wait" if len(self.deadlocked) > 1 else f"thread {numbers} waits"
            )
            lines.append(f"deadlock: {who} on a pool and no thread can go on")
        if self.blocked is not None:
            lines.append(f"thread {self.blocked} blocked outside the pools (a lock, a queue, I/O?)")
        replay = f'interleave(..., schedule="{self.schedule}")'
        lines.append(f"schedule: {self.schedule}  (replay: {replay})")
        lines += [
            f"  {step.index:4d}  T{step.thread}  {step.op:16s} {step.action or ''}"
            for step in self.steps
        ]
        return "\n".join(lines)

    def assert_ok(self) -> None:
        """Return if the run did not fail.

        Raises:
            InterleavingFailure: the run failed; its message is `describe()`,
                its cause the first error a thread or `check` raised.
        """
        if not self.failed:
            return
        causes = [*self.errors.values(), self.failure]
        cause = next((error for error in causes if error is not None), None)
        raise InterleavingFailure(self) from cause

    def replay(self) -> Interleaving[S]:
        """Run the same threads on fresh state from `setup()` in exactly this schedule.

        Raises:
            ReplayDivergedError: the run took another path (the threads or
                `setup` depend on something other than the schedule: time,
                randomness, state left by an earlier run).
        """
        return self._replay(ReplayChooser(self.schedule.picks))


def _check_threads(
    threads: Sequence[Callable[[Any], object]],
) -> tuple[Callable[[Any], object], ...]:
    picked = tuple(threads)
    if not picked:
        raise ValueError("threads must hold at least one function")
    for thread in picked:
        if not callable(thread):
            raise TypeError(f"each of threads must be callable, not {type(thread).__name__}")
    return picked


def _run(
    setup: Callable[[], S],
    threads: tuple[Callable[[S], object], ...],
    check: Callable[[S], object] | None,
    timeout: float,
    chooser: Chooser,
) -> Interleaving[S]:
    """One run of `threads` on fresh state, in the order `chooser` picks."""
    with collecting() as pools:
        state = setup()
    if not pools:
        raise ValueError(
            "setup() made no ScheduledPool: a plain Pool's steps are not switch points, "
            "so its threads would never interleave"
        )

    def wake() -> None:
        # Threads parked for good wait on these pools; closing each rings its
        # waiters, which then raise PoolClosedError after the run (not recorded).
        for pool in pools:
            with contextlib.suppress(Exception):  # a close(): the run failed already
                pool.close()

    scheduler = Scheduler(chooser, timeout=timeout, wake=wake)
    run: Run
    with scheduler.running([functools.partial(thread, state) for thread in threads]) as run:
        # Read while the threads are still stopped: what they raise once let
        # go, after a deadlock, is not part of the run.
        errors = dict(run.errors)
        deadlocked = frozenset(run.parked)
        blocked = run.blocked
    failure: Exception | None = None
    if check is not None and not (errors or deadlocked or blocked is not None):
        try:
            check(state)
        except Exception as error:
            failure = error
    return Interleaving(
        state=state,
        schedule=Schedule(tuple(run.schedule)),
        steps=tuple(run.steps),
        errors=errors,
        failure=failure,
        deadlocked=deadlocked,
        blocked=blocked,
        _replay=functools.partial(_run, setup, threads, check, timeout),
    )


def interleave(
    setup: Callable[[], S],
    threads: Sequence[Callable[[S], object]],
    *,
    seed: int | None = None,
    choices: Sequence[int] | None = None,
    schedule: Schedule | str | None = None,
    check: Callable[[S], object] | None = None,
    timeout: float = 10.0,
) -> Interleaving[S]:
    """Run each of `threads` on a thread of its own, switching only at pool steps, as told.

    `setup()` is called first, in the calling thread, and must make the pools
    the threads use as `ScheduledPool`s (your objects over them too: the
    state each run starts from). Each thread is called with what it
    returned. Exactly one of these picks the thread of each step:

    - `seed`: at random, the same for the same seed;
    - `choices`: at decision i, `choices[i]` indexes the threads that can
      go on, the one that ran last first (so 0 keeps running it; past the
      end, every choice is 0): what `strategies.schedule_choices()` draws,
      and shrinks toward fewer switches;
    - `schedule`: a `Schedule` (or its printed form) a run recorded: that
      run again, exactly.

    Once every thread has finished, `check(state)`, if given, runs in the
    calling thread (skipped if a thread raised, deadlocked or blocked). The
    run never raises what the threads or `check` raise: it records it (call
    `assert_ok()` on the result to raise). A thread that does not reach its
    next pool step within `timeout` seconds ends the run as `blocked`.

    Raises:
        TypeError: not exactly one of `seed`, `choices`, `schedule` is given,
            or a thread is not callable.
        ValueError: `threads` is empty, `schedule` does not parse, or
            `setup()` made no `ScheduledPool`.
        ReplayDivergedError: a `schedule` picked a thread that could not go
            on: the run took another path than the one recorded.
        Exception: whatever `setup()` raised.
    """
    orders = {"seed": seed, "choices": choices, "schedule": schedule}
    given = [name for name, value in orders.items() if value is not None]
    if len(given) != 1:
        raise TypeError(f"give exactly one of seed, choices, schedule (given: {given or 'none'})")
    chooser: Chooser
    if seed is not None:
        chooser = RandomChooser(seed)
    elif choices is not None:
        chooser = ScriptChooser(choices)
    else:
        picks = Schedule.parse(schedule) if isinstance(schedule, str) else schedule
        assert picks is not None
        chooser = ReplayChooser(picks.picks)
    return _run(setup, _check_threads(threads), check, timeout, chooser)


def explore(
    setup: Callable[[], S],
    threads: Sequence[Callable[[S], object]],
    *,
    preemptions: int = 1,
    limit: int | None = None,
    check: Callable[[S], object] | None = None,
    timeout: float = 10.0,
) -> Iterator[Interleaving[S]]:
    """Run every schedule with at most `preemptions` preemptions once; yield each run.

    A preemption is a switch away from a thread that could have gone on.
    Most bugs between threads need one or two; the number of schedules grows
    polynomially with the number of steps for a fixed bound. Each run is an
    `interleave()` on fresh state from `setup()`, with `check`. Stops after
    `limit` runs, if given.

    Raises:
        TypeError, ValueError, Exception: as `interleave()`; ValueError also
            for a negative `preemptions`.
    """
    if type(preemptions) is not int or preemptions < 0:
        raise ValueError(f"preemptions must be an int of at least 0, got {preemptions!r}")
    picked = _check_threads(threads)
    results: list[Interleaving[S]] = []

    def execute(chooser: Chooser) -> Run:
        result = _run(setup, picked, check, timeout, chooser)
        results.append(result)
        # bounded_schedules reads only the schedule of the run it is given.
        return Run(schedule=list(result.schedule.picks))

    for _ in bounded_schedules(execute, preemptions, limit):
        yield results.pop()
