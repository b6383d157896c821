"""The executable sequential spec of `rpool.Pool`.

Two layers, both named as in models/FreeList.tla and models/Waiting.tla:

- `State` holds the model's variables, `free`, `orphans`, `closed` and
  `waiters`, and the functions below it are the model's atomic actions on
  them (`take_free` is TakeFree, `put_idle` is PutIdle, `enqueue` is
  Enqueue, ...). Each is pure: it returns the next state. The
  linearizability checker (tests/lincheck) runs histories against these same
  functions.
- `Model` runs whole operations (`get`, `release`, `drop`, `close`, `stats`,
  and for waiting `acquire`, `cancel`, `advance`) one at a time, composing the
  actions in the order the design prescribes and asking a `Script`
  (tests/resources.py) what each user callback does. It keeps its own ground
  truth (which resources are alive, held, orphaned, who waits since when) and
  reports the statistics a correct pool must report. The stateful test
  (test_stateful.py) drives a real pool and this model side by side.

Waiting is the spec of a FIFO blocking pool. `acquire()` takes as `get()`
does if nothing is queued and something is available; otherwise it joins the
waiter queue. Whatever becomes available while callers wait (a release, a
replacement, capacity given back, a `get()`'s Yield) goes to the oldest
waiter at once, before the operation that made it available is over: each
operation ends with `_serve()`, in which the head takes as `get()` would
(without yielding; adopting an orphan, such as a collected guard's resource,
if nothing else is there) for as long as something is there. So between
operations nobody waits while anything is idle, spare or orphaned. A queued waiter may time out
(when `advance` moves the clock past its deadline) or be cancelled; it leaves
owed nothing. `close()` wakes every waiter with PoolClosedError. While anyone
waits, `get()` takes nothing for itself: what it pops goes back (Yield) and it
returns None.

Resources are named by their creation number (0, 1, ...), which is also the
`id` of the test resource `Res`. Spare capacity is a `Grant`. Waiters are
named by numbers the caller chooses.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from rpool import AutoScale, PoolClosedError, PoolStats, PoolTimeout, ScaleMode, Static
from tests.resources import Boom, Script

__all__ = [
    "WAIT_BOUNDS",
    "Grant",
    "Item",
    "Model",
    "State",
    "Wait",
    "bucket",
    "drain_free",
    "enqueue",
    "growths",
    "head",
    "leave",
    "orphan",
    "put_idle",
    "return_grant",
    "set_closed",
    "spare",
    "take_free",
    "take_orphan",
]


@dataclass(frozen=True, slots=True)
class Grant:
    """Spare capacity for `size` resources."""

    size: int


Item = int | Grant
"""What `free` holds: a resource (its number) or a grant."""


@dataclass(frozen=True, slots=True)
class State:
    """The model's variables. `free[-1]` is the right end of the deque."""

    free: tuple[Item, ...] = ()
    orphans: tuple[int, ...] = ()
    closed: bool = False
    waiters: tuple[int, ...] = ()
    """The waiter queue, oldest first: `waiters[0]` is the head."""


# --- actions: one atomic step of the implementation each -------------------


def take_free(state: State) -> tuple[State, Item | None]:
    """TakeFree: pop the right end of `free` (None if it is empty)."""
    if not state.free:
        return state, None
    return replace(state, free=state.free[:-1]), state.free[-1]


def put_idle(state: State, resource: int) -> State:
    """PutIdle: a resource becomes idle at the right end."""
    return replace(state, free=(*state.free, resource))


def return_grant(state: State, units: int) -> State:
    """ReturnGrant: capacity becomes spare at the left end; a closed pool keeps none."""
    if state.closed:
        return state
    return replace(state, free=(Grant(units), *state.free))


def drain_free(state: State) -> tuple[State, Item | None]:
    """DrainFree: close() or a late release empties `free` from the left, oldest first."""
    if not state.free:
        return state, None
    return replace(state, free=state.free[1:]), state.free[0]


def set_closed(state: State) -> State:
    """SetClosed: the linearization point of close()."""
    return replace(state, closed=True)


def orphan(state: State, resource: int) -> State:
    """Orphan: a garbage-collected guard hands its resource over."""
    return replace(state, orphans=(*state.orphans, resource))


def take_orphan(state: State) -> tuple[State, int | None]:
    """TakeOrphan: pop the most recent orphan (None if there is none)."""
    if not state.orphans:
        return state, None
    return replace(state, orphans=state.orphans[:-1]), state.orphans[-1]


