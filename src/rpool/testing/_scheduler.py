"""Run real threads one at a time, switching only at scheduling points.

A *scheduling point* is a call to `point(action, op)` placed just before an
atomic step of the code under test (`_instrument.py` puts one in front of
every deque, counter and `_closed` access of a pool; rpool's own tests put one
at the start of every user callback, tests/probe.py). A thread run by a `Scheduler` stops
at each point and waits; the scheduler's `Chooser` picks which waiting thread
goes next; that thread performs its atomic step and runs on until its next
point. So exactly one thread runs at a time, every interleaving of atomic
steps can be produced, and the choices made (the *schedule*) replay the run
exactly. Threads not run by a scheduler pass through points without stopping.

A *step* is what a thread does between being resumed and stopping again:
first the atomic operation the point stood in front of, which names it.
After each step the scheduler calls `after_step` with the thread stopped, so
the state then is the state "after the step" (used to check invariants at
every point, and to log traces). A thread that does not reach its next point
within `timeout` seconds is blocked in something the scheduler does not
control, such as a lock: the run ends and says so (`Run.blocked`).

Parked threads. A point may say when its thread can go on: `point(action, op,
ready=...)`, where `ready()` is asked, with every thread stopped, before each
decision. A thread whose `ready()` says False is *parked*: it waits for
something another thread must do (`_instrument.py`'s waiter parks
this way until it is rung, unless it has a timeout, which the scheduler may
then choose to let expire), and the chooser does not see it. It becomes
runnable again as soon as its `ready()` says True. A run in which every thread
left is parked ends (`Run.parked`): nothing can happen any more, which is a
deadlock, or the end of a program whose waiters wait for good. `quiet()` is a
point at which a thread waits until every other thread has finished or is
parked: a harness thread uses it to look at the pool at rest, then to give
back or close what lets the parked threads finish.

Finalizers. On the GIL build an object's `__del__` runs where its last
reference is dropped, inside the step that drops it. On the free-threaded
build (biased reference counting) an object dropped by a thread other than the
one that made it is handed to its maker, whose `__del__` runs when that thread
next checks for pending work: for a thread stopped at a point, right after it
is let go, before the step it was let go for. A point reached inside such a
finalizer (a guard's Orphan) ends the step at once: the step is recorded with
op "finalizer" and no action, since nothing of its own op was done; the
finalizer's point is then a step like any other, and when the finalizer has
returned the thread stops at its own point again. So every step is still one
atomic operation, whichever thread runs a finalizer. The thread waits on
`queue.SimpleQueue`s, whose `get` and `put` are single C calls: a finalizer
can never run while a thread is half inside one (a `threading.Semaphore`
could be interrupted while it holds its own lock, and a finalizer's point
would then wait on it forever).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["Chooser", "Run", "Scheduler", "Step", "point", "quiet"]

_local = threading.local()


def point(action: str | None, op: str, ready: Callable[[], bool] | None = None) -> None:
    """A scheduling point in front of the atomic step `op` (model action `action`).

    In a thread run by a `Scheduler`, wait here until the scheduler picks this
    thread; elsewhere, return at once. With `ready`, the thread is parked
    (never picked) while `ready()` is False; the scheduler asks it with every
    thread stopped, so it may read shared state freely.
    """
    worker: _Worker | None = getattr(_local, "worker", None)
    if worker is not None:
        worker.pause(action, op, ready)


def _quiet() -> bool:
    """The `ready` of `quiet()`'s point; the scheduler tells it apart by identity."""
    return True


def quiet() -> None:
    """A point at which the calling thread waits until every other one has finished or is parked.

    The step after it runs with all other threads stopped for good unless
    this thread wakes one. If several threads wait here, they go one at a
    time. Outside a scheduled run it returns at once.
    """
    point("Quiet", "quiet", _quiet)


@dataclass(frozen=True, slots=True)
class Step:
    """Thread `thread` performed `op` (model action `action`) and ran on to its next point.

    `op` "finalizer" (action None): the thread was let go, but a finalizer ran
    first, up to its own point, and nothing of the step's own op was done.
    """

    index: int
    thread: int
    action: str | None
    op: str


class Chooser(Protocol):
    """Picks the next thread to run: one of `runnable` (sorted thread numbers)."""

    def choose(self, runnable: Sequence[int], current: int | None) -> int:
        """`current` is the thread that ran the last step (None before the first)."""
        ...


