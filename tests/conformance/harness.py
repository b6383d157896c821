"""Scheduled clients and a collector thread driving one pool, and what the model sees of it.

Thread 0 is the model's garbage collector (`Collector`): it drops guards,
whose finalizer hands the resource over as an orphan (Model: Orphan). On the
GIL build the finalizer runs in thread 0, inside the `del`; on the
free-threaded build it runs later, in the client thread that made the guard
(in `get()`), when that thread is next let go (src/rpool/testing/_scheduler.py).
Either way the model's collector (process 0) takes the Orphan step, and the
harness counts the dropped guard's resource as held by its client until then.
Threads 1..N are the model's `Clients`: each makes calls (get, release,
close; acquire in waiting runs) one at a time, each call preceded by a scheduling point "Idle" (the
model's Idle step, which picks the call), and each release by a point
"Claim" in front of `guard.release()`, whose first step is the claim.

A `Director` decides everything the model leaves open: which call, which
guard, which guard the collector drops, and how each user callback ends.
`RandomDirector` decides by a seeded generator; tests/conformance/drive.py
decides by following a path of the model's state graph.

`Harness.observe()` reads the model's observed variables off the live pool:
`free`, `orphans`, `closed` and `held` (the resources in each client's
guards). Grants are negative, as in the model.

With `waiting=True` (models/Waiting.tla, which has no collector) clients also
call `acquire(timeout)`, whose waits time out when the scheduler lets a park
time out (tests/scheduler/instrument.py, VirtualClock), and `observe()` adds
`waiters` (the waiter queue, each entry as its client's number, oldest
first) and `alive` (each client's latest enqueued waiter's `alive` slot,
False before its first). A served head's guard is in its client's `held`
from the step that made it (the pop, or the Create of a grant): Waiting.tla
calls it `own` until the call returns, and checks their union.
"""

from __future__ import annotations

import contextlib
import random
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

from rpool import PoolClosedError, PoolGuard, PoolTimeout, ScaleMode
from rpool._waiters import waiting
from rpool.testing._instrument import ScheduledWaiter
from rpool.testing._scheduler import Step, point
from tests.resources import Boom
from tests.scheduler.instrument import ScheduledPool

from .resource import Context, Unit

__all__ = ["Call", "Director", "Harness", "Observed", "Observer", "RandomDirector"]

CallKind = Literal["get", "acquire", "release", "close"]


@dataclass(frozen=True, slots=True)
class Call:
    """One call a client makes: `kind`; a release's resource; an acquire's timeout."""

    kind: CallKind
    number: int = 0
    timeout: float = 1.0


@dataclass(frozen=True, slots=True)
class Observed:
    """The model variables the code shows, in the model's encoding."""

    free: tuple[int, ...]
    orphans: tuple[int, ...]
    closed: bool
    held: tuple[tuple[int, ...], ...]
    """The resources in client 1's guards, client 2's, ..., each sorted."""
    waiters: tuple[int, ...] | None = None
    """Waiting runs only: the waiter queue, oldest first, as client numbers."""
    alive: tuple[bool, ...] | None = None
    """Waiting runs only: client 1's waiter's `alive` slot, client 2's, ..."""

    def as_json(self) -> dict[str, object]:
        seen: dict[str, object] = {
            "free": list(self.free),
            "orphans": list(self.orphans),
            "closed": self.closed,
            "held": [list(numbers) for numbers in self.held],
        }
        if self.waiters is not None:
            seen["waiters"] = list(self.waiters)
            seen["alive"] = list(self.alive or ())
        return seen


class Director(Protocol):
    """Decides, for a harness, what the model leaves open."""

    def more(self, process: int) -> bool:
        """Whether `process` (0: the collector) goes on to another call or drop."""
        ...

    def call(self, process: int, harness: Harness) -> Call:
        """The next call of client `process`."""
        ...

    def victim(self, harness: Harness) -> tuple[int, int] | None:
        """The (client, resource) whose guard the collector drops, if any."""
        ...

    def outcome(self, process: int, callback: str) -> str:
        """How `callback` ("new", "reset", "close") ends in `process`: "ok", "false", "raise"."""
        ...


