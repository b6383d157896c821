"""`Pool`: a lock-free, wait-free pool of reusable resources; the sync shell of the core.

The algorithm, its atomic steps and why they are atomic are in
docs/design.md; the model of it is models/FreeList.tla. The steps are
`Core`'s (`_core.py`), shared with `AsyncPool`; this shell makes the user's
calls itself (`_drive.run`), and keeps `get()`'s hot path inlined here.
Comments name the model action each step is ("Model: TakeFree").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar, final, overload

from ._acquire import wait, wait_async
from ._core import SLOTS, Core, check_arguments
from ._drive import Steps, run
from ._errors import PoolClosedError
from ._guard import PoolGuard
from ._options import configure
from ._poolable import Factory, Poolable
from ._scale import ScaleMode
from ._waiters import ThreadWaiter, seconds

__all__ = ["Pool"]

C = TypeVar("C")
R = TypeVar("R", bound=Poolable[Any])


@final
class Pool(Core[R], Generic[C, R]):
    """A pool of resources of type R, made from a shared context of type C.

    `get()` never blocks and never waits: it returns an idle resource, or
    creates one when the scale mode allows, or returns None. No lock is taken
    anywhere in the pool; a thread stopped inside any method (for instance in a
    slow `new()` or `reset()`) never keeps another from finishing its own call,
    and every call finishes in a bounded number of its own steps.

    Args:
        resource: the resource class (anything whose `new(context)` returns
            an R).
        mode: `Static(count)` or `AutoScale(initial, maximum, chunk_size)`.
        context: passed to every `new()`; never changed by the pool.
        max_lifetime: seconds after its `new()` that a resource expires; an
            expired one is discarded when a caller finds it, never while
            held, and the caller gets a fresh one. None: never.
        lifetime_jitter: each lifetime is shortened by a random part of up
            to this fraction of `max_lifetime`, so that resources made
            together do not expire together; in [0, 1).
        max_idle: AutoScale only: seconds a resource may stay idle before a
            sweep (in `get()`, `acquire()`, `maintain()`) discards it, down
            to `initial` resources; its capacity becomes spare again.
        clock: the time source of lifetimes, idle times and leak ages
            (inject one in tests; `acquire()` timeouts use `time.monotonic`).
        check: `check(resource) -> bool`, run before a resource is handed
            out; a resource that fails it is discarded, never put back, and
            the caller gets a fresh one, which is not checked again.
        recheck_after: skip `check` for a resource handed out less than this
            many seconds ago (it hides a resource that died meanwhile).
        maintain_every: start a daemon thread that calls `maintain()` every
            this many seconds; `close()` stops it. None: no thread.
        leak_threshold: seconds a guard may be held; one held longer is
            reported once through the logger "rpool", naming its thread and
            where it was acquired, and its late release too. None: off.

    README.md's options table says, for each option, which guarantee holds.

    Raises:
        TypeError: `mode` is not a `Static` or `AutoScale`, or `resource` has
            no callable `new`.
        TypeError, ValueError: an option is not of its type or out of its
            range (for instance `leak_threshold` not a positive, finite
            number of seconds, `max_idle` given to a Static pool).
        Exception: whatever a `new()` raised while creating the initial
            resources; those already created are discarded first.
    """

    __slots__ = SLOTS

    # What a thread parks on while it waits (tests give it seams).
    _waiter_type: type[ThreadWaiter] = ThreadWaiter
    _guard_type: ClassVar[type[Any]] = PoolGuard
    # A resource without close() is discarded with this no-op: calling the
    # class of None makes None, in C, with no frame an exception could land in.
    _no_close: ClassVar[staticmethod[[], Any]] = staticmethod(type(None))

    @overload
    def __init__(
        self: Pool[None, R],
        resource: Factory[None, R],
        mode: ScaleMode,
        *,
        max_lifetime: float | None = None,
        lifetime_jitter: float = 0.1,
        max_idle: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        check: Callable[[R], bool] | None = None,
        recheck_after: float = 0.0,
        maintain_every: float | None = None,
        leak_threshold: float | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        resource: Factory[C, R],
        mode: ScaleMode,
        context: C,
        *,
        max_lifetime: float | None = None,
        lifetime_jitter: float = 0.1,
        max_idle: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        check: Callable[[R], bool] | None = None,
        recheck_after: float = 0.0,
        maintain_every: float | None = None,
        leak_threshold: float | None = None,
    ) -> None: ...
    def __init__(
        self,
        resource: Factory[Any, R],
        mode: ScaleMode,
        context: Any = None,
        *,
        max_lifetime: float | None = None,
        lifetime_jitter: float = 0.1,
        max_idle: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        check: Callable[[R], bool] | None = None,
        recheck_after: float = 0.0,
        maintain_every: float | None = None,
        leak_threshold: float | None = None,
    ) -> None:
        check_arguments(resource, mode)
        configure(
            self,
            mode,
            max_lifetime=max_lifetime,
            lifetime_jitter=lifetime_jitter,
            max_idle=max_idle,
            clock=clock,
            check=check,
            recheck_after=recheck_after,
            maintain_every=maintain_every,
            leak_threshold=leak_threshold,
        )
        run(self._fill(self._setup(resource, mode, context)))
        if self._lifecycle is not None:
            self._lifecycle.start(self)  # the maintainer thread, if asked for

    @property
    def context(self) -> C:
        """The context passed to every `new()`."""
        return self._context  # type: ignore[no-any-return]

    def get(self) -> PoolGuard[R] | None:
        """Take an idle resource, or create one, or return None. Never waits.

        Reuses the most recently returned resource first. With no idle
        resource it creates one if the mode allows (growing by a chunk under
        AutoScale), and returns None only when at that instant no resource is
        idle and the capacity is all taken. Linearizable, None results included.

        Raises:
            PoolClosedError: the pool is closed.
            BaseException: whatever `new()` raised, or an exception that
                interrupted the call (KeyboardInterrupt, RecursionError): what
                the call had taken goes back to the pool first (resources
                created before it in the same chunk stay idle).
        """
        # Model: CheckClosed, before the pop: a get() that read "open" may be
        # ordered before close() whatever it pops next, since it started
        # before close() set the flag; one that read "closed" raises.
        if self._closed:
            raise PoolClosedError("get() on a closed pool")
        free = self._free
        # Model: TakeFree. Linearization point of get(): the len() read that
        # sees the deque empty, or the pop below (both atomic, see
        # _freelist.py).
        if free:
            # `held` is what this call took out of the free list, in a
            # one-element list; whoever pops it owns it (the handler below, or
            # the guard it becomes). Until then the handler gives it back
            # (design.md, "Exception safety").
            held: list[Any] | None = None
            try:
                try:
                    held = [item := free.pop()]
                except IndexError:  # emptied since the len() read: a miss after all
                    pass
                else:
                    # Model: CheckWaiters. After the pop, not before: a
                    # waiter that enqueued before this instant is owed what
                    # was popped, however early this get() began.
                    if self._waiters and run(self._yield(held)):  # type: ignore[arg-type]
                        return None
                    if type(item) is int:
                        return run(self._grow(held))  # type: ignore[no-any-return]
                    guard: PoolGuard[R] = PoolGuard()  # Core._hold, inlined: the hot path of get()
                    guard._pool = self
                    guard._box = held
                    return guard
            except BaseException:
                if held:  # Model: Recover.
                    orphans = self._orphans
                    orphans += held
                    held.clear()
                raise
        # _get_slow(), inlined for the common miss (open, bounded, no orphan to
        # adopt): the same reads in the same order.
        if self._closed or self._orphans or self._maximum is None:
            return run(self._get_slow())  # type: ignore[no-any-return]
        next(self._misses)  # Model: Miss.
        return None

    def acquire(self, timeout: float | None = None) -> PoolGuard[R]:
        """Take a resource, waiting up to `timeout` seconds for one; FIFO among waiters.

        First does exactly what `get()` does. If that finds nothing, the caller
        joins the waiter queue and parks; whatever becomes available while
        callers wait (a resource given back, a Static replacement, capacity
        freed by a failed `reset()` or `new()`) goes to the oldest of them, and
        no later `get()` or `acquire()` takes it first. A waiter given spare
        capacity calls `new()` itself, in its own thread. `timeout=None` (or
        infinity) waits until served or until the pool closes; `timeout <= 0`
        tries once.

        Raises:
            PoolTimeout: nothing came this caller's way within `timeout`.
            PoolClosedError: the pool is closed, or was closed while waiting.
            TypeError: `timeout` is not None or a number of seconds.
            ValueError: `timeout` is NaN.
            BaseException: as `get()`; an exception that interrupts the wait
                (KeyboardInterrupt) leaves the queue and loses nothing.
        """
        # The common timeouts (None, a float that is not NaN) are checked
        # inline: this and the call are the whole cost acquire() adds to get().
        # `__class__`, not type(): the same object unless a class overrides
        # it (a mock's spec, which isinstance() honours too), and one
        # specialized attribute load (LOAD_ATTR_SLOT, 3.11 to 3.13) where
        # type() is a global load and a call: 38 to 62 instructions fewer per
        # acquire(5.0) (docs/performance.md, "Waiting (issue 11)").
        if timeout is not None and (timeout.__class__ is not float or timeout != timeout):
            timeout = seconds(timeout)
        return self.get() or wait(self, timeout)

    async def acquire_async(self, timeout: float | None = None) -> PoolGuard[R]:
        """`acquire()` for an asyncio task: parks the task, never the event loop.

        The same steps and guarantees as `acquire()`. A waiter is rung safely
        from any thread or event loop. What runs on this task's loop: the
        `new()` of capacity this task is handed, and the `reset()` of a
        release called from it. To keep a slow `new()` off the loop, call
        `await asyncio.to_thread(pool.acquire, timeout)` instead (likewise
        `await asyncio.to_thread(guard.release)` for a slow `reset()`).

        Raises:
            PoolTimeout: as `acquire()`.
            PoolClosedError: as `acquire()`.
            TypeError: as `acquire()`.
            ValueError: as `acquire()`.
            asyncio.CancelledError: the task was cancelled while waiting; it
                left the queue and lost nothing.
            BaseException: as `acquire()`.
        """
        if timeout is not None and (timeout.__class__ is not float or timeout != timeout):
            timeout = seconds(timeout)  # as in acquire()
        guard = self.get()
        if guard is not None:
            return guard
        return await wait_async(self, timeout)  # type: ignore[no-any-return]

    def _take_as_head(self) -> PoolGuard[R] | None:
        """get() for the oldest waiter (`Core._get_slow(head=True)`), its `new()` called here.

        Raises:
            PoolClosedError: the pool is closed.
            BaseException: as get().
        """
        return run(self._get_slow(head=True))  # type: ignore[no-any-return]

    def _head(self) -> Steps[PoolGuard[R] | None]:
        """The head's take for `waiting()`: `_take_as_head()`, which calls the user's code itself.

        So every hand-out to a waiter goes through `_take_as_head()`, which the
        lifecycle and leak options override (`Vetted`, `Watched`).
        """
        yield from ()
        return self._take_as_head()

    def close(self) -> None:
        """Close the pool: discard the idle resources; later `get()`s raise.

        Idempotent. Resources in use stay usable; each is discarded when it is
        given back. Callers parked in `acquire()` wake at once and raise
        `PoolClosedError`. Resources whose guards were garbage-collected are
        discarded without reset; one whose guard is collected after close()
        returned is discarded by the next release() or close().

        Raises:
            ExceptionGroup: one or more resources' `close()` raised; every
                resource was discarded all the same.
            BaseException: a resource's `close()` raised one that is not an
                Exception (KeyboardInterrupt, say): it is raised once every
                resource was discarded, the other errors noted on it.
        """
        run(self._close())

    def maintain(self) -> int:
        """Evict idle resources now, as `get()` does one at a time; return how many.

        Discards idle resources beyond the floor (AutoScale's `initial`) while
        the one idle longest has been idle for `max_idle`, one pop each, their
        capacity spare again (docs/design.md, "Lifecycle"). Does nothing
        without `max_idle`. Never discards a resource in use. With
        `leak_threshold`, also reports every guard held longer than it
        (`_leaks.scan`; docs/design.md, "Leak detection").

        Raises:
            BaseException: an interruption (what it had taken goes back first).
                A resource's `close()` raising an Exception is reported as a
                RuntimeWarning, not raised.
        """
        if self._watch is not None:
            from ._leaks import scan

            scan(self, self._watch.clock())
        return 0 if self._lifecycle is None else run(self._lifecycle.maintain(self))

    def resize(self, bound: int) -> None:
        """Raise or lower the maximum (AutoScale) or count (Static) to `bound`.

        Raising makes the difference spare capacity at once (waiters are
        rung). Lowering discards spare capacity and idle resources now, and
        the rest as it comes back: resources in use are never discarded, so
        until they return the capacity may stay above `bound`, never above
        the old bound (docs/design.md, "resize()"). `stats().capacity` counts
        it all.

        Raises:
            TypeError: `bound` is not an int.
            ValueError: the pool is unbounded, or `bound` is below 1 (below
                `initial` for AutoScale), or a raise would add more than
                `MAX_GRANTS` (2**20) chunks of spare capacity, the most
                `AutoScale` allows; the pool is left as it was.
            PoolClosedError: the pool is closed.
            RuntimeError: another `resize()` of this pool is in progress.
        """
        from ._resize import resize
        from ._vetting import ensure

        run(resize(self, ensure(self), bound))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        name = getattr(self._factory, "__name__", type(self._factory).__name__)
        state = " closed" if self._closed else ""
        return f"<Pool of {name}{state}: {self._mode!r}>"
