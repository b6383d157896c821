"""`Probe`: a test resource that reports everything done to it, and `Lab`, its context.

The parallel tests (test_parallel.py, test_lockfree.py) look at a pool through
its resources, as a user would, but closely:

- Each callback (`new`, `reset`, `close`) starts with a scheduling point
  (Create, Reset, Discard), so the scheduler can stop a thread inside user
  code, and does what the calling operation's plan says: succeed, fail
  (`reset` returns False) or raise `Boom`.
- Each callback and each operation is logged as an `Event` with a global
  sequence number from one atomic counter, so the events give the real-time
  order the linearizability checker needs (tests/lincheck/history.py).
- The lab keeps the ground truth the resources see (alive, being created,
  held by whom, being reset) and records a `violation` the moment a rule is
  broken: more capacity in use than the maximum, a resource handed out twice,
  during its reset or after its discard, a resource discarded while held or
  twice. The checks run inside the callbacks, where no assertion could
  propagate (the pool would take it for a failing callback), so they are
  recorded and the tests assert there are none.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

from rpool.testing._scheduler import point
from tests.resources import Boom

__all__ = ["Event", "Lab", "Plan", "Probe"]


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened, at time `t` (a global sequence number), in `process`."""

    t: int
    process: int
    kind: str
    """call, return, new, made, new-raised, reset, reset-done, close."""
    number: int | None = None
    """The resource's number, where there is one."""
    detail: str = ""
    """The operation and its result, or the callback's outcome."""


@dataclass
class Plan:
    """What the callbacks do during one operation, consumed in call order.

    `new` and `reset` list outcomes ("ok", "raise"; "ok", "false", "raise");
    once a list runs out, callbacks succeed.
    """

    new: Sequence[str] = ()
    reset: Sequence[str] = ()
    new_calls: int = 0
    reset_calls: int = 0

    def next_new(self) -> str:
        self.new_calls += 1
        return self.new[self.new_calls - 1] if self.new_calls <= len(self.new) else "ok"

    def next_reset(self) -> str:
        self.reset_calls += 1
        return self.reset[self.reset_calls - 1] if self.reset_calls <= len(self.reset) else "ok"


class Lab:
    """The context of a probed pool: plans, event log and ground truth."""

    def __init__(self, maximum: int | None) -> None:
        self.maximum = maximum
        self.clock = itertools.count()
        self.logs: dict[int, list[Event]] = {}
        self.violations: list[str] = []
        self.alive = 0
        self.creating = 0
        self.peak = 0
        self.numbers = itertools.count()
        self.local = threading.local()
        # Guards the ground-truth fields when real threads run at once. It is
        # the test's bookkeeping, never held across a scheduling point or
        # while the pool does anything.
        self.lock = threading.Lock()

    # --- the harness's side ---------------------------------------------

    def enter(self, process: int) -> None:
        """The calling thread is `process` from now on."""
        self.local.process = process
        self.logs.setdefault(process, [])

    def log(self, kind: str, number: int | None = None, detail: str = "") -> None:
        process: int = getattr(self.local, "process", -1)
        event = Event(next(self.clock), process, kind, number, detail)
        self.logs.setdefault(process, []).append(event)

    def begin(self, detail: str, plan: Plan) -> None:
        """An operation starts in the calling thread, with `plan` for its callbacks."""
        self.local.plan = plan
        self.log("call", detail=detail)

    def end(self, result: str, number: int | None = None) -> None:
        self.log("return", number, result)
        self.local.plan = Plan()

    def violated(self, message: str) -> None:
        with self.lock:
            self.violations.append(message)

    def handed_out(self, probe: Probe, holder: int) -> None:
        """The harness got `probe` from get(): check it may be handed out."""
        with self.lock:
            if probe.closed:
                self.violations.append(f"{probe} handed out after its discard")
            if probe.holder is not None:
                self.violations.append(f"{probe} handed out while P{probe.holder} holds it")
            if probe.resetting:
                self.violations.append(f"{probe} handed out during its reset")
            probe.holder = holder

    def giving_back(self, probe: Probe) -> None:
        """The harness is about to release (or drop) `probe`'s guard."""
        with self.lock:
            probe.holder = None

    def plan(self) -> Plan:
        plan: Plan | None = getattr(self.local, "plan", None)
        return plan if plan is not None else Plan()


class Probe:
    """A pooled resource that checks and logs what the pool does with it."""

    def __init__(self, lab: Lab, number: int) -> None:
        self.lab = lab
        self.number = number
        self.closed = False
        self.resetting = False
        self.holder: int | None = None

    @classmethod
    def new(cls, lab: Lab) -> Self:
        # Capacity is in use from the moment new() is entered, also while the
        # scheduler keeps this thread stopped at the point below.
        with lab.lock:
            lab.creating += 1
            used = lab.alive + lab.creating
            lab.peak = max(lab.peak, used)
            if lab.maximum is not None and used > lab.maximum:
                lab.violations.append(
                    f"{used} resources alive or being created, maximum {lab.maximum}"
                )
        point("Create", "new")
        lab.log("new")
        fails = lab.plan().next_new() == "raise"
        with lab.lock:
            lab.creating -= 1
            if not fails:
                lab.alive += 1
                number = next(lab.numbers)
        if fails:
            lab.log("new-raised")
            raise Boom("new")
        lab.log("made", number)
        return cls(lab, number)

    def reset(self) -> bool:
        # Being reset from the moment reset() is entered: a get() that hands
        # the resource out while this thread is stopped below is caught.
        self.resetting = True
        point("Reset", "reset")
        self.lab.log("reset", self.number)
        if self.closed:
            self.lab.violated(f"{self} reset after its discard")
        if self.holder is not None:
            self.lab.violated(f"{self} reset while P{self.holder} holds it")
        outcome = self.lab.plan().next_reset()
        self.resetting = False
        self.lab.log("reset-done", self.number, outcome)
        if outcome == "raise":
            raise Boom("reset")
        return outcome == "ok"

    def close(self) -> None:
        point("Discard", "close")
        self.lab.log("close", self.number)
        with self.lab.lock:
            if self.closed:
                self.lab.violations.append(f"{self} discarded twice")
            if self.holder is not None:
                self.lab.violations.append(f"{self} discarded while P{self.holder} holds it")
            self.closed = True
            self.lab.alive -= 1

    def __repr__(self) -> str:
        return f"r{self.number}"