class Observer:
    """What a trace log reads of a harness, thread or task clients alike: `observe()`, `settle()`.

    A subclass (`Harness`, and async_runs.py's `AsyncHarness`) keeps the
    pool, each client's guards, the guards being released or dropped, each
    client's current call and, in waiting runs, each client's latest waiter;
    it says where a served head's guard is (`_served`) and whether the pool
    is closed (`_closed`).
    """

    pool: Any
    context: Any
    """Numbers the units (`created(process)`, at the Create step)."""
    clients: int
    waiting: bool
    guards: list[list[Any]]
    releasing: list[Any]
    dropped: list[tuple[int, int]]
    """(client, resource) of guards dropped by the collector whose finalizer
    has not yet appended the resource to the orphans: from the `del` to the
    Orphan step, in whichever thread the finalizer runs. The model still has
    the resource in the client's `held` until then."""
    calls: list[CallKind | None]
    waiter: list[Any]

    def holding(self, process: int) -> list[int]:
        """The resources in client `process`'s guards, not counting one being released."""
        return [g.resource.number for g in self.guards[process] if not g.released]

    def settle(self, step: Step) -> None:
        """Bookkeeping after `step`, before observing.

        A unit is numbered at its Create step; a dropped guard's resource
        leaves its client in the step that added it to the orphans, whatever
        operation that was and in whichever thread the finalizer ran (if that
        step is not the Orphan step, the log reports the change as unlogged).
        """
        if step.op == "created.next":
            self.context.created(step.thread)
        if self.dropped:
            orphaned = set(self._orphans())
            self.dropped = [drop for drop in self.dropped if drop[1] not in orphaned]

    def _orphans(self) -> tuple[int, ...]:
        # A collected guard's resource waits in a one-element list.
        return tuple(box[0].number for box in self.pool._orphans)

    def observe(self) -> Observed:
        free = tuple(-item if isinstance(item, int) else item.number for item in self.pool._free)
        orphans = self._orphans()
        held = []
        for p in range(1, self.clients + 1):
            numbers = set(self.holding(p))
            releasing = self.releasing[p]
            if releasing is not None and not releasing.released:
                numbers.add(releasing.resource.number)
            numbers.update(number for client, number in self.dropped if client == p)
            if self.calls[p] == "acquire":
                numbers.update(self._served(p))
            held.append(tuple(sorted(numbers)))
        closed = self._closed()
        if not self.waiting:
            return Observed(free, orphans, closed, tuple(held))
        for waiter in self.pool._waiters:
            self.waiter[waiter.client] = waiter
        queue = tuple(waiter.client for waiter in self.pool._waiters)
        alive = tuple(w is not None and w.peek_alive() for w in self.waiter[1 : self.clients + 1])
        return Observed(free, orphans, closed, tuple(held), queue, alive)

    def _closed(self) -> bool:
        return bool(self.pool.closed)

    def _served(self, process: int) -> list[int]:
        """The resource of the guard client `process` took as the head, before acquire returns."""
        raise NotImplementedError


class Harness(Observer):
    """A `ScheduledPool` of `Unit`s, client threads and a collector."""

    def __init__(
        self, mode: ScaleMode, clients: int, director: Director, *, waiting: bool = False
    ) -> None:
        self.director = director
        self.context = Context()
        self.pool: ScheduledPool[Context, Unit] = ScheduledPool(
            Unit, mode, self.context, waiting=waiting
        )
        self.waiting = waiting
        self.clients = clients
        # Waiting runs: each client's thread (by ident), and its latest
        # waiter seen in the queue. The waiter type is the pool's seam: the
        # subclass notes which client made each waiter.
        self.processes: dict[int, int] = {}
        self.threads: dict[int, int] = {}
        self.waiter: list[ScheduledWaiter | None] = [None] * (clients + 1)
        if waiting:
            base = cast(type[ScheduledWaiter], self.pool._waiter_type)
            processes = self.processes

            def made(waiter: ScheduledWaiter) -> None:
                base.__init__(waiter)
                waiter.client = processes[threading.get_ident()]  # type: ignore[attr-defined]

            self.pool._waiter_type = type("TracedWaiter", (base,), {"__init__": made})
        # guards[p]: client p's guards, index 0 unused. A guard is referenced
        # from here only, so deleting it here runs its finalizer at once.
        self.guards: list[list[PoolGuard[Unit]]] = [[] for _ in range(clients + 1)]
        self.releasing: list[PoolGuard[Unit] | None] = [None] * (clients + 1)
        self.dropped: list[tuple[int, int]] = []
        self.calls: list[CallKind | None] = [None] * (clients + 1)
        self.raised: list[BaseException] = []

    def programs(self) -> list[Callable[[], None]]:
        """The collector's program, then each client's, for `Scheduler.run`."""
        return [self._collect, *(self._client(p) for p in range(1, self.clients + 1))]

    def dispose(self) -> None:
        """Release every guard still held, after a run, from the calling (unscheduled) thread.

        Otherwise the guards would be finalized whenever the collector frees
        the harness (closures make it a cycle), maybe inside a later run's
        scheduled thread, whose orphaning would then stop at a scheduling point.
        """
        guards = [g for held in self.guards for g in held] + [g for g in self.releasing if g]
        for guard in guards:
            with contextlib.suppress(Exception):
                guard.release()

    def _served(self, process: int) -> list[int]:
        """The resource of the guard a head took, while `waiting()` is still leaving.

        Read off the stopped thread's frames: the `guard` local of its
        `waiting()` generator, set from the step that made the guard to the
        one that returns it to `acquire()`'s caller (both logged steps).
        """
        frame = sys._current_frames().get(self.threads.get(process, -1))
        while frame is not None and frame.f_code is not waiting.__code__:
            frame = frame.f_back
        guard = None if frame is None else frame.f_locals.get("guard")
        if isinstance(guard, PoolGuard) and not guard.released:
            return [guard.resource.number]
        return []

    def _client(self, process: int) -> Callable[[], None]:
        def program() -> None:
            self.threads[process] = threading.get_ident()
            self.processes[threading.get_ident()] = process
            self.context.enter(process, lambda callback: self.director.outcome(process, callback))
            while self.director.more(process):
                point("Idle", "call")
                call = self.director.call(process, self)
                self.calls[process] = call.kind
                try:
                    if call.kind == "get":
                        self._get(process)
                    elif call.kind == "acquire":
                        self.guards[process].append(self.pool.acquire(call.timeout))
                    elif call.kind == "release":
                        self._release(process, call.number)
                    else:
                        self.pool.close()
                # What the model lets a call raise: the user's callbacks' Boom
                # (alone, or grouped by a drain), get() or acquire() on a
                # closed pool, and a wait that timed out.
                except (Boom, PoolClosedError, PoolTimeout, ExceptionGroup) as error:
                    self.raised.append(error)

        return program

    def _get(self, process: int) -> None:
        guard = self.pool.get()
        if guard is not None:
            self.guards[process].append(guard)

    def _release(self, process: int, number: int) -> None:
        [index] = [i for i, g in enumerate(self.guards[process]) if g.resource.number == number]
        self.releasing[process] = self.guards[process].pop(index)
        point("Claim", "box.pop")
        try:
            self.releasing[process].release()  # type: ignore[union-attr]
        finally:
            self.releasing[process] = None

    def _collect(self) -> None:
        while self.director.more(0):
            # Stop before the drop: the finalizer's box.pop() and its append
            # are one model step (Orphan), observed at the append's point.
            point(None, "collect")
            victim = self.director.victim(self)
            if victim is None:
                continue
            client, number = victim
            [index] = [i for i, g in enumerate(self.guards[client]) if g.resource.number == number]
            self.dropped.append(victim)
            # The last reference: PoolGuard.__del__ (Model: Orphan) runs here
            # on the GIL build, later in the client's thread on the
            # free-threaded build.
            del self.guards[client][index]


