"""`Pool`: a lock-free, wait-free pool of reusable resources.

The algorithm, its atomic steps and why they are atomic are in
docs/design.md; the model of it is models/FreeList.tla. Comments below name
the model action each step is ("Model: TakeFree").
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from queue import Empty
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, final, overload

from ._errors import PoolClosedError, PoolTimeout, raise_all
from ._fork import track
from ._freelist import Grant, snapshot
from ._guard import OrphanGuard, PoolGuard
from ._poolable import Factory, Poolable
from ._report import collected, report
from ._scale import AutoScale, ScaleMode, Static
from ._stats import WAIT_BOUNDS, PoolStats, Tally, advance, derive
from ._waiters import AsyncWaiter, ThreadWaiter, first_alive, ring, ring_all, seconds, waiting

if TYPE_CHECKING:
    from ._leaks import Watch
    from ._lifecycle import Lifecycle

__all__ = ["Pool"]

_new_guard = object.__new__

C = TypeVar("C")
R = TypeVar("R", bound=Poolable[Any])


@final
class Pool(Generic[C, R]):
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

    __slots__ = (
        "__weakref__",  # for the fork registry (_fork.py)
        "_closed",
        "_context",
        "_created",
        "_discarded",
        "_dropped",
        "_factory",
        "_failed",
        "_free",
        "_lifecycle",
        "_maximum",
        "_misses",
        "_mode",
        "_orphans",
        "_replaces",
        "_reserved",
        "_returned",
        "_timeouts",
        "_wait_histogram",
        "_waited",
        "_waiters",
        "_watch",
    )

    # The containers of the pool's shared state. Tests replace them with
    # instrumented subclasses (tests/scheduler); the pool only ever calls the
    # atomic methods named in _freelist.py on them.
    _deque_type: type[deque[Any]] = deque
    _tally_type: type[Tally] = Tally
    # Likewise for waiting: what a thread parks on, and the clock deadlines
    # are read from (tests make timeouts a scheduler's choice with them).
    _waiter_type: type[ThreadWaiter] = ThreadWaiter
    _clock: Callable[[], float] = staticmethod(time.monotonic)

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
        if not isinstance(mode, Static | AutoScale):
            raise TypeError(f"mode must be Static or AutoScale, not {type(mode).__name__}")
        if not callable(getattr(resource, "new", None)):
            raise TypeError(f"resource must have a new(context) method: {resource!r}")
        self._lifecycle: Lifecycle | None = None
        if (
            max_lifetime is not None
            or max_idle is not None
            or check is not None
            or maintain_every is not None
            or (lifetime_jitter != 0.1 or clock is not time.monotonic or recheck_after != 0.0)
        ):
            # Imported only when an option is given (docs/performance.md).
            from ._lifecycle import configure

            self._lifecycle = configure(
                self,
                mode,
                max_lifetime,
                lifetime_jitter,
                max_idle,
                clock,
                check,
                recheck_after,
                maintain_every,
            )
        self._watch: Watch | None = None
        if leak_threshold is not None:
            # Imported only when asked for: a pool without it runs Pool.get().
            from ._leaks import configure as watch_leaks

            self._watch = watch_leaks(self, leak_threshold, clock)
        self._factory = resource
        self._context = context
        self._mode = mode
        # Typed as object so that mypy does not narrow it from one read to the
        # next: other threads set it between our reads.
        self._closed: object = False
        self._replaces = isinstance(mode, Static)
        self._maximum = mode.count if isinstance(mode, Static) else mode.maximum
        tally = self._tally_type
        self._created, self._failed, self._discarded = tally(), tally(), tally()
        self._misses, self._reserved, self._returned = tally(), tally(), tally()
        self._dropped = tally()
        self._waited, self._timeouts = tally(), tally()
        self._wait_histogram = tuple(tally() for _ in range(len(WAIT_BOUNDS) + 1))
        # Callers of acquire() parked in arrival order (_waiters.py).
        self._waiters: deque[Any] = self._deque_type()
        # Resources of collected guards (each in a one-element list), and
        # resources or units (ints) that an interrupted call handed back.
        self._orphans: deque[Any] = self._deque_type()
        initial = mode.count if isinstance(mode, Static) else mode.initial
        grants = [] if isinstance(mode, Static) else list(mode.grants())
        # The first growth pops the rightmost grant, so grants go in reversed.
        self._free: deque[R | Grant] = self._deque_type(reversed(grants))
        if self._maximum is None and initial:
            advance(self._reserved, initial)
        # Nothing is shared yet: if a new() fails, the pool is never seen, and
        # the resources made so far are closed.
        made: list[R] = []
        try:
            for _ in range(initial):
                made.append(self._create())
        except BaseException as error:
            for resource_made in made:
                try:
                    getattr(resource_made, "close", _no_close)()
                except BaseException as close_error:  # the others are closed all the same
                    error.add_note(f"also, discarding a created resource raised {close_error!r}")
            raise
        if self._lifecycle is not None:
            for resource_made in made:
                self._lifecycle.born(resource_made)
        self._free.extend(made)
        track(self)  # restarted, empty, in a forked child (_fork.py)
        if self._lifecycle is not None:
            self._lifecycle.start(self)  # the maintainer thread, if asked for

    @property
    def mode(self) -> ScaleMode:
        """The scale mode the pool was made with."""
        return self._mode

    @property
    def context(self) -> C:
        """The context passed to every `new()`."""
        return self._context  # type: ignore[no-any-return]

    @property
    def closed(self) -> bool:
        """Whether `close()` was called."""
        return self._closed is True

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
                    if self._waiters and self._yield(held):
                        return None
                    if type(item) is int:
                        return self._grow(held)
                    guard = _new_guard(PoolGuard)  # __init__ inlined: the hot path of get()
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
            return self._get_slow()
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
        # inline: this is the whole cost acquire() adds to get().
        if timeout is not None and (type(timeout) is not float or timeout != timeout):
            timeout = seconds(timeout)
        return self.get() or self._wait(timeout)

    def _wait(self, timeout: float | None) -> PoolGuard[R]:
        """acquire() after get() found nothing: try-once fails, anything else waits."""
        ends = self._until(timeout)
        if ends is not None and ends <= self._clock():
            next(self._timeouts)
            raise PoolTimeout(f"no resource available (pool: {self!r})")
        waiter = self._waiter_type()
        steps = waiting(self, waiter, ends)
        try:
            remaining = next(steps)
            while True:
                try:  # noqa: SIM105 (a context manager per park would cost a call)
                    waiter.get(timeout=remaining)  # Model: Park.
                except Empty:
                    pass
                remaining = steps.send(None)
        except StopIteration as served:
            return served.value  # type: ignore[no-any-return]
        except BaseException:
            steps.close()  # leaves the queue if the park was interrupted
            # Model: Leave, PassOn, once more. An asynchronous exception at the
            # first lines of the generator's `finally` (which runs with no
            # exception in flight once the waiter is served), or just after
            # its Enqueue, skips them: the entry would stay alive at the head
            # for good, and every later caller would wait behind it.
            waiter.alive = False
            if (self._free or self._orphans) and self._waiters:
                ring(self._waiters)
            raise

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
        if timeout is not None and (type(timeout) is not float or timeout != timeout):
            timeout = seconds(timeout)
        guard = self.get()
        if guard is not None:
            return guard
        ends = self._until(timeout)
        if ends is not None and ends <= self._clock():
            next(self._timeouts)
            raise PoolTimeout(f"no resource available (pool: {self!r})")
        waiter = AsyncWaiter(asyncio.get_running_loop())
        steps = waiting(self, waiter, ends)
        try:
            remaining = next(steps)
            while True:
                await waiter.park(remaining)  # Model: Park.
                remaining = steps.send(None)
        except StopIteration as served:
            return served.value  # type: ignore[no-any-return]
        except BaseException:
            steps.close()
            waiter.alive = False  # Model: Leave, PassOn, once more (see _wait).
            if (self._free or self._orphans) and self._waiters:
                ring(self._waiters)
            raise

    def _until(self, timeout: float | None) -> float | None:
        """The instant (on `_clock`) a wait of `timeout` checked seconds ends; None: never."""
        return None if timeout is None or timeout == math.inf else self._clock() + timeout

    def _get_slow(self, head: bool = False) -> PoolGuard[R] | None:
        """get() after an empty pop: raise if closed, adopt an orphan, grow or miss.

        `head`: called for the oldest waiter (`_take_as_head`), which neither
        yields to the waiters nor counts a miss.
        """
        # Model: CheckClosed. The deque may be empty because close() drained
        # it after our first check; then this get() comes after close() and
        # must raise, not report "nothing left".
        if self._closed:
            raise PoolClosedError("get() on a closed pool")
        held: list[Any] | None = None
        try:
            if self._orphans and self._adopt_orphan():
                # The orphan was given back: take again, once, so get() stays
                # wait-free. Model: TakeFree, then CheckClosed.
                free = self._free
                try:  # noqa: SIM105 (as in get())
                    held = [free.pop()] if free else None
                except IndexError:
                    pass
                if held is None and self._closed:
                    raise PoolClosedError("get() on a closed pool")
                # Model: CheckWaiters.
                if held is not None and not head and self._waiters and self._yield(held):
                    return None
            if held is None:
                if self._maximum is not None:
                    if not head:
                        next(self._misses)  # Model: Miss.
                    return None
                # Unbounded: there is always spare capacity. Model: Reserve.
                # The units and their count in one statement.
                mode = self._mode
                assert isinstance(mode, AutoScale)
                units = mode.growth(self._capacity())
                held, _ = [units], advance(self._reserved, units)
            if type(held[0]) is int:
                return self._grow(held)
            return PoolGuard(self, held)
        except BaseException:
            if held:  # Model: Recover.
                orphans = self._orphans
                orphans += held
                held.clear()
            raise

    def _take_as_head(self) -> PoolGuard[R] | None:
        """get() for the oldest waiter: the same steps, without yielding to waiters.

        The waiters yield to the head, so the head must not yield to them;
        otherwise as get() (which inlines these steps for speed): a resource,
        or a grant it turns into resources with its own `new()`, or None.

        Raises:
            PoolClosedError: the pool is closed.
            BaseException: as get().
        """
        if self._closed:  # Model: CheckClosed.
            raise PoolClosedError("acquire() on a closed pool")
        free = self._free
        held: list[Any] | None = None
        try:
            try:  # noqa: SIM105 (as in get())
                held = [free.pop()] if free else None  # Model: TakeFree.
            except IndexError:
                pass
            if held is None:
                return self._get_slow(head=True)
            if type(held[0]) is int:
                return self._grow(held)
            return PoolGuard(self, held)
        except BaseException:
            if held:  # Model: Recover.
                orphans = self._orphans
                orphans += held
                held.clear()
            raise

    def _yield(self, held: list[Any]) -> bool:
        """Give back what a get() popped while callers wait: it is theirs.

        Model: Yield. If a live waiter is queued, the item goes back where it
        came from (a resource to the idle end, a grant to the spare end),
        which rings the head, the get() counts as a miss, and this returns
        True. If every queued entry is a waiter that gave up (timed out,
        cancelled, leaving), nobody is owed anything: it returns False and
        the get() keeps the item. `held` belongs to the caller, whose handler
        gives the item back if this is interrupted.
        """
        if first_alive(self._waiters) is None:
            return False
        if type(held[0]) is int:
            self._return_capacity(held)
        else:
            self._put_idle(held)
        next(self._misses)
        return True

    def _grow(self, held: list[Any]) -> PoolGuard[R]:
        """Turn the units in `held` (`[units]`) into resources; keep the last.

        The others become idle as soon as each is made, so concurrent callers
        can take them; the caller's own resource cannot be taken by anyone.
        `held` belongs to the caller, whose handler gives back what is left in
        it if this raises; each step below changes it in one statement.
        """
        try:
            while held[0] > 1:
                # Model: Create. The new resource goes into `held` with the
                # unit it takes from the others: [units] becomes
                # [units - 1, resource].
                held[:] = held[0] - 1, self._create()
                if self._lifecycle is not None:
                    self._lifecycle.born(held[-1])
                self._put_idle(held)
            held[0] = self._create()  # Model: Create, the caller's own.
            if self._lifecycle is not None:
                self._lifecycle.born(held[0])
            return PoolGuard(self, held)
        except BaseException:
            # A new() that raised (or a closed pool's drain): the units not
            # made go back as a grant, as one step (Model: ReturnGrant).
            if held and type(held[-1]) is int:
                self._return_capacity(held)
            raise

    def _create(self) -> R:
        """Call the user's new() and count the resource it made (Model: Create).

        May raise, or take arbitrarily long. The resource and its count leave
        in one statement (the tuple is indexed, not unpacked), so no line falls
        between `new()` returning and this frame returning it; an asynchronous
        exception delivered when `next()` returns is the one window left
        (design.md, "What remains impossible").
        """
        try:
            return (self._factory.new(self._context), next(self._created))[0]
        except BaseException:
            next(self._failed)
            raise

    def _put_idle(self, held: list[Any]) -> None:
        """Make the resource `held[-1]` idle; in a closed pool, discard it instead."""
        # Model: CheckClosed. After close() returned, nothing may become idle:
        # a get() that read "open" long ago could still take it.
        if self._closed:
            self._abandon(held)
            return
        # Model: PutIdle. Linearization point of a successful release. `+=`
        # rather than append(): the move out of `held` must not be followed by
        # a call that checks the recursion limit (3.11's deque methods do).
        free = self._free
        free += (held.pop(),)
        # Model: CheckClosed. If close() drained before this append, nobody
        # else will: drain here so a closed pool keeps nothing idle.
        if self._closed:
            raise_all(self._drain())
        # Model: Ring. After the append: a waiter that enqueued before this
        # read is rung; one that enqueues after it will find the resource.
        if self._waiters:
            ring(self._waiters)

    def _return_capacity(self, held: list[Any]) -> None:
        """Give back the units `held[-1]` as spare capacity.

        Model: ReturnGrant. Bounded pools keep spare capacity as a grant (and
        ring the oldest waiter, whose `new()` will use it). A closed pool keeps
        none: it counts the units as dropped instead, so that stats() can still
        tell its capacity. Each branch counts and moves the units in one
        statement.
        """
        if self._maximum is None:
            _, _ = advance(self._returned, held[-1]), held.pop()
        elif self._closed:
            _, _ = advance(self._dropped, held[-1]), held.pop()
        else:
            lifecycle = self._lifecycle
            if lifecycle is not None and lifecycle.debt:  # a lowered bound (_resize.py)
                from ._resize import retire

                if retire(lifecycle, held):
                    return
            # The grant goes in before it leaves `held`, in one statement: if
            # appendleft() cannot be called (3.11 checks the recursion limit
            # there), `held` still has it.
            _ = self._free.appendleft(held[-1]), held.pop()  # type: ignore[func-returns-value]
            if self._waiters:  # Model: Ring, as in _put_idle().
                ring(self._waiters)

    def _reject(self, held: list[Any], valid: object) -> None:
        """Retire a resource whose reset() did not return True."""
        resource = held[-1]
        self._retire(held)
        if valid is not False:
            raise TypeError(
                f"{type(resource).__name__}.reset() must return a bool, "
                f"not {type(valid).__name__}; the resource was discarded"
            )

    def _retire(self, held: list[Any], replace: bool = True) -> None:
        """Discard a resource that failed its reset; replace it (Static) or free its unit.

        No replacement is made (the unit goes back as spare, for a later get()
        to recreate) when `replace` is False or the resource's close() raised
        something other than an Exception: the user's new() must not run
        while a KeyboardInterrupt is on its way.
        """
        try:
            self._discard(held)
        except BaseException as error:
            # held[-1] is the unit the resource had, unless an exception landed
            # before close() was called; then the caller gives the resource back.
            if type(held[-1]) is int:
                self._reuse(held, replace and isinstance(error, Exception))
            raise
        self._reuse(held, replace)

    def _reuse(self, held: list[Any], replace: bool) -> None:
        """Pass the unit `held[-1]` to a replacement (Static, open pool) or back to spare."""
        if replace and self._replaces and not self._closed:  # Model: CheckClosed.
            # Model: Replace. The discarded resource's unit passes straight to
            # its replacement: it is never spare in between.
            try:
                held[-1] = self._create()
            except BaseException:
                self._return_capacity(held)
                raise
            if self._lifecycle is not None:
                self._lifecycle.born(held[-1])
            self._put_idle(held)
        else:
            self._return_capacity(held)

    def _discard(self, held: list[Any]) -> None:
        """Discard the resource `held[-1]`: close it, leave its unit there (1).

        Model: Discard. The resource counts as discarded once its close() has
        been called, whether close() returned or raised; until then it stays
        in `held`, for the caller to give back if this call is interrupted.
        Hence `calling`, set in the same statement that calls close(), and
        `_headroom()`, a call at the same depth as close(): if the recursion
        limit would stop close() from being entered, it stops this first.
        """
        if self._lifecycle is not None:
            self._lifecycle.forget(held[-1])
        close = getattr(held[-1], "close", _no_close)
        _headroom()
        calling = False
        try:
            held[-1], _ = ((calling := True), close(), 1)[2], next(self._discarded)
        except BaseException:
            if calling:  # close() was called and raised: discarded all the same.
                held[-1], _ = 1, next(self._discarded)
            raise

    def _abandon(self, held: list[Any]) -> None:
        """Dispose of the item `held[-1]` for a closed pool; its capacity is dropped.

        A grant's units were spare; a resource is discarded first.
        """
        try:
            if type(held[-1]) is not int:
                self._discard(held)
        finally:
            # The unit, even if close() raised (unless an exception landed
            # before the discard began; then the caller gives the resource back).
            if type(held[-1]) is int:
                self._return_capacity(held)

    def _adopt_orphan(self) -> bool:
        """Give back one orphan, if any: a resource or units a call could not finish with.

        Orphans are the resources of garbage-collected guards (which get their
        ResourceWarning here, from an ordinary call, not from the finalizer),
        and what an interrupted call handed back (design.md, "Exception
        safety"). Errors from an orphan's reset() or close() have no caller to
        reach: they are reported as a RuntimeWarning, never raised, and the
        resource is discarded.
        """
        held = None
        try:
            try:
                held = [self._orphans.pop()]  # Model: TakeOrphan.
            except IndexError:
                return False
            if type(held[0]) is list:
                # A collected guard's resource, in the list its finalizer made.
                held = held[0]
                report(collected(held[0], self._watch), ResourceWarning)
            if self._closed:
                self._abandon(held)
            elif type(held[0]) is int:
                self._return_capacity(held)
            else:
                OrphanGuard(self, held).release()
        except BaseException as error:
            if held:  # Model: Recover.
                orphans = self._orphans
                orphans += held
                held.clear()
            if not isinstance(error, Exception):
                raise
            report(f"giving back an orphaned resource raised {error!r}", RuntimeWarning)
        return True

    def _drain(self) -> list[BaseException]:
        """Empty the free list of a closed pool, discarding every resource.

        Oldest first, from the left end: a get() that read "open" before the
        flag was set may still pop the right end, and must find the most
        recent resource there, as it would have before close(). An exception
        from one resource's close(), even a BaseException, does not stop the
        drain: every error is returned, for the caller to raise.
        """
        errors: list[BaseException] = []
        free = self._free
        while True:
            held = None
            try:
                try:
                    held = [free.popleft()]  # Model: DrainFree.
                except IndexError:
                    return errors
                self._abandon(held)
            except BaseException as error:
                errors.append(error)
                if held is None:  # the pop itself failed: it would fail again
                    return errors
                if held:  # Model: Recover.
                    orphans = self._orphans
                    orphans += held
                    held.clear()

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
        self._closed = True  # Model: SetClosed. Linearization point of close().
        if self._lifecycle is not None:
            self._lifecycle.stop()  # the maintainer thread ends after its current step
        errors = self._drain()
        # Orphans, each an _adopt_orphan() that finds the pool closed; their
        # errors are warnings there, so they are gathered here instead.
        while True:
            held = None
            try:
                try:
                    held = [self._orphans.pop()]  # Model: TakeOrphan.
                except IndexError:
                    break
                if type(held[0]) is list:
                    held = held[0]
                    report(collected(held[0], self._watch), ResourceWarning)
                self._abandon(held)
            except BaseException as error:
                errors.append(error)
                if held is None:  # the pop itself failed: it would fail again
                    break
                if held:  # Model: Recover; left to the next call, not retried here.
                    orphans = self._orphans
                    orphans += held
                    held.clear()
                    break
        # Model: WakeAll. Every waiter wakes, sees the flag and raises
        # PoolClosedError; one that enqueues from now on sees it first.
        ring_all(self._waiters)
        raise_all(errors)

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
        return 0 if self._lifecycle is None else self._lifecycle.maintain(self)

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
                `initial` for AutoScale).
            PoolClosedError: the pool is closed.
            RuntimeError: another `resize()` of this pool is in progress.
        """
        from ._lifecycle import ensure
        from ._resize import resize

        resize(self, ensure(self), bound)

    def stats(self) -> PoolStats:
        """A snapshot of the pool's counters; see `PoolStats` for its consistency."""
        # The reads go in the order derive() documents, so that no field is
        # ever negative and capacity never exceeds the maximum: a unit leaves
        # the deques before it is counted as dropped, and each derived field
        # reads its counters on the side that can only make it larger.
        lifecycle = self._lifecycle
        returned = self._returned.value
        created_early = self._created.value
        discarded_early = self._discarded.value
        dropped = self._dropped.value
        idle, spare = snapshot(self._free)
        _, orphaned_units = snapshot(self._orphans)
        return derive(
            created_early=created_early,
            discarded_early=discarded_early,
            dropped=dropped,
            idle=idle,
            spare=spare + orphaned_units,
            created=self._created.value,
            discarded=self._discarded.value,
            failed=self._failed.value,
            returned=returned,
            reserved=self._reserved.value,
            misses=self._misses.value,
            # The bound in force: after a resize() lowered it, the old one
            # until the debt is paid (_resize.py).
            maximum=(
                self._maximum
                if lifecycle is None or self._maximum is None
                else self._maximum + len(lifecycle.debt)
            ),
            waiting=len(self._waiters),
            waited=self._waited.value,
            timeouts=self._timeouts.value,
            wait_histogram=tuple(bucket.value for bucket in self._wait_histogram),
            expired=0 if lifecycle is None else lifecycle.expired.value,
            evicted=0 if lifecycle is None else lifecycle.evicted.value,
            checks_failed=0 if lifecycle is None else lifecycle.checks_failed.value,
            resizes=0 if lifecycle is None else lifecycle.resizes.value,
            leaks=0 if self._watch is None else self._watch.reported.value,
        )

    def _capacity(self) -> int:
        """An unbounded pool's units reserved and not returned, from the counters alone."""
        return self._reserved.value - self._returned.value

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


def _headroom() -> None:
    """Do nothing, one frame deeper than the caller (see `Pool._discard`)."""


# A resource without close() is discarded with this no-op: calling the class
# of None makes None, in C, with no frame an exception could land in.
_no_close: Callable[[], object] = type(None)
