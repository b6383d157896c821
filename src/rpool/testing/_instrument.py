"""A `Pool` whose every shared-state access is a scheduling point, named by model action.

The pool's shared state lives in containers whose types are class attributes
of `Pool` (`_deque_type`, `_tally_type`), read only by the constructor, and
in the `_closed` slot. `ScheduledPool` substitutes subclasses of the
containers whose methods call `point()` first, and turns `_closed` into a
property that does the same, so the production classes carry no test code
and pay nothing for it (docs/testing.md has the measurement; tests/scheduler/
seam_cost.py measures it).

Each point is named by the model action (models/FreeList.tla) of the step it
stands in front of, and by the operation itself (`free.pop`, ...):

| operation | action |
|---|---|
| `free.__len__`, `free.pop()`, `free[-1]` in get | TakeFree |
| `free.__len__`, `waiters.__len__` in `waiting()` (leaving) | PassOn |
| `free.pop()` in `_drain` | DrainFree |
| `free.append()`, `free.extend()`, `free += ...` | PutIdle |
| `free.appendleft()` | ReturnGrant |
| `free.copy()`, `waiters.copy()` | (none: a snapshot reads, changes nothing) |
| `waiters.__len__` | CheckWaiters |
| `waiters[0]`, a read of `waiter.alive` | CheckHead |
| `waiters.append()` (or `appendleft()`) | Enqueue |
| the store `waiter.alive = False`, `waiters.remove()` | Leave |
| `waiter.put(None)` | Ring |
| `waiter.get(timeout=...)` | Park |
| `orphans += ...` in `PoolGuard.__del__` | Orphan |
| `orphans += ...` in a handler | Recover |
| `orphans.__len__`, `orphans.pop()` | TakeOrphan |
| read of `_closed` | CheckClosed |
| write of `_closed` | SetClosed |
| `next(counter)`, `counter.value` | (none: counters are not model variables) |

rpool's own tests add points of their own: the user callbacks (Create, Reset,
Discard) in tests/probe.py, and Claim, which their harness places just before
`guard.release()`, whose first step is the claim. Points in threads no
scheduler runs do nothing.

Waiting (`acquire()`). `Pool._waiter_type` and `Pool._clock` are seams too:
a `ScheduledPool` gets its own `VirtualClock`, which stands still until a
waiter's park times out, and `ScheduledWaiter`s that park at a point, Park,
whose step is the park's return. The scheduler picks a parked thread only if
it can return: it was rung (a token is pending: the park returns it), or it
has a timeout (the park then times out: the clock jumps just past that
waiter's deadline, and the park raises `queue.Empty`, so the waiting
generator sees its deadline passed). A thread parked with no token and no
timeout is not runnable until some other thread rings it (`_scheduler.py`,
"Parked threads"). No wall-clock time passes in a scheduled
run. Outside one (a thread no scheduler runs, or after the run let every
thread go), a park with a token returns it, one with a timeout times out at
once on the virtual clock, and one with neither really waits for a ring.
"""

from __future__ import annotations

import contextlib
import math
import sys
import threading
from collections import deque
from collections.abc import Iterator
from queue import Empty
from typing import Any, ClassVar, Self, SupportsIndex, TypeVar, Unpack, overload

from rpool import Pool, ScaleMode
from rpool._poolable import Factory, Poolable
from rpool._stats import Tally
from rpool._waiters import ThreadWaiter

from ._clock import FakeClock
from ._options import PoolOptions
from ._scheduler import point

__all__ = [
    "ScheduledDeque",
    "ScheduledPool",
    "ScheduledTally",
    "ScheduledWaiter",
    "VirtualClock",
    "collecting",
]

C = TypeVar("C")
R = TypeVar("R", bound=Poolable[Any])


def closed_through_points(slot: Any) -> property:
    """A pool's `_closed` as a property: `slot` (the member descriptor), after a point.

    A read stops at CheckClosed, a write at SetClosed; each then reads or
    writes the slot. `ScheduledPool` and the async conformance pool use it.
    """

    def read(pool: object) -> bool:
        point("CheckClosed", "closed.read")
        return bool(slot.__get__(pool))

    def write(pool: object, value: object) -> None:
        point("SetClosed", "closed.write")
        slot.__set__(pool, value)

    return property(read, write)


def alive_through_points(slot: Any) -> property:
    """A waiter's `alive` as a property: `slot` (the member descriptor), after a point.

    A read stops at CheckHead; a store of False (the waiter leaves) at Leave.
    The constructor's store of True is no step (nobody sees the waiter yet).
    `ScheduledWaiter` and the async conformance waiter use it.
    """

    def read(waiter: object) -> bool:
        point("CheckHead", "waiter.alive")
        return bool(slot.__get__(waiter))

    def write(waiter: object, value: bool) -> None:
        if not value:
            point("Leave", "waiter.alive")
        slot.__set__(waiter, value)

    return property(read, write)


