"""The waiter queue: callers of `acquire()` parked in arrival order.

A caller that finds the pool exhausted appends a waiter to the pool's
`_waiters` deque and parks on that waiter, its own parking primitive. Only the
oldest live waiter, the head, may take from the free list; everyone else who
takes something while waiters exist gives it back (Pool.get's Yield step). So
whatever becomes available while callers wait goes to the oldest of them, and
the head takes it in its own thread or task: a grant it takes is turned into a
resource by its own `new()`.

Nothing is ever handed from one thread to another: resources stay in the free
list until the head pops them. A ring (`put(None)`) only tells the head to look
again. That is why a timeout, a cancellation or a KeyboardInterrupt while
parked can lose nothing: a parked waiter holds nothing.

No wake-up is lost because each side publishes, then checks (docs/design.md,
"Waiting"): whoever adds to the free list (a release, a grant given back, a
get() yielding) appends first, then rings the head if waiters exist; a waiter
enqueues first, then looks at the free list, and a head that leaves (served,
timed out, cancelled) removes itself first, then rings the next head if
something is still idle.

Atomic steps (both builds, as in _freelist.py): `append`, `remove`, `[0]`,
`len` and `copy` on the deque; `SimpleQueue.put` (one C call that stores the
token and wakes the parked thread; on the free-threaded build it holds the
queue's own lock); loads and stores of a waiter's `alive` slot.
"""

from __future__ import annotations

import math
import threading
from asyncio import AbstractEventLoop, Future
from bisect import bisect_right
from collections import deque
from collections.abc import Callable
from functools import partial
from numbers import Real
from queue import Empty, SimpleQueue
from typing import TYPE_CHECKING, Any, Protocol

from ._errors import PoolClosedError, PoolTimeout
from ._options import as_float
from ._stats import WAIT_BOUNDS

if TYPE_CHECKING:
    from ._core import Core
    from ._drive import Steps

__all__ = [
    "WAIT_BOUNDS",
    "AsyncWaiter",
    "ThreadWaiter",
    "Waiter",
    "first_alive",
    "park_thread",
    "ring",
    "ring_all",
    "seconds",
    "waiting",
]


class Waiter(Protocol):
    """What the waiter queue holds: one parked caller.

    `alive` is False once the waiter has left or can never be woken; such an
    entry is skipped and removed by whoever finds it at the head. `put(None)`
    rings it: it must not block, and a ring before the waiter parks is kept
    (it then does not park).
    """

    alive: bool

    def put(self, item: None, /) -> None: ...


class ThreadWaiter(SimpleQueue[None]):
    """A thread's waiter: it parks in `get(timeout=...)`; each ring is a token.

    A token that arrives before the thread parks makes the park return at
    once, so a ring is never lost. Extra tokens cost a spurious look at the
    queue, nothing more.
    """

    __slots__ = ("alive",)

    def __init__(self) -> None:
        self.alive = True


def park_thread(waiter: ThreadWaiter, timeout: float | None) -> None:
    """Park the calling thread on `waiter` until rung or `timeout` seconds (Model: Park)."""
    try:  # noqa: SIM105 (a context manager per park would cost a call)
        waiter.get(timeout=timeout)
    except Empty:
        pass


class AsyncWaiter:
    """An asyncio task's waiter, rung from any thread or event loop.

    A ring from the task's own thread sets the flag at once; from another
    thread it goes through `loop.call_soon_threadsafe`, so the future is only
    touched on its own loop. If that loop is closed (either way of ringing
    then raises RuntimeError), `put` marks the waiter dead and raises, and
    `ring` moves on to the next waiter.
    """

    __slots__ = ("_future", "_loop", "_rung", "_thread", "alive")

    def __init__(self, loop: AbstractEventLoop) -> None:
        self.alive = True
        self._loop = loop
        self._thread = threading.get_ident()
        self._rung = False
        self._future: Future[None] | None = None

    def put(self, item: None, /) -> None:
        try:
            if threading.get_ident() == self._thread:
                self._wake()
            else:
                self._loop.call_soon_threadsafe(self._wake)
        except RecursionError:
            raise
        except RuntimeError:  # the loop is closed: this task can never run again
            self.alive = False
            raise

    def _wake(self) -> None:
        self._rung = True
        future = self._future
        if future is not None and not future.done():
            future.set_result(None)

    async def park(self, timeout: float | None) -> None:
        """Wait for a ring, or `timeout` seconds; return at once if rung already."""
        if not self._rung:
            self._future = future = self._loop.create_future()
            expire = None if timeout is None else self._loop.call_later(timeout, self._wake)
            try:
                await future
            finally:
                self._future = None
                if expire is not None:
                    expire.cancel()
        self._rung = False


_PARK_MAX = min(threading.TIMEOUT_MAX, 86400.0)


