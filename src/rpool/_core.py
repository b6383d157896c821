"""The core both pools share: the free list, the grants, the orphans and the accounting.

`Core` holds every step of the algorithm once (docs/design.md; the model is
models/FreeList.tla, and the comments name its actions: "Model: TakeFree").
`Pool` (`_pool.py`) and `AsyncPool` (`_async_pool.py`) are its shells: they
declare the state (`SLOTS`), make the guards, and drive the steps.

A step that calls the user's code (`new`, `reset`, `close`) is a generator:
it yields the call it needs and receives the result, or the exception, at
that yield (`_drive.py`: `run` calls, `run_async` awaits). Steps that call
no user code are plain methods, shared as they are. The exception-safety
rule (design.md, "Exception safety") holds in the generators as in plain
code: whatever a step takes out of shared state is in a one-element list
`held` until it is somewhere else, each move is one statement, and the
outermost handler of the frame that took gives it back with
`orphans += held`. An exception thrown in at a yield is handled exactly as
the same exception raised by the user's call.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from ._disposal import Disposal
from ._drive import Steps
from ._errors import PoolClosedError, raise_all
from ._fork import track
from ._freelist import snapshot
from ._report import collected, report
from ._scale import AutoScale, ScaleMode, Static
from ._stats import WAIT_BOUNDS, PoolStats, Tally, advance, derive
from ._waiters import first_alive, ring, ring_all

if TYPE_CHECKING:
    from ._leaks import Watch
    from ._lifecycle import Lifecycle

__all__ = ["SLOTS", "Core", "check_arguments"]

R = TypeVar("R")

SLOTS = (
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
"""The shared state; each shell declares these slots (the test seams read them there)."""


def check_arguments(resource: object, mode: object) -> None:
    """Check a pool's resource and mode arguments.

    Raises:
        TypeError: `mode` is not a `Static` or `AutoScale`, or `resource` has
            no callable `new`.
    """
    if not isinstance(mode, Static | AutoScale):
        raise TypeError(f"mode must be Static or AutoScale, not {type(mode).__name__}")
    if not callable(getattr(resource, "new", None)):
        raise TypeError(f"resource must have a new(context) method: {resource!r}")


class Core(Disposal, Generic[R]):
    """The steps of a pool of resources of type R; a shell declares `SLOTS` and drives them.

    The steps from a release's Reset on, and those that discard a resource,
    are `Disposal`'s (`_disposal.py`), inherited.
    """

    # No slots of its own (the shells declare SLOTS). Hidden from mypy, which
    # would check the steps' stores against this class's own slots.
    if not TYPE_CHECKING:
        __slots__ = ()

    # Declared by the shells (SLOTS); typed here for the steps.
    _closed: object
    _context: Any
    _created: Tally
    _discarded: Tally
    _dropped: Tally
    _factory: Any
    _failed: Tally
    _free: deque[Any]
    _lifecycle: Lifecycle | None
    _maximum: int | None
    _misses: Tally
    _mode: ScaleMode
    _orphans: deque[Any]
    _replaces: bool
    _reserved: Tally
    _returned: Tally
    _timeouts: Tally
    _wait_histogram: tuple[Tally, ...]
    _waited: Tally
    _waiters: deque[Any]
    _watch: Watch | None

    # The containers of the pool's shared state. Tests replace them with
    # instrumented subclasses (tests/scheduler); the pool only ever calls the
    # atomic methods named in _freelist.py on them.
    _deque_type: ClassVar[type[deque[Any]]] = deque
    _tally_type: ClassVar[type[Tally]] = Tally
    # The clock deadlines are read from (tests make timeouts a scheduler's
    # choice with it).
    _clock: Callable[[], float] = staticmethod(time.monotonic)
    # What a step that must let others go first yields (resize() waiting for
    # a debt payment): a thread's sleep(0); the async shell awaits asyncio's.
    _pause: ClassVar[staticmethod[[], Any]] = staticmethod(partial(time.sleep, 0))
    # The class of the guards the steps make (PoolGuard, AsyncPoolGuard), and
    # the close() of a resource that has none (called, or awaited, by the driver).
    _guard_type: ClassVar[type[Any]]
    _no_close: ClassVar[staticmethod[[], Any]]

    def _setup(self, resource: Any, mode: ScaleMode, context: Any) -> int:
        """Set the shared state of a pool with no resource yet; return how many to create.

        The spare capacity is laid out as grants; an unbounded pool reserves
        its initial resources at once.
        """
        self._factory = resource
        self._context = context
        self._mode = mode
        # Typed as object so that mypy does not narrow it from one read to the
        # next: other threads set it between our reads.
        self._closed = False
        self._replaces = isinstance(mode, Static)
        self._maximum = mode.count if isinstance(mode, Static) else mode.maximum
        tally = self._tally_type
        self._created, self._failed, self._discarded = tally(), tally(), tally()
        self._misses, self._reserved, self._returned = tally(), tally(), tally()
        self._dropped = tally()
        self._waited, self._timeouts = tally(), tally()
        self._wait_histogram = tuple(tally() for _ in range(len(WAIT_BOUNDS) + 1))
        # Callers of acquire() parked in arrival order (_waiters.py).
        self._waiters = self._deque_type()
        # Resources of collected guards (each in a one-element list), and
        # resources or units (ints) that an interrupted call handed back.
        self._orphans = self._deque_type()
        initial = mode.count if isinstance(mode, Static) else mode.initial
        grants = [] if isinstance(mode, Static) else list(mode.grants())
        # The first growth pops the rightmost grant, so grants go in reversed.
        self._free = self._deque_type(reversed(grants))
        if self._maximum is None and initial:
            advance(self._reserved, initial)
        return initial

    def _fill(self, count: int) -> Steps[None]:
        """Create a new pool's `count` initial resources and make them idle.

        Nothing is shared yet: if a `new()` fails, the pool is never seen,
        and the resources made so far are closed first (each close()'s
        error is noted on the exception).
        """
        made: list[Any] = []
        try:
            for _ in range(count):
                made.append((yield from self._create()))
        except BaseException as error:
            for resource_made in made:
                try:
                    yield getattr(resource_made, "close", self._no_close)
                except BaseException as close_error:  # the others are closed all the same
                    error.add_note(f"also, discarding a created resource raised {close_error!r}")
            raise
        if self._lifecycle is not None:
            for resource_made in made:
                self._lifecycle.born(resource_made)
        self._free.extend(made)
        track(self)  # type: ignore[arg-type]  # restarted, empty, in a forked child (_fork.py)

    @property
    def mode(self) -> ScaleMode:
        """The scale mode the pool was made with."""
        return self._mode

    @property
    def closed(self) -> bool:
        """Whether `close()` was called."""
        return self._closed is True

    def _get_slow(self, head: bool = False) -> Steps[Any]:
        """get() after an empty pop: raise if closed, adopt an orphan, grow or miss.

        `head`: the oldest waiter's take (run by `Pool._take_as_head`, and by
        `_head` for `waiting()`), which pops first (it has not yet), and
        neither yields to the waiters nor counts a miss: the waiters yield to
        the head, so the head must not yield to them.

        Raises:
            PoolClosedError: the pool is closed.
            BaseException: as get().
        """
        held: list[Any] | None = None
        try:
            if head:
                if self._closed:  # Model: CheckClosed.
                    raise PoolClosedError("acquire() on a closed pool")
                free = self._free
                try:  # noqa: SIM105 (as in get())
                    held = [free.pop()] if free else None  # Model: TakeFree.
                except IndexError:
                    pass
            # Model: CheckClosed. The deque may be empty because close() drained
            # it after our first check; then this get() comes after close() and
            # must raise, not report "nothing left".
            if held is None and self._closed:
                raise PoolClosedError("get() on a closed pool")
            if held is None and self._orphans and (yield from self._adopt_orphan()):
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
                if (
                    held is not None
                    and not head
                    and self._waiters
                    and (yield from self._yield(held))
                ):
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
                return (yield from self._grow(held))
            return self._hold(held)
        except BaseException:
            if held:  # Model: Recover.
                orphans = self._orphans
                orphans += held
                held.clear()
            raise

    def _head(self) -> Steps[Any]:
        """The head's take in `waiting()`: `_get_slow(head=True)`; a shell may use its own."""
        return (yield from self._get_slow(head=True))

    def _hold(self, held: list[Any]) -> Any:
        """A guard of this pool holding `held` (the box with the resource); Model: Hold.

        `_pool` is set before `_box`, and the finalizer reads `_box` only:
        a guard interrupted before it holds the box gives nothing back, and
        `held` stays with the caller, whose handler gives it back. Once the
        guard holds it, whichever of the two pops the box first owns it.
        `Pool.get` and `AsyncPool.get` inline this: a call more costs about
        10% of a round trip.
        """
        guard = self._guard_type()
        guard._pool = self
        guard._box = held
        return guard

    def _yield(self, held: list[Any]) -> Steps[bool]:
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
            yield from self._put_idle(held)
        next(self._misses)
        return True

    def _grow(self, held: list[Any]) -> Steps[Any]:
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
                held[:] = held[0] - 1, (yield from self._create())
                if self._lifecycle is not None:
                    self._lifecycle.born(held[-1])
                yield from self._put_idle(held)
            held[0] = yield from self._create()  # Model: Create, the caller's own.
            if self._lifecycle is not None:
                self._lifecycle.born(held[0])
            return self._hold(held)
        except BaseException:
            # A new() that raised (or a closed pool's drain): the units not
            # made go back as a grant, as one step (Model: ReturnGrant).
            if held and type(held[-1]) is int:
                self._return_capacity(held)
            raise

    def _create(self) -> Steps[Any]:
        """Call the user's new() and count the resource it made (Model: Create).

        May raise, or take arbitrarily long. The resource and its count leave
        in one statement (the tuple is indexed, not unpacked), so no line falls
        between `new()` returning and this frame returning it; an asynchronous
        exception delivered when `next()` returns is the one window left
        (design.md, "What remains impossible").
        """
        try:
            return ((yield partial(self._factory.new, self._context)), next(self._created))[0]
        except BaseException:
            next(self._failed)
            raise

    def _put_idle(self, held: list[Any]) -> Steps[None]:
        """Make the resource `held[-1]` idle; in a closed pool, discard it instead."""
        # Model: CheckClosed. After close() returned, nothing may become idle:
        # a get() that read "open" long ago could still take it.
        if self._closed:
            yield from self._abandon(held)
            return
        # Model: PutIdle. Linearization point of a successful release. `+=`
        # rather than append(): the move out of `held` must not be followed by
        # a call that checks the recursion limit (3.11's deque methods do).
        free = self._free
        free += (held.pop(),)
        # Model: CheckClosed. If close() drained before this append, nobody
        # else will: drain here so a closed pool keeps nothing idle.
        if self._closed:
            raise_all((yield from self._drain()))
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

    def _adopt_orphan(self) -> Steps[bool]:
        """Give back one orphan, if any: a resource or units a call could not finish with.

        Orphans are the resources of garbage-collected guards (which get their
        ResourceWarning here, from an ordinary call, not from the finalizer),
        and what an interrupted call handed back (design.md, "Exception
        safety"). Errors from an orphan's reset() or close() have no caller to
        reach: they are reported as a RuntimeWarning, never raised, and the
        resource is discarded. An orphan's release adopts no other orphan,
        so one adoption never chains into the next.
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
                yield from self._abandon(held)
            elif type(held[0]) is int:
                self._return_capacity(held)
            else:
                yield from self._give_back(held, expiring=False)  # expires when found
        except BaseException as error:
            if held:  # Model: Recover.
                orphans = self._orphans
                orphans += held
                held.clear()
            if not isinstance(error, Exception):
                raise
            report(f"giving back an orphaned resource raised {error!r}", RuntimeWarning)
        return True

    def _drain(self) -> Steps[list[BaseException]]:
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
                yield from self._abandon(held)
            except BaseException as error:
                errors.append(error)
                if held is None:  # the pop itself failed: it would fail again
                    return errors
                if held:  # Model: Recover.
                    orphans = self._orphans
                    orphans += held
                    held.clear()

    def _close(self) -> Steps[None]:
        """The steps of `close()` (see `Pool.close`)."""
        self._closed = True  # Model: SetClosed. Linearization point of close().
        if self._lifecycle is not None:
            self._lifecycle.stop()  # the maintainer thread ends after its current step
        errors = yield from self._drain()
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
                yield from self._abandon(held)
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
