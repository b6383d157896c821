"""`Unit`: a test resource numbered as the model numbers resources, and its `Context`.

The model (models/FreeList.tla) names a resource by a positive number and
gives each new one the least number no live resource has (`Fresh`). `Unit`
gets its number the same way, so the pool's deques can be compared with the
model's variables without any translation table. It gets it when the model's
Create step happens: in the constructor at once, and in scheduled threads
when the harness sees the step that records `new()`'s success (the counter
`created.next`, see trace.py), not earlier: two threads may be inside
`new()` at once, and the one whose creation the model orders first must
get the lower number.

Each callback (`new`, `reset`, `close`) starts with a scheduling point named
by its model action (Create, Reset, Discard), then does what the calling
thread's `Decider` says: succeed, or fail the way the model allows
(`new` raises; `reset` returns False or raises; `close` raises).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol, Self

from rpool.testing._scheduler import point
from tests.resources import Boom

__all__ = ["Context", "Decider", "HasNumber", "Unit"]

Decider = Callable[[str], str]
"""Given a callback ("new", "reset", "close"), its outcome: "ok", "false" or "raise"."""


class HasNumber(Protocol):
    number: int


class Context:
    """The pool's context: the live numbers, and each thread's decider.

    Only one thread runs at a time under the scheduler, and the pool's
    constructor runs before any scheduled thread starts, so `live` needs no lock.
    The process a call runs in is the thread's (`_here`); async_runs.py's
    `AsyncContext` says the task's instead.
    """

    def __init__(self) -> None:
        self.live: set[int] = set()
        self.made: dict[int, HasNumber] = {}
        """The unit each process's `new()` made and that has no number yet."""
        self._local = threading.local()

    def enter(self, process: int, decider: Decider) -> None:
        """The calling thread is `process`; its callbacks follow `decider`."""
        self._local.here = (process, decider)

    def _here(self) -> tuple[int, Decider] | None:
        """The calling process and its decider; None outside the processes."""
        here: tuple[int, Decider] | None = getattr(self._local, "here", None)
        return here

    def decide(self, callback: str) -> str:
        here = self._here()
        return "ok" if here is None else here[1](callback)

    def number(self, unit: HasNumber) -> None:
        """Give `unit` the model's `Fresh`: the least positive number no live resource has."""
        number = 1
        while number in self.live:
            number += 1
        unit.number = number
        self.live.add(number)

    def created(self, process: int) -> None:
        """The model's Create step of `process` happened: number the unit its new() made."""
        self.number(self.made.pop(process))

    def arrived(self, unit: HasNumber) -> None:
        """`new()` made `unit`: number it now, or at its Create step if in a process."""
        here = self._here()
        if here is None:
            self.number(unit)
        else:
            self.made[here[0]] = unit


class Unit:
    """A pooled resource known by its model number."""

    __slots__ = ("context", "number")

    def __init__(self, context: Context, number: int) -> None:
        self.context = context
        self.number = number

    @classmethod
    def new(cls, context: Context) -> Self:
        point("Create", "new")
        if context.decide("new") == "raise":
            raise Boom("new")
        unit = cls(context, 0)
        context.arrived(unit)
        return unit

    def reset(self) -> bool:
        point("Reset", "reset")
        outcome = self.context.decide("reset")
        if outcome == "raise":
            raise Boom("reset")
        return outcome == "ok"

    def close(self) -> None:
        # The model's Discard takes the resource out of `live` whether or not
        # close() then raises.
        point("Discard", "close")
        self.context.live.discard(self.number)
        if self.context.decide("close") == "raise":
            raise Boom("close")

    def __repr__(self) -> str:
        return f"u{self.number}"
