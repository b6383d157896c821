"""Scheduled runs of a pool with a lifecycle (expiry, idle eviction, maintain(), resize()), logged.

The runs are checked against models/Lifecycle.tla by models/TraceLifecycle.tla
(docs/conformance.md, "Lifecycle runs"). Lifecycle.tla has clients that get()
and release() one resource at a time, sweepers (a call's own sweep and debt
payment, `maintain()`) and a resizer; it has no close(), no failing
callback, no collector and no waiter. The runs do what it has, on the real
pool:

Threads and the model's processes:

- thread 0, the clock: moves the pool's clock forward, at moments the
  schedule picks; no process (Lifecycle abstracts time);
- threads 1..C, clients: get(), then release() of what it got, in turn, with
  pauses; client c, whose get()'s debt payment and sweep step are sweeper
  10 + c;
- thread C + 1, `maintain()` again and again: sweeper 10 + C + 1;
- thread C + 2, `resize(b)`, b drawn from the configuration's bounds: the
  resizer C + 2, whose payments after a lowering are sweeper 10 + C + 2.

A step's model process is decided when the thread stops at the step's
point: a thread inside `pay()`, `Lifecycle.sweep()` or `retire()` is its
sweeper, otherwise itself. `Pool` is built with `clock=` a `TickClock` and
the lifecycle's own containers (`Lifecycle.debt`, `paying`, `resizing`),
which the pool makes without a seam, are replaced after construction,
before any thread starts, by ones whose operations are scheduling points:
without them a `resize()` waiting for a payment's token would spin at no
point (the scheduler would call it blocked), and a payment's steps would
be one.

Each line observes, in Lifecycle.tla's encoding:

- `free`: the free list, a grant of n units as n zeros (the configurations
  have one-unit grants only: chunk_size 1), a resource as its number;
- `alive`: the resources created and not discarded (`close()` called);
- `own`: per client, the resources in its hands: its guard, or what its
  call holds (`held` in get(), `_grow()`, `_renew()`, `release()`), read off
  the stopped thread's frames up to the first sweep or payment frame: the
  model's `held[c]` and `guard[c]`;
- `bound`: `Pool._maximum`; `debt`: `len(Lifecycle.debt)`.

Resources are numbered in creation order, 1, 2, ..., as Lifecycle.tla's
`nextId` numbers them (not FreeList's least free number): a number is never
reused.
"""

from __future__ import annotations

import gc
import random
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rpool import AutoScale, Pool, PoolGuard, ScaleMode, Static
from rpool._drive import run as drive
from rpool.testing._choosers import RandomChooser
from rpool.testing._instrument import ScheduledDeque
from rpool.testing._scheduler import Run, Scheduler, Step, point
from tests.scheduler.instrument import ScheduledPool

from .record import main
from .resource import Context, HasNumber, Unit
from .trace import UnloggedChangeError

__all__ = [
    "LIFECYCLE_CONFIGS",
    "LifecycleHarness",
    "LifecycleLog",
    "LifecycleSetup",
    "record_lifecycle",
]


@dataclass(frozen=True, slots=True)
class LifecycleSetup:
    """A pool with lifecycle options, and Lifecycle.tla's constants (models/Trace<name>.cfg)."""

    name: str
    mode: ScaleMode
    bounds: tuple[int, ...]
    """What resize() is called with (Lifecycle.tla's Bounds; the mode's maximum is the greatest)."""
    max_idle: float | None
    clients: int = 2
    max_lifetime: float = 1.0
    lifetime_jitter: float = 0.5
    checks: float = 0.0
    """How often the check on borrow (`check=`) fails; 0: no check."""


LIFECYCLE_CONFIGS = {
    setup.name: setup
    for setup in (
        LifecycleSetup(
            "Lifecycle", AutoScale(initial=1, maximum=3, chunk_size=1), (1, 2, 3), 0.2, checks=0.2
        ),
        LifecycleSetup("LifecycleStatic", Static(2), (1, 2), None),
    )
}
"""The lifecycle configurations traced; each name has a models/Trace<name>.cfg."""