def seconds(timeout: object) -> float:
    """`timeout` as a float number of seconds, checked.

    Raises:
        TypeError: `timeout` is not a real number (a bool is refused).
        ValueError: `timeout` is NaN.
    """
    if isinstance(timeout, bool) or not isinstance(timeout, Real):
        raise TypeError(
            f"timeout must be a number of seconds or None, not {type(timeout).__name__}"
        )
    value = as_float(timeout)
    if math.isnan(value):
        raise ValueError("timeout must be a number of seconds or None, not NaN")
    return value


def first_alive(waiters: deque[Any]) -> Waiter | None:
    """The head: the oldest live waiter; dead entries found before it are removed.

    Loops while it finds dead entries, each of which some waiter left (or
    can never be woken): lock-free, and only waiters call it.
    """
    while True:
        try:
            first: Waiter = waiters[0]
        except IndexError:
            return None
        if first.alive:
            return first
        try:  # noqa: SIM105 (no Python-level context manager between the steps)
            waiters.remove(first)
        except ValueError:  # removed by another thread meanwhile
            pass


def ring(waiters: deque[Any]) -> None:
    """Tell the head to look at the free list again (Model: Ring). Never blocks.

    Wait-free: it looks at no more entries than the queue held when it began
    (plus one), removing dead ones on its way. A dead head it cannot get past
    is a waiter leaving, whose PassOn rings the next head after it.
    """
    for _ in range(len(waiters) + 1):
        try:
            head: Waiter = waiters[0]
        except IndexError:
            return
        if head.alive:
            try:
                head.put(None)
            except RecursionError:
                raise
            except RuntimeError:  # an AsyncWaiter whose loop is closed, now dead
                continue
            return
        try:  # noqa: SIM105 (as in first_alive)
            waiters.remove(head)
        except ValueError:  # removed by another thread meanwhile
            pass


def ring_all(waiters: deque[Any]) -> None:
    """Ring every waiter (close() does, so that each sees the pool closed)."""
    if not waiters:
        return
    while True:
        try:
            everyone = waiters.copy()
        except RecursionError:
            raise
        except RuntimeError:  # changed during the copy (3.13t, see _freelist.snapshot)
            continue
        break
    for waiter in everyone:
        try:
            waiter.put(None)
        except RecursionError:
            raise
        except RuntimeError:  # an AsyncWaiter whose loop is closed
            pass


def waiting(
    pool: Core[Any], waiter: Waiter, ends: float | None, park: Callable[[float | None], Any]
) -> Steps[Any]:
    """The steps of a parked `acquire()`; shared by every shell and driver.

    `ends` is an instant on `pool._clock` (`time.monotonic`), or None to wait until served or
    closed. A step of the core (`_drive.py`): it yields the calls it needs,
    `park(seconds)` (None: until rung), which parks on `waiter` that long or
    less, and, as the head, the user's calls of `pool._head()` (a `new()`
    for a grant). Returns the guard once the waiter, as the head, takes
    something. However it ends (served, timed out, closed, or by an
    exception thrown in at a park: an interruption, a cancellation) it
    leaves the queue first, then rings the next head if something is idle.
    A parked waiter holds nothing, so leaving loses nothing.

    Raises:
        PoolTimeout: `ends` passed before the waiter, as the head, found
            anything to take.
        PoolClosedError: the pool was closed.
        BaseException: whatever `new()` raised when the head took a grant.
    """
    waiters = pool._waiters
    clock = pool._clock
    started = clock()
    next(pool._waited)
    waiters.append(waiter)  # Model: Enqueue.
    try:
        while True:
            # The clock is read before the last look, not after it: what
            # arrives while it is read is still found by the look below.
            remaining = None if ends is None else ends - clock()
            if pool._closed:  # Model: CheckClosed (close() rings after setting it).
                raise PoolClosedError("acquire() on a closed pool")
            if first_alive(waiters) is waiter:  # Model: CheckHead.
                guard = yield from pool._head()
                if guard is not None:
                    return guard
            if remaining is not None and remaining <= 0:
                # Model: GiveUp, the timeout's linearization point: from
                # here on nobody yields to this waiter (see Pool._yield).
                # What arrived since the look above is passed on by Leave.
                waiter.alive = False
                next(pool._timeouts)
                raise PoolTimeout(
                    f"no resource became available within the timeout (pool: {pool!r})"
                )
            # Model: Park. Capped: longer timeouts overflow a lock's wait
            # (an early wake-up only goes round the loop once more).
            yield partial(
                park, remaining if remaining is None or remaining < _PARK_MAX else _PARK_MAX
            )
    finally:
        # Model: Leave. `alive` first: a store that cannot fail, so that even
        # if the remove() below is interrupted the entry is skipped.
        waiter.alive = False
        try:  # noqa: SIM105 (as in first_alive)
            waiters.remove(waiter)
        except ValueError:  # removed as a dead entry by first_alive()
            pass
        # Model: PassOn. Orphans too: the head adopts them (a collected
        # guard's resource may be the only one coming).
        if (pool._free or pool._orphans) and waiters:
            ring(waiters)
        waited = clock() - started
        # The bucket: how many bounds the wait reached (they are sorted).
        next(pool._wait_histogram[bisect_right(WAIT_BOUNDS, waited)])