# The member descriptors of Pool's `_closed` slot and ThreadWaiter's `alive`
# slot, which the scheduled subclasses read and write through the properties
# above (and read directly where a check between steps must not stop).
_CLOSED: Any = Pool.__dict__["_closed"]
_ALIVE: Any = ThreadWaiter.__dict__["alive"]


class ScheduledDeque(deque[Any]):
    """A deque that stops at a scheduling point before each operation the pool uses."""

    role = "free"
    """"free", "orphans" or "waiters": which of the pool's deques this is."""

    # A guard still held when the interpreter exits is finalized after this
    # module's globals are cleared: its Orphan step reaches `__iadd__` and
    # `__len__`, which therefore find what they call through the class.
    _point = staticmethod(point)
    _frame = staticmethod(sys._getframe)

    def _caller(self) -> str:
        """The name of the pool's function that called the instrumented method."""
        # Frames: 0 here, 1 the instrumented method, 2 the pool's method calling it.
        return self._frame(2).f_code.co_name

    _LEN_ACTION: ClassVar[dict[str, str]] = {
        "free": "TakeFree",
        "orphans": "TakeOrphan",
        "waiters": "CheckWaiters",
    }

    def __len__(self) -> int:
        caller = self._caller()
        if caller == "__del__":
            # A guard's finalizer reads `waiters` after its Orphan step, to
            # ring a parked head: folded into that step, since a finalizer
            # has one point (scheduler.py, "Finalizers").
            return super().__len__()
        # A waiter leaving reads both `free` and `waiters` to pass on.
        action = "PassOn" if caller == "waiting" else self._LEN_ACTION[self.role]
        self._point(action, f"{self.role}.len")
        return super().__len__()

    # deque narrows Sequence's signatures of these two the same way (typeshed).
    def __getitem__(self, index: SupportsIndex, /) -> Any:  # type: ignore[override]
        self._point("CheckHead" if self.role == "waiters" else "TakeFree", f"{self.role}.getitem")
        return super().__getitem__(index)

    def remove(self, item: Any, /) -> None:
        self._point("Leave", f"{self.role}.remove")
        super().remove(item)

    def pop(self) -> Any:  # type: ignore[override]
        if self.role == "orphans":
            action = "TakeOrphan"
        else:
            action = "DrainFree" if self._caller() == "_drain" else "TakeFree"
        self._point(action, f"{self.role}.pop")
        return super().pop()

    def popleft(self) -> Any:
        self._point("DrainFree", f"{self.role}.popleft")
        return super().popleft()

    def append(self, item: Any, /) -> None:
        action = {"free": "PutIdle", "orphans": "Orphan", "waiters": "Enqueue"}[self.role]
        self._point(action, f"{self.role}.append")
        super().append(item)

    def appendleft(self, item: Any, /) -> None:
        self._point(
            "Enqueue" if self.role == "waiters" else "ReturnGrant", f"{self.role}.appendleft"
        )
        super().appendleft(item)

    def extend(self, items: Any, /) -> None:
        self._point("PutIdle", f"{self.role}.extend")
        super().extend(items)

    def __iadd__(self, items: Any, /) -> Self:  # type: ignore[misc]  # deque's own pair
        if self.role == "free":
            action = "PutIdle"
        else:
            action = "Orphan" if self._caller() == "__del__" else "Recover"
        self._point(action, f"{self.role}.iadd")
        # deque.__iadd__ of a subclass extends in C without calling extend().
        return super().__iadd__(items)

    def copy(self) -> ScheduledDeque:
        self._point(None, f"{self.role}.copy")
        # deque.copy() of a subclass would call len() through this class; the
        # copy is one step, so it is made without further points.
        copied = ScheduledDeque(super().__iter__())
        copied.role = self.role
        return copied


class ScheduledTally(Tally):
    """A counter that stops at a scheduling point before each increment and read."""

    name = "counter"

    def __next__(self) -> int:
        point(None, f"{self.name}.next")
        return int(super().__next__())

    @property
    def value(self) -> int:
        point(None, f"{self.name}.value")
        text = Tally.__repr__(self)
        return int(text[text.index("(") + 1 : -1])


class VirtualClock(FakeClock):
    """A pool's clock (`Pool._clock`) in a scheduled run: it moves only when a park times out."""

    __slots__ = ()

    def expire(self, timeout: float) -> None:
        """Move just past `timeout` seconds from now: a deadline read then has passed."""
        self.now = max(self.now, math.nextafter(self.now + timeout, math.inf))