class TickClock:
    """The lifecycle's clock: it moves only in thread 0's steps (points of no model action)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class ScheduledDebt(deque[int]):
    """`Lifecycle.debt` with a scheduling point before each operation the pool uses."""

    def __len__(self) -> int:
        point(None, "debt.len")
        return super().__len__()

    def pop(self) -> int:  # type: ignore[override]  # deque's own, as ScheduledDeque's
        point(None, "debt.pop")
        return super().pop()

    def extend(self, items: Any, /) -> None:
        point(None, "debt.extend")
        super().extend(items)


class ScheduledToken(list[int]):
    """`Lifecycle.paying` or `resizing`, a one-token try-lock: a point before each pop and `+=`."""

    def __init__(self, name: str) -> None:
        super().__init__([0])
        self.name = name

    def pop(self, index: Any = -1) -> int:
        point(None, f"{self.name}.pop")
        return super().pop(index)

    def __iadd__(self, items: Any) -> ScheduledToken:  # type: ignore[override,misc]
        point(None, f"{self.name}.iadd")
        super().__iadd__(items)
        return self


class _Options(Pool[Any, Any]):  # type: ignore[misc]  # the tests' seam, as ScheduledPool
    """Passes `self.options` (lifecycle keywords) to `Pool.__init__` under ScheduledPool's call."""

    options: dict[str, Any]

    def __init__(self, resource: Any, mode: ScaleMode, context: Any) -> None:
        Pool.__init__(self, resource, mode, context, **self.options)


class LifecyclePool(ScheduledPool[Any, Any], _Options):  # type: ignore[misc]
    """A `ScheduledPool` (callers never wait) made with lifecycle options."""

    def __init__(self, resource: Any, mode: ScaleMode, context: Any, **options: Any) -> None:
        self.options = options
        super().__init__(resource, mode, context, waiting=False)
        lifecycle = self._lifecycle
        assert lifecycle is not None
        lifecycle.debt = ScheduledDebt()
        lifecycle.paying = ScheduledToken("paying")
        lifecycle.resizing = ScheduledToken("resizing")
        for tally in ("expired", "evicted", "checks_failed", "resizes"):
            getattr(lifecycle, tally).name = tally


class Numbered(Context):
    """The pool's context, numbering units in creation order (Lifecycle.tla's nextId)."""

    def __init__(self) -> None:
        super().__init__()
        self.next = 1

    def number(self, unit: HasNumber) -> None:
        unit.number, self.next = self.next, self.next + 1
        self.live.add(unit.number)


# The frames whose `held` belongs to a sweeper (Lifecycle.tla's sweeper
# process), not to the client whose thread runs them.
_SWEEPING = frozenset({"pay", "sweep", "retire"})
# The frames of a client's call whose `held` list or `guard` it owns.
_OWNING = frozenset({"get", "_grow", "check_out", "_renew", "_discard", "release"})