@dataclass
class Run:
    """What happened in one scheduled run."""

    schedule: list[int] = field(default_factory=list)
    """The thread picked at each decision; replays the run (see ReplayChooser)."""
    steps: list[Step] = field(default_factory=list)
    errors: dict[int, BaseException] = field(default_factory=dict)
    """What each thread's program raised, by thread."""
    finished: set[int] = field(default_factory=set)
    stopped: set[int] = field(default_factory=set)
    """Threads the run stopped for good (see `Scheduler.stop`)."""
    blocked: int | None = None
    """The thread that did not reach its next point in time, if any."""
    parked: set[int] = field(default_factory=set)
    """The threads still parked when the run ended because no thread could go on."""
    failure: BaseException | None = None
    """What `after_step` raised, if it did; the run ended there."""

    def describe(self) -> str:
        """The schedule and the steps, for a failure message."""
        lines = [f"schedule: {','.join(map(str, self.schedule))}"]
        lines += [f"  {s.index:4d}  T{s.thread}  {s.action or '-':12s} {s.op}" for s in self.steps]
        if self.blocked is not None:
            lines.append(f"  T{self.blocked} blocked: it did not reach its next scheduling point")
        if self.parked:
            threads = ", ".join(f"T{thread}" for thread in sorted(self.parked))
            lines.append(f"  parked for good: {threads}")
        return "\n".join(lines)


def _pending() -> None:
    """Nothing; a call, so that work queued for this thread runs here (finalizers)."""


class _Worker:
    def __init__(self, scheduler: Scheduler, index: int, program: Callable[[], object]) -> None:
        self.scheduler = scheduler
        self.index = index
        self.program = program
        self.go: queue.SimpleQueue[None] = queue.SimpleQueue()
        self.action: str | None = "Start"
        self.op = "start"
        self.ready: Callable[[], bool] | None = None
        """The `ready` of the point where the thread waits (None: always runnable)."""
        self.steps = 0
        self.depth = 0
        """Pauses in progress: more than one while a finalizer's point interrupts one."""
        self.interrupted = False
        """A finalizer's pause ran inside this one since it last let the thread go."""
        self.cut = False
        """The step just let go ended at a finalizer's point; read by the scheduler."""
        self.thread = threading.Thread(target=self.main, name=f"scheduled-{index}", daemon=True)

    def main(self) -> None:
        _local.worker = self
        self.pause("Start", "start")
        try:
            self.program()
        except BaseException as error:
            self.scheduler._run.errors[self.index] = error
        finally:
            _local.worker = None
            self.scheduler._run.finished.add(self.index)
            self.action, self.op, self.ready = None, "finished", None
            self.scheduler._yielded.put(None)
            # Stay until the run ends: on the free-threaded build a finalizer
            # queued for this thread would otherwise run while it exits, in
            # the middle of another thread's step, at no scheduling point.
            # (Once the run has let every thread go, no token is coming.)
            if not self.scheduler._free:
                self.go.get()

    def pause(self, action: str | None, op: str, ready: Callable[[], bool] | None = None) -> None:
        if self.scheduler._free:
            return
        if self.depth:
            # A finalizer's point, inside the pause below of an enclosing
            # point: the step that pause let go ends here, having done nothing.
            self.cut = True
        self.depth += 1
        try:
            while True:
                self.action, self.op, self.ready = action, op, ready
                self.interrupted = False
                self.scheduler._yielded.put(None)
                self.go.get()
                self.ready = None
                # Free-threaded build: finalizers queued for this thread while
                # it waited run at its next check for pending work, which this
                # call makes happen here, before this point's own step.
                _pending()
                if not self.interrupted or self.scheduler._free:
                    return
                # A finalizer stopped at its own point in between and has now
                # returned: stop at this point again, for this point's step.
        finally:
            self.depth -= 1
            if self.depth:
                self.interrupted = True