class RandomDirector:
    """Decides at random, reproducibly from `seed`.

    Each client makes `calls` calls: a release of one of its resources (half
    the time, when it holds any), a close (client 1, one call in `calls * 2`)
    or a get; with `acquires` > 0, a client holding nothing calls
    `acquire(timeout)` instead of get() with that probability, and client 1
    closes at most once (Waiting.tla's close() is once per pool). The timeout
    is finite, so that the scheduler may always end a wait. The collector
    drops up to `drops` guards, looking for one to drop `3 * calls` times, at
    moments the schedule picks. Each callback fails with probability
    `failure` if the model allows that failure: `new` raises, `reset`
    returns False or raises, `close` raises.
    """

    def __init__(
        self,
        seed: int,
        *,
        calls: int,
        drops: int = 0,
        failure: float = 0.0,
        fails: frozenset[str] = frozenset(),
        acquires: float = 0.0,
    ) -> None:
        self.random = random.Random(seed)
        self.calls = calls
        self.drops = drops
        self.failure = failure
        self.fails = fails
        self.acquires = acquires
        self.closed = False
        self.made: dict[int, int] = {}
        self.dropped = 0

    def more(self, process: int) -> bool:
        if process == 0 and self.dropped >= self.drops:
            return False
        limit = self.calls * 3 if process == 0 else self.calls
        done = self.made.get(process, 0)
        self.made[process] = done + 1
        return done < limit

    def call(self, process: int, harness: Harness) -> Call:
        holding = harness.holding(process)
        if holding and self.random.random() < 0.5:
            return Call("release", self.random.choice(holding))
        if (
            process == 1
            and not (self.acquires and self.closed)
            and self.random.random() < 1 / (2 * self.calls)
        ):
            self.closed = True
            return Call("close")
        if self.acquires and not holding and self.random.random() < self.acquires:
            return Call("acquire", timeout=1.0)
        return Call("get")

    def victim(self, harness: Harness) -> tuple[int, int] | None:
        candidates = [(p, n) for p in range(1, harness.clients + 1) for n in harness.holding(p)]
        if not candidates:
            return None
        self.dropped += 1
        return self.random.choice(candidates)

    def outcome(self, process: int, callback: str) -> str:
        if callback not in self.fails or self.random.random() >= self.failure:
            return "ok"
        if callback == "reset":
            return self.random.choice(("false", "raise"))
        return "raise"