class LifecycleHarness:
    """A `LifecyclePool` of `Unit`s, its clients, a maintainer, a resizer and the clock."""

    def __init__(self, setup: LifecycleSetup, seed: int, calls: int) -> None:
        self.setup = setup
        self.random = random.Random(seed)
        self.calls = calls
        self.context = Numbered()
        self.clock = TickClock()
        options: dict[str, Any] = {
            "max_lifetime": setup.max_lifetime,
            "lifetime_jitter": setup.lifetime_jitter,
            "clock": self.clock,
        }
        if setup.max_idle is not None:
            options["max_idle"] = setup.max_idle
        if setup.checks:
            # Lifecycle's Check: a failed check replaces the resource as an
            # expiry does (Claim, Expire, Renew), so both are traced alike.
            options["check"] = lambda resource: self.random.random() >= setup.checks
        self.pool = LifecyclePool(Unit, setup.mode, self.context, **options)
        self.clients = setup.clients
        self.maintainer = setup.clients + 1
        self.resizer = setup.clients + 2
        self.guards: list[PoolGuard[Unit] | None] = [None] * (self.clients + 1)
        self.threads: dict[int, int] = {}
        # The model process of each thread's next step (decided where it stopped).
        self.role: dict[int, int] = {}
        self.target: int | None = None
        # Lifecycle.tla's `alive` (see settle), the resource each thread's
        # discard in progress will count, and whether the last step was a
        # retire() finding the paying token taken (`busy`).
        self.alive = set(self.context.live)
        self.discarding: dict[int, int] = {}
        self.busy = False
        self.snapshot: dict[int, Any] = {}

    def programs(self) -> list[Callable[[], None]]:
        """The clock's program, each client's, the maintainer's and the resizer's."""
        return [
            self._ticks,
            *(self._client(c) for c in range(1, self.clients + 1)),
            self._maintain,
            self._resize,
        ]

    def sweeper(self, thread: int) -> int:
        """The model's sweeper process for the sweeps and payments thread `thread` makes."""
        return 10 + thread

    def dispose(self) -> None:
        """Release what the clients still hold (from the unscheduled caller, after the run)."""
        for guard in self.guards:
            if guard is not None:
                guard.release()

    def _enter(self, thread: int) -> None:
        self.threads[thread] = threading.get_ident()
        self.context.enter(thread, lambda callback: "ok")

    def _ticks(self) -> None:
        self._enter(0)
        # Many small ticks, so that time passes all through the run (the
        # random schedule picks this thread as often as any other).
        for _ in range(self.calls * 6):
            point(None, "clock.tick")
            self.clock.now += self.random.choice((0.05, 0.1, 0.2, 0.4))

    def _client(self, client: int) -> Callable[[], None]:
        def program() -> None:
            self._enter(client)
            for _ in range(self.calls):
                guard = self.guards[client]
                if guard is None and self.random.random() < 0.5:
                    # A pause: what this client gave back stays idle a while.
                    point(None, "rest")
                    continue
                point("Idle", "call")
                if guard is None:
                    self.guards[client] = self.pool.get()
                else:
                    point("Claim", "box.pop")
                    guard.release()
                    self.guards[client] = None

        return program

    def _maintain(self) -> None:
        self._enter(self.maintainer)
        for _ in range(self.calls):
            point("Idle", "call")
            self.pool.maintain()

    def _resize(self) -> None:
        self._enter(self.resizer)
        for _ in range(max(1, self.calls // 2)):
            self.target = self.random.choice(self.setup.bounds)
            point("Idle", "call")
            self.pool.resize(self.target)

    def settle(self, step: Step) -> int:
        """Bookkeeping after `step`; returns the model process that took it.

        A resource leaves `alive` at the step that counts its discard
        (`discarded.next`, after its close() returned), as it enters at
        the one that counts its creation: the counters are the code's own
        record of what is alive, and the idle sweep's floor reads them.
        """
        self.look()
        thread = step.thread
        process = self.role.get(thread, thread)
        if step.op == "created.next":
            self.context.created(thread)
            self.alive.add(self.context.next - 1)
        elif step.op == "discarded.next":
            self.alive.discard(self.discarding.pop(thread))
        frames = self._frames(thread)
        pooled = [frame for frame in frames if _in_pool(frame)]
        names = {frame.f_code.co_name for frame in pooled}
        # retire() that found the paying token taken (its `lock` empty after
        # the pop) returns False, and its caller appends the unit as spare;
        # the log marks that pop `busy` (TraceLifecycle's RetireLock_busy).
        self.busy = step.op == "paying.pop" and any(
            frame.f_code.co_name == "retire" and not frame.f_locals["lock"] for frame in pooled
        )
        for frame in pooled:
            held = frame.f_locals.get("held") if frame.f_code.co_name == "_discard" else None
            if held and isinstance(held[-1], Unit) and frame.f_locals.get("calling"):
                self.discarding[thread] = held[-1].number
        # A release's expire() gives the unit back itself, retire() included:
        # Lifecycle.tla's client calls return_capacity, as sweepers do.
        if thread == self.maintainer or (names & _SWEEPING and "expire" not in names):
            self.role[thread] = self.sweeper(thread)
        else:
            self.role[thread] = thread
        return process

    def look(self) -> None:
        """Take the threads' frames, for `settle` and `observe`, with every thread stopped.

        Once per step: on the free-threaded build `sys._current_frames()`
        stops the world, and costs accordingly. With the collector off: on
        3.11 before 3.11.9 a collection inside it can deadlock with a thread
        that is exiting (CPython issue 106883; seen here, 2 runs in about
        100, with the previous run's threads ending).
        """
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.snapshot = sys._current_frames()
        finally:
            if collecting:
                gc.enable()

    def _frames(self, thread: int) -> list[Any]:
        """The frames of a stopped thread (as `look` found them), outermost first.

        A core step suspended at a yield while its driver makes the user's
        call (`_drive.run`: the step's `close()`, `check`, `new()`) is off the
        thread's stack, though its call is the thread's: its frames (the
        `yield from` chain) are put back after the driver's frame.
        """
        frame = self.snapshot.get(self.threads.get(thread, -1))
        frames = []
        while frame is not None:
            frames.append(frame)
            frame = frame.f_back
        frames.reverse()
        found = []
        for frame in frames:
            found.append(frame)
            if frame.f_code is _RUN:
                steps = frame.f_locals.get("steps")
                while steps is not None and getattr(steps, "gi_suspended", False):
                    found.append(steps.gi_frame)
                    steps = steps.gi_yieldfrom
        return found

    def own(self, client: int) -> set[int]:
        """The live resources in client `client`'s hands (its guard, its call's `held`)."""
        found: list[Any] = []
        guard = self.guards[client]
        if guard is not None:
            found += guard._box
        for frame in self._frames(client):
            if frame.f_code is _APPEND or frame.f_code is _IADD:
                # release()'s `free.append(held.pop())`: popped, not yet
                # appended (the append is the next step), the client's still.
                local = frame.f_locals
                found += [local.get("item"), *local.get("items", ())]
                continue
            if not _in_pool(frame):
                continue
            if frame.f_code.co_name in _SWEEPING:
                break  # a sweeper's, from here in
            if frame.f_code.co_name not in _OWNING:
                continue
            local = frame.f_locals
            held = local.get("held")
            if isinstance(held, list):
                found += held
            box = getattr(local.get("guard"), "_box", None)
            if isinstance(box, list):
                found += box
        return {u.number for u in found if isinstance(u, Unit)} & self.alive

    def observe(self) -> dict[str, object]:
        """Lifecycle.tla's observed variables, read off the stopped pool."""
        free: list[int] = []
        for item in deque.__iter__(self.pool._free):
            free += [0] * item if isinstance(item, int) else [item.number]
        lifecycle = self.pool._lifecycle
        assert lifecycle is not None
        return {
            "free": free,
            "alive": sorted(self.alive),
            "own": [sorted(self.own(c)) for c in range(1, self.clients + 1)],
            "bound": self.pool._maximum,
            "debt": deque.__len__(lifecycle.debt),
        }


_APPEND = ScheduledDeque.append.__code__
_RUN = drive.__code__
_IADD = ScheduledDeque.__iadd__.__code__


def _in_pool(frame: Any) -> bool:
    return "rpool" in frame.f_code.co_filename


# Steps logged though their point has no model action: the lifecycle's
# containers (whose points the instrument does not name) and `new()`'s
# counter (Create, Renew: see trace.py).
_LOGGED_OPS = frozenset(
    {
        "debt.len",
        "debt.pop",
        "debt.extend",
        "paying.pop",
        "paying.iadd",
        "created.next",
        "discarded.next",
        "discarded.value",
    }
)


class LifecycleLog:
    """The scheduler's `after_step`: one ndjson line per step that may be a model step."""

    def __init__(self, harness: LifecycleHarness, run: int = 1) -> None:
        self.harness = harness
        self.run = run
        self.last = harness.observe()
        self.lines: list[dict[str, object]] = []
        self._add(-1, 0, "Init", "init", self.last)

    def after_step(self, step: Step) -> None:
        process = self.harness.settle(step)
        seen = self.harness.observe()
        logged = step.op in _LOGGED_OPS or (step.action not in (None, "Start") and step.op != "new")
        if not logged:
            if seen != self.last:
                raise UnloggedChangeError(
                    f"step {step.index} (T{step.thread} {step.op}) is no model step "
                    f"but changed the state: {self.last} -> {seen}"
                )
            return
        self._add(step.index, process, step.action or step.op, step.op, seen)
        if self.harness.busy:
            self.lines[-1]["busy"] = True
        if step.op == "call" and step.thread == self.harness.resizer:
            self.lines[-1]["call"] = "resize"
            self.lines[-1]["target"] = self.harness.target
        self.last = seen

    def end(self) -> None:
        """Log the run's last line, op "end": every thread has finished (before `dispose()`)."""
        self.harness.look()
        self._add(-1, 0, "End", "end", self.harness.observe())

    def _add(self, index: int, process: int, action: str, op: str, seen: dict[str, object]) -> None:
        line: dict[str, object] = {
            "run": self.run,
            "line": len(self.lines) + 1,
            "step": index,
            "p": process,
            "action": action,
            "op": op,
        }
        line.update(seen)
        self.lines.append(line)


class RunFailedError(Exception):
    """A scheduled run did not finish cleanly, so its trace is incomplete."""


def record_lifecycle(
    setup: LifecycleSetup, seed: int, runs: int, calls: int = 12
) -> list[dict[str, object]]:
    """The traces of `runs` random runs of `setup`, numbered 1..runs, as ndjson lines."""
    lines: list[dict[str, object]] = []
    for run in range(1, runs + 1):
        _, log = _record(setup, seed * 1000 + run, run, calls)
        lines += log.lines
    return lines


def _record(setup: LifecycleSetup, seed: int, run: int, calls: int) -> tuple[Run, LifecycleLog]:
    # The jitter of each deadline is drawn from the module-level generator
    # (Lifecycle._deadline): seeded, so that the run replays from `seed`.
    random.seed(seed)
    harness = LifecycleHarness(setup, seed, calls)
    log = LifecycleLog(harness, run)
    scheduler = Scheduler(RandomChooser(seed), after_step=log.after_step)
    try:
        result = scheduler.run(harness.programs())
        if not result.failure:
            log.end()
    finally:
        harness.dispose()
    if result.failure is not None or result.blocked is not None or result.errors:
        raise RunFailedError(
            f"run {run} (seed {seed}): {result.failure!r} {result.errors}\n" + result.describe()
        )
    return result, log


if __name__ == "__main__":
    main(__doc__.splitlines()[0], LIFECYCLE_CONFIGS, record_lifecycle)