def enqueue(state: State, waiter: int) -> State:
    """Enqueue: `waiter` joins the queue at the back."""
    return replace(state, waiters=(*state.waiters, waiter))


def leave(state: State, waiter: int) -> State:
    """Leave: `waiter` leaves the queue, wherever it is (served, timed out, cancelled, closed)."""
    return replace(state, waiters=tuple(w for w in state.waiters if w != waiter))


def head(state: State) -> int | None:
    """The oldest waiter, the only one that may take (None if nobody waits)."""
    return state.waiters[0] if state.waiters else None


def spare(state: State) -> int:
    """Units of spare capacity in `free`."""
    return sum(item.size for item in state.free if isinstance(item, Grant))


def growths(mode: AutoScale, capacity: int) -> list[int]:
    """The sizes of the successive growths from `capacity` up to the maximum.

    Written from the documented rule (chunk_size, or doubling from 1, clamped
    to the maximum), not from `AutoScale.grants`, so the two can disagree.
    """
    sizes = []
    while mode.maximum is not None and capacity < mode.maximum:
        step = min(mode.chunk_size or max(capacity, 1), mode.maximum - capacity)
        sizes.append(step)
        capacity += step
    return sizes


WAIT_BOUNDS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)
"""Bounds of the wait-time histogram's buckets (seconds), as `PoolStats` documents them."""


def bucket(seconds: float) -> int:
    """The histogram bucket of a wait of `seconds`: how many bounds it reached."""
    return sum(seconds >= bound for bound in WAIT_BOUNDS)


@dataclass(frozen=True, slots=True)
class Wait:
    """A queued waiter: the instant it began to wait, and its deadline (None: none)."""

    started: float
    deadline: float | None


# --- whole operations, one at a time ------------------------------------------