class ScheduledWaiter(ThreadWaiter):
    """A thread's waiter whose park, ring and `alive` flag are scheduling points.

    `clock` is the pool's `VirtualClock` (a `ScheduledPool` makes a subclass
    per pool that sets it). `park` is the timeout of the park in progress:
    None while not parked, `math.inf` for a park with no timeout.
    """

    clock: ClassVar[VirtualClock] = VirtualClock()

    def __init__(self) -> None:
        super().__init__()
        self.park: float | None = None

    alive = alive_through_points(_ALIVE)

    def peek_alive(self) -> bool:
        """`alive`, read without a scheduling point (for checks made between steps)."""
        return bool(_ALIVE.__get__(self))

    def can_return(self) -> bool:
        """Whether the park in progress can return now: rung, or it has a timeout."""
        return not self.empty() or self.park != math.inf

    def put(self, item: None, block: bool = True, timeout: float | None = None) -> None:
        point("Ring", "waiter.put")
        super().put(item, block, timeout)

    def get(self, block: bool = True, timeout: float | None = None) -> None:
        self.park = math.inf if timeout is None else timeout
        try:
            point("Park", "waiter.get", self.can_return)
        finally:
            self.park = None
        if not self.empty():  # rung: the park returns the token at once
            return super().get(False)
        if timeout is None:  # not scheduled (any more): wait for a real ring
            return super().get()
        self.clock.expire(timeout)
        raise Empty


# The pools made by the `collecting()` block in progress in this thread.
_collecting = threading.local()


@contextlib.contextmanager
def collecting() -> Iterator[list[ScheduledPool[Any, Any]]]:
    """Collect, in a list, every `ScheduledPool` this thread makes inside the block.

    The interleaving tools make a run's state in such a block, so that a run
    that ends with threads parked for good can close the pools they wait on.
    """
    outer = getattr(_collecting, "pools", None)
    pools: list[ScheduledPool[Any, Any]] = []
    _collecting.pools = pools
    try:
        yield pools
    finally:
        _collecting.pools = outer


# Pool is @final for users; this subclass exists so that the reads and writes
# of the `_closed` slot become scheduling points.
class ScheduledPool(Pool[C, R]):  # type: ignore[misc]
    """A `Pool` whose every shared-state step is a scheduling point; otherwise the same.

    Made with `Pool`'s arguments and options. Outside a scheduled run (in a
    thread no scheduler runs) it behaves as the `Pool` it is, a little slower;
    inside one, each of its steps is a point where the scheduler may switch
    threads. Waiting (`acquire(timeout)`) uses the pool's own virtual clock,
    `clock`, which stands still until the scheduler lets a park time out, so
    no run ever sleeps; the `clock=` option, the time source of lifetimes and
    idle times, is the caller's to advance.

    Raises:
        ValueError: `maintain_every` is given: a maintainer thread would run
            outside the schedule (call `pool.maintain()` from a thread of
            the run instead).
        TypeError, ValueError, Exception: as `Pool`.
    """

    _deque_type = ScheduledDeque
    _tally_type = ScheduledTally

    @overload
    def __init__(
        self: ScheduledPool[None, R],
        resource: Factory[None, R],
        mode: ScaleMode,
        **options: Unpack[PoolOptions[R]],
    ) -> None: ...
    @overload
    def __init__(
        self,
        resource: Factory[C, R],
        mode: ScaleMode,
        context: C,
        **options: Unpack[PoolOptions[R]],
    ) -> None: ...
    def __init__(
        self,
        resource: Factory[Any, R],
        mode: ScaleMode,
        context: Any = None,
        **options: Unpack[PoolOptions[R]],
    ) -> None:
        if options.get("maintain_every") is not None:
            raise ValueError(
                "maintain_every starts a thread the scheduler does not run; "
                "call pool.maintain() from a thread of the run instead"
            )
        super().__init__(resource, mode, context, **options)
        self._orphans.role = "orphans"  # type: ignore[attr-defined]
        self._waiters.role = "waiters"  # type: ignore[attr-defined]
        # This pool's own time, and waiters that read it (instance attributes
        # shadow the class's seams: unlike Pool, this subclass has a __dict__).
        self.clock = clock = VirtualClock()
        self._clock = clock
        self._waiter_type = type("ScheduledWaiter", (ScheduledWaiter,), {"clock": clock})
        # Name each counter after its slot (`_created` is "created").
        for slot in Pool.__slots__:
            counter = getattr(self, slot, None)
            if isinstance(counter, ScheduledTally):
                counter.name = slot.lstrip("_")
        pools: list[ScheduledPool[Any, Any]] | None = getattr(_collecting, "pools", None)
        if pools is not None:
            pools.append(self)

    _closed = closed_through_points(_CLOSED)
