"""`Pool`: a lock-free, wait-free pool of reusable resources.

The algorithm, its atomic steps and why they are atomic are in
docs/design.md; the model of it is models/FreeList.tla. Comments below name
the model action each step is ("Model: TakeFree").
"""

from __future__ import annotations

import warnings
from collections import deque
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, final, overload

from ._errors import PoolClosedError
from ._freelist import Grant, snapshot
from ._guard import PoolGuard
from ._poolable import Factory, Poolable
from ._scale import AutoScale, ScaleMode, Static
from ._stats import PoolStats, Tally, derive

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

    `resource` is the resource class (anything whose `new(context)` returns an
    R); `context` is passed to every `new()` and never changed by the pool.

    Raises:
        TypeError: `mode` is not a `Static` or `AutoScale`, or `resource` has
            no callable `new`.
        Exception: whatever a `new()` raised while creating the initial
            resources; those already created are discarded first.
    """

    __slots__ = (
        "_closed",
        "_context",
        "_created",
        "_discarded",
        "_dropped",
        "_factory",
        "_failed",
        "_free",
        "_maximum",
        "_misses",
        "_mode",
        "_orphans",
        "_replaces",
        "_reserved",
        "_returned",
    )

    # The containers of the pool's shared state. Tests replace them with
    # instrumented subclasses (tests/scheduler); the pool only ever calls the
    # atomic methods named in _freelist.py on them.
    _deque_type: type[deque[Any]] = deque
    _tally_type: type[Tally] = Tally

    @overload
    def __init__(self: Pool[None, R], resource: Factory[None, R], mode: ScaleMode) -> None: ...
    @overload
    def __init__(self, resource: Factory[C, R], mode: ScaleMode, context: C) -> None: ...
    def __init__(self, resource: Factory[Any, R], mode: ScaleMode, context: Any = None) -> None:
        if not isinstance(mode, Static | AutoScale):
            raise TypeError(f"mode must be Static or AutoScale, not {type(mode).__name__}")
        if not callable(getattr(resource, "new", None)):
            raise TypeError(f"resource must have a new(context) method: {resource!r}")
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
        self._orphans: deque[R] = self._deque_type()
        initial = mode.count if isinstance(mode, Static) else mode.initial
        grants = [] if isinstance(mode, Static) else list(mode.grants())
        # The first growth pops the rightmost grant, so grants go in reversed.
        self._free: deque[R | Grant] = self._deque_type(Grant(size) for size in reversed(grants))
        made: list[R] = []
        try:
            for _ in range(initial):
                next(self._reserved)
                made.append(self._create())
        except BaseException as error:
            for resource_made in made:
                try:
                    self._discard(resource_made)
                except Exception as close_error:
                    error.add_note(f"also, discarding a created resource raised {close_error!r}")
            raise
        self._free.extend(made)

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
            Exception: whatever `new()` raised; the capacity it had reserved
                is given back (resources created before it in the same chunk
                stay idle in the pool).
        """
        # Model: CheckClosed, before the pop: a get() that read "open" may be
        # ordered before close() whatever it then pops, since it started
        # before close() set the flag; one that read "closed" raises.
        if self._closed:
            raise PoolClosedError("get() on a closed pool")
        free = self._free
        # Model: TakeFree. Linearization point of get(): this pop, or, when the
        # deque is empty, the len() read that saw it empty (both atomic, see
        # _freelist.py). The emptiness test only spares the cost of raising.
        try:
            item = free.pop() if free else None
        except IndexError:
            item = None
        if item is None:
            # _get_slow(None), inlined for the common miss (open, bounded, no
            # orphan to adopt): the same reads in the same order, one call fewer.
            if self._closed or self._orphans or self._maximum is None:
                return self._get_slow(item)
            next(self._misses)  # Model: Miss.
            return None
        if type(item) is Grant:
            return self._get_slow(item)
        guard = _new_guard(PoolGuard)  # __init__ inlined: the hot path of get()
        guard._pool = self
        guard._box = [item]
        return guard

    def _get_slow(self, item: R | Grant | None) -> PoolGuard[R] | None:
        if item is None:
            # Model: CheckClosed. The deque may be empty because close()
            # drained it after our first check; then this get() comes after
            # close() and must raise, not report "nothing left".
            if self._closed:
                raise PoolClosedError("get() on a closed pool")
            if self._orphans and self._adopt_orphan():
                # The orphan was reset and made idle: take again, once, so
                # get() stays wait-free. Model: TakeFree, then CheckClosed.
                free = self._free
                try:
                    item = free.pop() if free else None
                except IndexError:
                    item = None
                if item is None and self._closed:
                    raise PoolClosedError("get() on a closed pool")
        if item is None:
            if self._maximum is None:
                # Unbounded: there is always spare capacity. Model: Reserve.
                mode = self._mode
                assert isinstance(mode, AutoScale)
                return self._grow(mode.growth(self._capacity()))
            next(self._misses)  # Model: Miss.
            return None
        if type(item) is Grant:
            return self._grow(item.size)
        return PoolGuard(self, item)

    def _grow(self, units: int) -> PoolGuard[R]:
        """Create `units` resources with capacity already reserved; keep the last.

        The others become idle as soon as each is made, so concurrent callers
        can take them; the caller's own resource cannot be taken by anyone.
        """
        for _ in range(units):
            next(self._reserved)
        for made in range(units - 1):
            try:
                resource = self._create()
            except BaseException:
                self._cancel(units - made)
                raise
            try:
                self._put_idle(resource)
            except BaseException:
                # Only a closed pool's drain raises here; the units not yet
                # made must not stay counted as being created.
                self._cancel(units - made - 1)
                raise
        try:
            resource = self._create()
        except BaseException:
            self._cancel(1)
            raise
        return PoolGuard(self, resource)

    def _create(self) -> R:
        # Model: Create, the user's new(): may raise or take arbitrarily long.
        try:
            resource = self._factory.new(self._context)
        except BaseException:
            next(self._failed)
            raise
        next(self._created)
        return resource

    def _put_idle(self, resource: R) -> None:
        """Make `resource` idle; in a closed pool, discard it instead."""
        # Model: CheckClosed. After close() returned, nothing may become idle:
        # a get() that read "open" long ago could still take it.
        if self._closed:
            self._abandon(resource)
            return
        # Model: PutIdle. Linearization point of a successful release.
        self._free.append(resource)
        # Model: CheckClosed. If close() drained before this append, nobody
        # else will: drain here so a closed pool keeps nothing idle.
        if self._closed:
            _raise_all(self._drain())

    def _cancel(self, units: int) -> None:
        """Give back `units` of reserved capacity whose resources were never made."""
        for _ in range(units):
            next(self._returned)
        self._return_capacity(units)

    def _return_capacity(self, units: int) -> None:
        # Model: ReturnGrant. Bounded pools keep spare capacity as a grant. A
        # closed pool keeps none; it counts the units as dropped instead, so
        # that stats() can still tell its capacity.
        if self._maximum is None:
            return
        if self._closed:
            self._drop(units)
        else:
            self._free.appendleft(Grant(units))

    def _drop(self, units: int) -> None:
        for _ in range(units):
            next(self._dropped)

    def _give_back(self, resource: R, adopt: bool = True) -> None:
        """Reset `resource` and make it idle, or discard it (a guard's release).

        Then, if `adopt`, give back one orphan too: an ordinary call is where
        the resources of garbage-collected guards get their reset.
        """
        try:
            valid = resource.reset()  # Model: Reset, a user callback.
        except BaseException:
            self._retire(resource)
            raise
        if valid is True:
            # _put_idle(resource), inlined: this is the hot path of release().
            if self._closed:  # Model: CheckClosed.
                self._abandon(resource)
            else:
                self._free.append(resource)  # Model: PutIdle.
                if self._closed:  # Model: CheckClosed.
                    _raise_all(self._drain())
        else:
            self._reject(resource, valid)
        if adopt and self._orphans:
            self._adopt_orphan()

    def _reject(self, resource: R, valid: object) -> None:
        """Retire a resource whose reset() did not return True."""
        self._retire(resource)
        if valid is not False:
            raise TypeError(
                f"{type(resource).__name__}.reset() must return a bool, "
                f"not {type(valid).__name__}; the resource was discarded"
            )

    def _retire(self, resource: R) -> None:
        """Discard a resource that failed its reset; replace it (Static) or free its capacity."""
        try:
            self._discard(resource)
        finally:
            if self._replaces and not self._closed:
                # Model: Replace. The discarded resource's capacity passes
                # straight to its replacement: it is never spare in between.
                next(self._reserved)
                try:
                    replacement = self._create()
                except BaseException:
                    self._cancel(1)
                    raise
                self._put_idle(replacement)
            else:
                self._return_capacity(1)

    def _discard(self, resource: R) -> None:
        # Model: Discard. Counted before close() runs, so a close() that raises
        # leaves the accounting whole.
        next(self._discarded)
        close = getattr(resource, "close", None)
        if close is not None:
            close()

    def _abandon(self, item: R | Grant) -> None:
        """Dispose of an item of a closed pool; its capacity is dropped.

        A grant's capacity was spare; a resource is discarded first.
        """
        if type(item) is Grant:
            self._return_capacity(item.size)
        else:
            try:
                self._discard(item)
            finally:
                self._return_capacity(1)

    def _adopt_orphan(self) -> bool:
        """Give back one resource whose guard was garbage-collected, if any.

        Errors from its reset() or close() have no caller to reach: they are
        reported as a RuntimeWarning and the resource is discarded.
        """
        try:
            resource = self._orphans.pop()  # Model: TakeOrphan.
        except IndexError:
            return False
        try:
            if self._closed:
                self._abandon(resource)
            else:
                self._give_back(resource, adopt=False)
        except Exception as error:
            warnings.warn(
                f"giving back a garbage-collected {type(resource).__name__} raised {error!r}",
                RuntimeWarning,
                stacklevel=2,
            )
        return True

    def _drain(self) -> list[Exception]:
        """Empty the free list of a closed pool, discarding every resource.

        Oldest first, from the left end: a get() that read "open" before the
        flag was set may still pop the right end, and must find the most
        recent resource there, as it would have before close().
        """
        errors: list[Exception] = []
        free = self._free
        while True:
            try:
                item = free.popleft()  # Model: DrainFree.
            except IndexError:
                return errors
            try:
                self._abandon(item)
            except Exception as error:
                errors.append(error)

    def close(self) -> None:
        """Close the pool: discard the idle resources; later `get()`s raise.

        Idempotent. Resources in use stay usable; each is discarded when it is
        given back. Resources whose guards were garbage-collected are
        discarded without reset; one whose guard is collected after close()
        returned is discarded by the next release() or close().

        Raises:
            ExceptionGroup: one or more resources' `close()` raised; every
                resource was discarded all the same.
        """
        self._closed = True  # Model: SetClosed. Linearization point of close().
        errors = self._drain()
        while True:
            try:
                resource = self._orphans.pop()  # Model: TakeOrphan.
            except IndexError:
                break
            try:
                self._abandon(resource)
            except Exception as error:
                errors.append(error)
        _raise_all(errors)

    def stats(self) -> PoolStats:
        """A snapshot of the pool's counters; see `PoolStats` for its consistency."""
        # The reads go in this order so that no field is ever negative and
        # capacity never exceeds the maximum: a resource is counted as created
        # before it can be idle, a unit of capacity as reserved before it is
        # counted as created or returned, and a dropped unit leaves the deque
        # before it is counted as dropped.
        discarded = self._discarded.value
        dropped = self._dropped.value  # before the snapshot: no unit counted twice
        idle, spare = snapshot(self._free)
        created = self._created.value
        returned = self._returned.value
        return derive(
            discarded=discarded,
            idle=idle,
            spare=spare + dropped,
            created=created,
            failed=self._failed.value,
            returned=returned,
            reserved=self._reserved.value,
            misses=self._misses.value,
            maximum=self._maximum,
        )

    def _capacity(self) -> int:
        """Resources alive or being created, from the counters alone."""
        return self._reserved.value - self._returned.value - self._discarded.value

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


def _raise_all(errors: list[Exception]) -> None:
    if errors:
        raise ExceptionGroup(f"discarding {len(errors)} resource(s) raised", errors)
