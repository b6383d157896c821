"""The instrumented pool of rpool's tests: rpool.testing's, plus a pool whose callers never wait.

Everything but `ScheduledPool(waiting=False)` is rpool.testing._instrument's
(see its docstring for the scheduling points and the action naming each).
"""

from __future__ import annotations

from collections import deque
from typing import Any, TypeVar

from rpool import ScaleMode
from rpool._poolable import Factory, Poolable
from rpool.testing import _instrument

__all__ = ["ScheduledPool"]

C = TypeVar("C")
R = TypeVar("R", bound=Poolable[Any])


class _NeverWaited(deque[Any]):
    """The waiter queue of a pool whose callers never wait: always empty, reads are no points."""

    def append(self, item: Any, /) -> None:
        raise AssertionError("a caller waits on a ScheduledPool made with waiting=False")

    appendleft = append


# mypy counts a subclass of a subclass of the @final Pool as one of Pool too.
class ScheduledPool(_instrument.ScheduledPool[C, R]):  # type: ignore[misc]
    """rpool.testing's `ScheduledPool` (with a context), whose waiter queue may be a constant."""

    def __init__(
        self, resource: Factory[C, R], mode: ScaleMode, context: C, *, waiting: bool = True
    ) -> None:
        """`waiting=False`: callers never wait, and the waiter queue's reads are no points.

        The free-list conformance runs (tests/conformance) check traces against
        models/FreeList.tla, which has no waiter queue, and make no acquire()
        call. Their queue is then always empty: reading it reads a constant,
        which commutes with every other step, so it belongs to the step before
        it. As a point it would split get()'s TakeFree (the pop, then the
        guard) into two steps with the resource in no one's hands between.
        """
        super().__init__(resource, mode, context)
        if not waiting:
            self._waiters = _NeverWaited()