@dataclass
class Model:
    """A pool run sequentially: the result of each operation from a state.

    Each method mirrors one public operation and raises what the pool must
    raise, with the same exception types. `warned` collects the warning
    categories the pool must emit during the operation. Every operation ends
    by serving the waiters (`_serve`), even when it raises: what it made
    available goes to the oldest waiter before anything else happens.
    """

    mode: ScaleMode
    script: Script
    """The model's own copy of the callback plans (its records stay unused)."""
    state: State = State()
    alive: set[int] = field(default_factory=set)
    held: set[int] = field(default_factory=set)
    created: int = 0
    failed: int = 0
    discarded: int = 0
    misses: int = 0
    warned: list[type[Warning]] = field(default_factory=list)
    now: float = 0.0
    """The clock deadlines and waits are measured on (the pool's `_clock`)."""
    waits: dict[int, Wait] = field(default_factory=dict)
    """The queued waiters (the order is `state.waiters`)."""
    results: dict[int, int | BaseException] = field(default_factory=dict)
    """How each waiter that left the queue ended: the resource it took, or what it raised."""
    waited: int = 0
    timeouts: int = 0
    histogram: list[int] = field(default_factory=lambda: [0] * (len(WAIT_BOUNDS) + 1))
    max_lifetime: float | None = None
    """The pool's `max_lifetime`, without jitter: a resource expires that long after `new()`."""
    max_idle: float | None = None
    deadlines: dict[int, float] = field(default_factory=dict)
    idle_since: dict[int, float] = field(default_factory=dict)
    """When a sweep first saw each resource at the cold end (cleared when handed out)."""
    expired: int = 0
    evicted: int = 0
    check_resource: Callable[[int], bool] | None = None
    """The pool's `check`, asked about a resource (by its number) when it is handed out."""
    recheck_after: float = 0.0
    handed_out: dict[int, float] = field(default_factory=dict)
    """When each resource was last handed out with a check (for `recheck_after`)."""
    checks_failed: int = 0
    debt: int = 0
    """Units still to retire after resize() lowered the bound (Lifecycle.debt)."""
    resizes: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.mode, Static):
            made = [self._create() for _ in range(self.mode.count)]
        else:
            grants = growths(self.mode, self.mode.initial)
            self.state = State(free=tuple(Grant(size) for size in reversed(grants)))
            made = [self._create() for _ in range(self.mode.initial)]
        for resource in made:
            self.state = put_idle(self.state, resource)

    @property
    def maximum(self) -> int | None:
        return self.mode.count if isinstance(self.mode, Static) else self.mode.maximum

    # get() ---------------------------------------------------------------

    def get(self) -> int | None:
        """A resource number, or None; may raise PoolClosedError or Boom."""
        try:
            resource = self._get()
            if resource is not None and (
                self.max_lifetime is not None
                or self.max_idle is not None
                or self.check_resource is not None
            ):
                resource = self._check_out(resource)
            return resource
        finally:
            self._serve()

    # lifecycle (src/rpool/_lifecycle.py) ---------------------------------------

    def _check_out(self, resource: int) -> int:
        """Lifecycle.check_out: one sweep step, then replace the resource if expired or failing."""
        if self.debt:
            self._pay()
        if self.max_idle is not None:
            self._sweep()
        self.idle_since.pop(resource, None)
        if self.max_lifetime is not None and self.now >= self.deadlines[resource]:
            self.expired += 1
            return self._renew(resource)
        if self.check_resource is None:
            return resource
        last = self.handed_out.get(resource, -math.inf)
        if self.recheck_after and self.now - last < self.recheck_after:
            self.handed_out[resource] = self.now
            return resource
        if not self.check_resource(resource):
            self.checks_failed += 1
            return self._renew(resource)
        self.handed_out[resource] = self.now
        return resource

    def _renew(self, resource: int) -> int:
        """Discard a stale resource (close() errors are warnings); its unit makes a fresh one."""
        self.held.remove(resource)
        self._discard_quietly(resource)
        return self._grow(1)

    def _sweep(self) -> bool:
        """Lifecycle.sweep: evict one idle resource if the cold end has idled for max_idle."""
        assert self.max_idle is not None
        cold = next((item for item in self.state.free if not isinstance(item, Grant)), None)
        if cold is None:
            return False
        since = self.idle_since.setdefault(cold, self.now)
        if self.now - since < self.max_idle or self.state.waiters or self.state.closed:
            return False
        assert isinstance(self.mode, AutoScale)
        if len(self.alive) <= self.mode.initial:  # the floor
            return False
        item = self._take()
        if isinstance(item, Grant):
            self._return_capacity(item.size)
        elif item is not None:
            self._discard_quietly(item)  # Evict: the top, not the cold end
            self.evicted += 1
            self._return_capacity(1)
        return True

    def maintain(self) -> int:
        """Pool.maintain(): pay the debt, then sweep steps until one evicts nothing."""
        evicted = 0
        while self.debt and self._pay():
            evicted += 1
        if self.max_idle is None:
            return evicted
        for _ in range(len(self.state.free)):
            if not self._sweep():
                break
            evicted += 1
        return evicted

    # resize() (src/rpool/_resize.py) ------------------------------------------

    def resize(self, bound: int) -> None:
        """Pool.resize(): lower by recording debt and paying; raise by cancelling it first."""
        least = max(self.mode.initial if isinstance(self.mode, AutoScale) else 1, 1)
        if bound < least:
            raise ValueError(f"resize() needs a bound of at least {least}, got {bound}")
        if self.state.closed:
            raise PoolClosedError("resize() on a closed pool")
        current = self.maximum
        assert current is not None
        mode = self.mode
        self.mode = Static(bound) if isinstance(mode, Static) else replace_mode(mode, bound)
        if bound < current:
            self.debt += current - bound
            while self._pay():
                pass
        elif bound > current:
            extra = bound - current
            cancelled = min(extra, self.debt)
            self.debt -= cancelled
            extra -= cancelled
            chunk = self.mode.chunk_size if isinstance(self.mode, AutoScale) else 1
            while extra:
                units = min(chunk or 1, extra)
                extra -= units
                self._return_capacity(units)
        self.resizes += 1

    def _pay(self) -> bool:
        """_resize.pay: retire one unit of debt from the cold end of the free list."""
        if not self.debt or not self.state.free:
            return False
        self.state, item = drain_free(self.state)
        units = 1
        if isinstance(item, Grant):
            units = item.size
        else:
            assert item is not None
            self._discard_quietly(item)
        self.debt -= 1
        if units > 1 and self.maximum is not None:
            # Returned as spare: the payment holds the resizing token, so
            # _return_capacity's own retirement cannot run here.
            self.state = return_grant(self.state, units - 1)
        return True

    def _discard_quietly(self, resource: int) -> None:
        try:
            self._discard(resource)
        except Boom:
            self.warned.append(RuntimeWarning)

    def _get(self) -> int | None:
        if self.state.closed:  # CheckClosed, before the pop
            raise PoolClosedError("get() on a closed pool")
        item = self._take()
        # With nothing to take, adopt one orphan and take once more.
        if item is None and self._adopt_orphan():
            item = self._take()
        if item is not None and self.state.waiters:
            # CheckWaiters, then Yield: what anyone pops while callers wait is
            # theirs. It goes back where it came from, and get() misses.
            self._yield(item)
            self.misses += 1
            return None
        if item is None:
            if self.maximum is None:
                assert isinstance(self.mode, AutoScale)
                capacity = len(self.alive)
                return self._grow(self.mode.chunk_size or max(capacity, 1))
            self.misses += 1
            return None
        if isinstance(item, Grant):
            return self._grow(item.size)
        self.held.add(item)
        return item

    def _take(self) -> Item | None:
        self.state, item = take_free(self.state)
        return item

    def _yield(self, item: Item) -> None:
        """Yield: a resource goes back to the idle end, a grant to the spare end."""
        if isinstance(item, Grant):
            self._return_capacity(item.size)
        else:
            self._put_idle(item)

    def _grow(self, units: int) -> int:
        for made in range(units - 1):
            try:
                resource = self._create()
            except BaseException:
                self._cancel(units - made)
                raise
            self._put_idle(resource)
        try:
            resource = self._create()
        except BaseException:
            self._cancel(1)
            raise
        self.held.add(resource)
        return resource

    # acquire(), waiting ----------------------------------------------------

    def acquire(self, waiter: int, timeout: float | None = None) -> int | None:
        """`acquire(timeout)` by the caller numbered `waiter`: a resource number, or None.

        None: the caller still waits (it is queued) when the operation is over;
        how it ends is `results[waiter]` once it leaves. Raises what `acquire()`
        raises: PoolClosedError, Boom from a growth, and PoolTimeout when the
        deadline has passed already (`timeout <= 0` tries once); or, if the
        caller was queued and served before the operation was over (its own
        get() gave back something the head could not use), what it got then.
        """
        try:
            resource = self._acquire(waiter, timeout)
        finally:
            self._serve()
        if resource is None and waiter in self.results:
            result = self.results.pop(waiter)
            if isinstance(result, BaseException):
                raise result
            return result
        return resource

    def _acquire(self, waiter: int, timeout: float | None) -> int | None:
        resource = self._get()
        if resource is not None:
            return resource
        deadline = None if timeout is None or timeout == math.inf else self.now + timeout
        if deadline is not None and deadline <= self.now:
            self.timeouts += 1
            raise PoolTimeout("no resource available")
        self.waited += 1
        self.state = enqueue(self.state, waiter)  # Enqueue
        self.waits[waiter] = Wait(self.now, deadline)
        # CheckHead: the head looks once before it parks. get() has just found
        # nothing and no orphan, so this finds nothing either (then _serve).
        if head(self.state) == waiter:
            self._head_takes()
        return None

    def cancel(self, waiter: int) -> None:
        """The queued `waiter` is cancelled: it leaves, owed nothing (CancelledError)."""
        try:
            self._leave(waiter, asyncio.CancelledError())
        finally:
            self._serve()  # PassOn

    def advance(self, now: float) -> None:
        """The clock moves on to `now`: each waiter whose deadline passed wakes.

        In deadline order, each looks once more if it is the head (and takes
        what it finds, an orphan adopted included), else times out: it leaves,
        owed nothing.
        """
        assert now >= self.now, "the clock only moves on"
        self.now = now
        try:
            position = {waiter: i for i, waiter in enumerate(self.state.waiters)}
            expired = sorted(
                (w for w, wait in self.waits.items() if wait.deadline is not None),
                key=lambda w: (self.waits[w].deadline, position[w]),
            )
            for waiter in expired:
                deadline = self.waits[waiter].deadline
                assert deadline is not None
                if deadline > now:
                    break
                if head(self.state) == waiter and self._head_takes():
                    continue
                self.timeouts += 1
                self._leave(waiter, PoolTimeout("no resource became available"))
        finally:
            self._serve()

    def _serve(self) -> None:
        """Whatever is there to take goes to the oldest waiters, one at a time.

        Each head takes as `get()` would, without yielding (adopting an orphan
        if nothing is idle or spare), and leaves the queue with what it took,
        or with what its `new()` raised.
        """
        state = self.state
        while state.waiters and (state.free or state.orphans) and not state.closed:
            left = self._head_takes()
            assert left, "a head that finds something takes it"
            state = self.state

    def _head_takes(self) -> bool:
        """The head looks: TakeFree as get() does, without Yield. True if it left the queue."""
        waiter = self.state.waiters[0]
        try:
            resource = self._take_as_head()
        except Exception as error:  # Boom from new(): the head raises it
            self._leave(waiter, error)
            return True
        if resource is None:
            return False
        self._leave(waiter, resource)
        return True

    def _take_as_head(self) -> int | None:
        if self.state.closed:
            raise PoolClosedError("acquire() on a closed pool")
        item = self._take()
        if item is None and self._adopt_orphan():
            item = self._take()
        if item is None:
            return None  # bounded: nothing there, and the head counts no miss
        if isinstance(item, Grant):
            return self._grow(item.size)
        self.held.add(item)
        return item

    def _leave(self, waiter: int, result: int | BaseException) -> None:
        """Leave: the waiter goes, its wait is measured, and how it ended is kept."""
        wait = self.waits.pop(waiter)
        self.state = leave(self.state, waiter)
        self.histogram[bucket(self.now - wait.started)] += 1
        self.results[waiter] = result

    # release(), drop() ---------------------------------------------------

    def release(self, resource: int) -> None:
        """Claim, Reset, then PutIdle or Discard (and Replace); adopt one orphan.

        Only for a guard still holding `resource`: releasing a released guard
        does nothing at all (its Claim finds the box empty).
        """
        self.held.remove(resource)
        try:
            self._give_back(resource, adopt=True)
        finally:
            self._serve()

    def drop(self, resource: int) -> None:
        """Orphan: the guard of `resource` was garbage-collected unreleased.

        The finalizer rings the head, which adopts the orphan when it looks.
        """
        self.held.remove(resource)
        self.state = orphan(self.state, resource)
        self._serve()

    def _give_back(self, resource: int, adopt: bool) -> None:
        outcome = Script._next(self.script.reset_plan)  # Reset
        if outcome == "raise":
            self._retire(resource)
            raise Boom("reset")
        if outcome == "ok":
            # CheckExpired: a guard's release (an ExpiringGuard's, with
            # max_lifetime) discards an expired resource; an adopted orphan's
            # (OrphanGuard's) does not: it goes idle and expires when found.
            if adopt and self._outlived(resource):
                self._expire(resource)
            else:
                self._put_idle(resource)
        else:
            self._retire(resource)
            if outcome == "none":
                raise TypeError("reset() returned None")
        if adopt:
            self._adopt_orphan()

    def _outlived(self, resource: int) -> bool:
        """Whether an open pool's `resource` reached its deadline (ExpiringGuard's CheckExpired)."""
        if self.max_lifetime is None or self.state.closed:
            return False
        return self.now >= self.deadlines.get(resource, math.inf)

    def _expire(self, resource: int) -> None:
        """_expiring.expire: counted, discarded, its unit replaced (Static) or spare.

        The caller gave back a good resource: a `close()` or a replacement's
        `new()` that raises is a RuntimeWarning, not an error of the release.
        """
        self.expired += 1
        self._discard_quietly(resource)
        if isinstance(self.mode, Static):
            try:
                replacement = self._create()
            except Boom:
                self._cancel(1)
                self.warned.append(RuntimeWarning)
                return
            self._put_idle(replacement)
        else:
            self._return_capacity(1)

    def _adopt_orphan(self) -> bool:
        self.state, resource = take_orphan(self.state)
        if resource is None:
            return False
        # The collected guard's ResourceWarning comes from this ordinary call.
        self.warned.append(ResourceWarning)
        try:
            if self.state.closed:
                self._abandon(resource)
            else:
                self._give_back(resource, adopt=False)
        except Exception:
            self.warned.append(RuntimeWarning)
        return True

    def _retire(self, resource: int) -> None:
        """Discard, then Replace (Static, open pool) or ReturnGrant."""
        try:
            self._discard(resource)
        finally:
            if isinstance(self.mode, Static) and not self.state.closed:
                try:
                    replacement = self._create()
                except BaseException:
                    self._cancel(1)
                    raise
                self._put_idle(replacement)
            else:
                self._return_capacity(1)

    # close() -------------------------------------------------------------

    def close(self) -> None:
        """SetClosed, DrainFree until empty, discard every orphan, then WakeAll."""
        try:
            self.state = set_closed(self.state)
            errors = self._drain()
            while True:
                self.state, resource = take_orphan(self.state)
                if resource is None:
                    break
                self.warned.append(ResourceWarning)
                try:
                    self._abandon(resource)
                except Exception as error:
                    errors.append(error)
            _raise_all(errors)
        finally:
            # WakeAll: every waiter wakes, sees the pool closed and raises.
            for waiter in self.state.waiters:
                self._leave(waiter, PoolClosedError("acquire() on a closed pool"))

    def _drain(self) -> list[Exception]:
        errors: list[Exception] = []
        while True:
            self.state, item = drain_free(self.state)
            if item is None:
                return errors
            try:
                self._abandon(item)
            except Exception as error:
                errors.append(error)

    # shared steps ----------------------------------------------------------

    def _create(self) -> int:
        """Create: the user's new()."""
        if Script._next(self.script.new_plan) == "raise":
            self.failed += 1
            raise Boom("new")
        resource = self.created
        self.created += 1
        self.alive.add(resource)
        if self.max_lifetime is not None:
            self.deadlines[resource] = self.now + self.max_lifetime
        return resource

    def _put_idle(self, resource: int) -> None:
        if self.state.closed:  # CheckClosed: nothing becomes idle in a closed pool
            self._abandon(resource)
        else:
            self.state = put_idle(self.state, resource)

    def _discard(self, resource: int) -> None:
        """Discard: counted, then the resource's close()."""
        self.discarded += 1
        self.alive.remove(resource)
        self.deadlines.pop(resource, None)
        self.idle_since.pop(resource, None)
        self.handed_out.pop(resource, None)
        if Script._next(self.script.close_plan) == "raise":
            raise Boom("close")

    def _abandon(self, item: Item) -> None:
        """A closed pool's item: a grant's capacity is dropped, a resource discarded."""
        if isinstance(item, Grant):
            self._return_capacity(item.size)
        else:
            try:
                self._discard(item)
            finally:
                self._return_capacity(1)

    def _cancel(self, units: int) -> None:
        self._return_capacity(units)

    def _return_capacity(self, units: int) -> None:
        if self.maximum is not None:
            if self.debt and not self.state.closed:  # _resize.retire
                retired = min(units, self.debt)
                self.debt -= retired
                units -= retired
                if not units:
                    return
            self.state = return_grant(self.state, units)

    # observation -----------------------------------------------------------

    def idle(self) -> list[int]:
        """The idle resources, oldest first."""
        return [item for item in self.state.free if not isinstance(item, Grant)]

    def stats(self) -> PoolStats:
        """What `Pool.stats()` must report between operations."""
        idle = len(self.idle())
        return PoolStats(
            capacity=len(self.alive),
            idle=idle,
            in_use=len(self.alive) - idle,
            creating=0,
            created=self.created,
            failed=self.failed,
            discarded=self.discarded,
            misses=self.misses,
            waiting=len(self.state.waiters),
            waited=self.waited,
            timeouts=self.timeouts,
            wait_histogram=tuple(self.histogram),
            expired=self.expired,
            evicted=self.evicted,
            checks_failed=self.checks_failed,
            resizes=self.resizes,
        )

    def check(self) -> None:
        """The spec's own invariants, true after every operation."""
        idle = set(self.idle())
        orphans = set(self.state.orphans)
        # Every live resource is in exactly one place.
        assert len(idle) + len(self.held) + len(orphans) == len(self.alive)
        assert idle | self.held | orphans == self.alive
        # Grants, then resources.
        kinds = [isinstance(item, Grant) for item in self.state.free]
        assert kinds == sorted(kinds, reverse=True)
        if self.state.closed:
            assert not self.state.free
        elif self.maximum is not None:
            # Capacity is conserved: it is alive or spare, never both, never lost.
            assert len(self.alive) + spare(self.state) == self.maximum + self.debt
        # Each waiter is queued once; nobody waits while something is there to
        # take, nor in a closed pool; every wait that ended was counted once.
        assert sorted(self.state.waiters) == sorted(self.waits)
        if self.state.waiters:
            assert not self.state.free and not self.state.orphans and not self.state.closed
        assert sum(self.histogram) == self.waited - len(self.state.waiters)


def replace_mode(mode: AutoScale, bound: int) -> AutoScale:
    """`mode` with the maximum `bound`, as resize() makes it."""
    return replace(mode, maximum=bound)


def _raise_all(errors: list[Exception]) -> None:
    if errors:
        raise ExceptionGroup(f"discarding {len(errors)} resource(s) raised", errors)