class Scheduler:
    """Runs a list of programs on real threads, one atomic step at a time.

    `chooser` picks each step's thread. `after_step(step)` runs in the
    scheduler's thread after every step, all other threads stopped; what it
    raises ends the run (`Run.failure`). `stop(thread, steps)` is asked before
    each step: if it says True, that thread never runs again in this run (its
    operation stays pending), which is how a thread stopped forever at any
    point is simulated.

    `wake()`, if given, is called when a run ends before every thread has
    finished (threads parked for good, `Run.parked`, or a failed
    `after_step`), once every thread has been let go: it must make the parks
    of the threads that now run freely return (close the pool, ring the
    waiters), or leaving `running` waits `timeout` seconds for each of them.
    """

    def __init__(
        self,
        chooser: Chooser,
        *,
        after_step: Callable[[Step], None] | None = None,
        stop: Callable[[int, int], bool] | None = None,
        timeout: float = 10.0,
        wake: Callable[[], object] | None = None,
    ) -> None:
        self.chooser = chooser
        self.after_step = after_step
        self.stop = stop
        self.timeout = timeout
        self.wake = wake
        self._yielded: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._free = False
        self._run = Run()
        self._workers: dict[int, _Worker] = {}

    def run(self, programs: Sequence[Callable[[], object]]) -> Run:
        """Run `programs` to the end (or until stopped, blocked or failed)."""
        with self.running(programs) as run:
            return run

    @contextlib.contextmanager
    def running(self, programs: Sequence[Callable[[], object]]) -> Iterator[Run]:
        """Like `run`, but stopped threads stay stopped inside the `with` block.

        On leaving it, every thread still waiting is let go to run freely to
        its end (points no longer stop anyone), and all are joined.
        """
        run = self._run = Run()
        self._free = False
        workers = [_Worker(self, i, program) for i, program in enumerate(programs)]
        self._workers = {worker.index: worker for worker in workers}
        try:
            for worker in workers:
                worker.thread.start()
                if not self._wait():
                    raise RuntimeError(f"thread {worker.index} did not start")
            self._schedule(workers, run)
            yield run
        finally:
            # Decided before the threads are let go: once free, they may
            # finish at once (with the GIL off, in parallel with this).
            unfinished = len(run.finished) < len(workers)
            self._free = True
            for worker in workers:
                worker.go.put(None)
            if self.wake is not None and unfinished:
                self.wake()
            for worker in workers:
                worker.thread.join(self.timeout)

    def waiting(self, thread: int) -> str | None:
        """The model action of the point where `thread` waits (None: no action, or not waiting)."""
        worker = self._workers.get(thread)
        return None if worker is None else worker.action

    def parked(self) -> set[int]:
        """The threads parked now: waiting at a point whose `ready()` says False.

        Call it with every other thread stopped: from `after_step`, or from
        the one scheduled thread that is running.
        """
        return {
            worker.index
            for worker in self._workers.values()
            if worker.index not in self._run.finished | self._run.stopped
            and worker.ready is not None
            and worker.ready is not _quiet
            and not worker.ready()
        }

    def _runnable(self, workers: list[_Worker], run: Run) -> tuple[list[int], list[int]]:
        """(the threads the chooser may pick, the threads neither finished nor stopped)."""
        live = [w for w in workers if w.index not in run.finished | run.stopped]
        runnable = [
            w.index for w in live if w.ready is None or (w.ready is not _quiet and w.ready())
        ]
        if not runnable:  # everyone else is parked or finished: quiet() may go
            runnable = [w.index for w in live if w.ready is _quiet]
        return runnable, [w.index for w in live]

    def _wait(self) -> bool:
        """Wait for the running thread to stop at a point or end; False after `timeout`."""
        try:
            self._yielded.get(timeout=self.timeout)
        except queue.Empty:
            return False
        return True

    def _schedule(self, workers: list[_Worker], run: Run) -> None:
        current: int | None = None
        while True:
            for worker in workers:
                if (
                    worker.index not in run.finished
                    and worker.index not in run.stopped
                    and self.stop is not None
                    and self.stop(worker.index, worker.steps)
                ):
                    run.stopped.add(worker.index)
            runnable, live = self._runnable(workers, run)
            if not runnable:
                run.parked = set(live)
                return
            chosen = self.chooser.choose(runnable, current)
            if chosen not in runnable:
                raise ValueError(f"the chooser picked {chosen}, not one of {runnable}")
            worker = workers[chosen]
            step = Step(len(run.steps), chosen, worker.action, worker.op)
            run.schedule.append(chosen)
            worker.steps += 1
            worker.go.put(None)
            if not self._wait():
                run.blocked = chosen
                return
            if worker.cut:
                worker.cut = False
                step = Step(step.index, chosen, None, "finalizer")
            run.steps.append(step)
            current = chosen
            if self.after_step is not None:
                try:
                    self.after_step(step)
                except BaseException as failure:
                    run.failure = failure
                    return
