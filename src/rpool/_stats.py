"""What `Pool.stats()` reports, and the lock-free counters behind it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from itertools import islice
from typing import ClassVar

__all__ = ["WAIT_BOUNDS", "PoolStats", "Tally", "advance", "derive"]

WAIT_BOUNDS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)
"""Upper bounds, in seconds, of the wait-time histogram's buckets; the last bucket has none."""


class Tally(itertools.count):  # type: ignore[type-arg]  # counts from 0 by 1
    """A monotone event counter: `next(tally)` adds one, `tally.value` reads it.

    Atomicity: `next()` on an `itertools.count` is one C call that runs no
    Python code, so the GIL makes it atomic; on the free-threaded build it is
    an atomic compare-and-exchange (CPython gh-117657, in 3.13). No increment
    is ever lost. `value` reads the counter through `repr()`, the only reader
    `count` offers that neither increments it nor is deprecated.
    """

    __slots__ = ()

    @property
    def value(self) -> int:
        """The number of increments so far."""
        text = repr(self)
        return int(text[text.index("(") + 1 : -1])


@dataclass(frozen=True, slots=True)
class PoolStats:
    """A snapshot of a pool's state, taken by `Pool.stats()`.

    Consistency: `idle` and, for a bounded pool, `capacity` come from one
    atomic copy of the free list (and one of the orphans), so they belong to
    the same instant. The event counters (`created`, `failed`, `discarded`,
    `misses`) are exact and never go back, but each is read at its own
    instant; `creating` and `in_use` are derived from them. When no operation
    is in flight, every field is exact and `capacity == idle + in_use +
    creating`; while other threads work, a derived field may be off by the
    operations in flight. The reads are ordered so that no field is ever
    negative and capacity never exceeds the maximum.
    """

    capacity: int
    """Resources alive or being created: never more than the maximum."""
    idle: int
    """Resources in the pool, ready to be handed out."""
    in_use: int
    """Resources handed out and not yet given back (or waiting for their reset)."""
    creating: int
    """Capacity taken for resources not yet made: a growth or replacement in progress."""
    created: int
    """Resources created by `new()` since the pool was made."""
    failed: int
    """Calls to `new()` that raised."""
    discarded: int
    """Resources discarded: failed reset, closed pool."""
    misses: int
    """Calls to `get()` that returned None (`acquire()`'s first try included)."""
    waiting: int = 0
    """Callers parked in `acquire()` now."""
    waited: int = 0
    """Calls to `acquire()` that parked: served, timed out, closed or interrupted."""
    timeouts: int = 0
    """Calls to `acquire()` that raised `PoolTimeout` (tries with `timeout <= 0` included)."""
    wait_histogram: tuple[int, ...] = (0, 0, 0, 0, 0, 0, 0)
    """How long the calls counted in `waited` parked, by bucket: under 100 µs,
    1 ms, 10 ms, 100 ms, 1 s, 10 s, and 10 s or more (`WAIT_BOUNDS`). A bucket
    is counted when its call leaves the queue, so while callers park the
    buckets add up to less than `waited`."""

    expired: int = 0
    """Resources discarded for outliving `max_lifetime`: found idle by a caller, or given back."""
    evicted: int = 0
    """Idle resources discarded after `max_idle` (by a call's sweep step or `maintain()`)."""
    leaks: int = 0
    """Guards reported as held longer than `leak_threshold` (each once)."""
    checks_failed: int = 0
    """Resources discarded because the pool's `check` did not return True when handed out."""
    resizes: int = 0
    """Calls to `resize()` that finished."""

    WAIT_BOUNDS: ClassVar[tuple[float, ...]] = WAIT_BOUNDS
    """Upper bounds, in seconds, of `wait_histogram`'s buckets; the last bucket has none."""


def advance(tally: Tally, units: int) -> int:
    """Add `units` (at least 1) to `tally` in one line; return its last value.

    `islice` consumes the counter inside C, one atomic `next()` per unit, so
    a line-level exception lands before the whole addition or after it. The
    pool calls it as the first part of a statement whose second part moves
    the units it counts (`_, _ = advance(...), held.pop()`), so the count and
    the move are one statement (docs/design.md, "Exception safety").
    """
    return int(next(islice(tally, units - 1, None)))


def derive(
    *,
    created_early: int,
    discarded_early: int,
    dropped: int,
    idle: int,
    spare: int,
    created: int,
    discarded: int,
    failed: int,
    returned: int,
    reserved: int,
    misses: int,
    maximum: int | None,
    waiting: int = 0,
    waited: int = 0,
    timeouts: int = 0,
    wait_histogram: tuple[int, ...] = (0, 0, 0, 0, 0, 0, 0),
    expired: int = 0,
    evicted: int = 0,
    leaks: int = 0,
    checks_failed: int = 0,
    resizes: int = 0,
) -> PoolStats:
    """Compute a `PoolStats` from counter readings taken in the documented order.

    `Pool.stats` reads `returned`, `created_early`, `discarded_early`,
    `dropped`, the snapshots (`idle`; `spare`: units in grants, in the free
    list and among the orphans), `created`, `discarded`, `reserved`, in that
    order. The capacity is what the spare and dropped units leave of the
    maximum, or for an unbounded pool the units reserved and not returned
    (after a failed `new()` or a discard) nor spare; `creating` is the
    capacity that no live resource holds. Each field is computed from the readings that
    can only make it larger than the truth while other threads work, never
    negative; with no operation in flight the early and late readings agree
    and every field is exact. The preconditions are what the reading order
    guarantees; CrossHair checks that they imply the postconditions.

    pre: min(created_early, discarded_early, dropped, idle, spare, failed) >= 0
    pre: min(returned, reserved, misses) >= 0
    pre: created >= created_early and discarded >= discarded_early
    pre: created >= discarded_early + idle
    pre: maximum is None or maximum >= spare + dropped
    pre: maximum is None or maximum >= spare + dropped + created_early - discarded
    pre: maximum is not None or reserved >= returned + spare
    pre: maximum is not None or reserved - returned - spare >= created_early - discarded
    post: min(__return__.capacity, __return__.in_use, __return__.creating) >= 0
    post: maximum is None or __return__.capacity <= maximum
    """
    in_use = created - discarded_early - idle
    capacity = reserved - returned - spare if maximum is None else maximum - spare - dropped
    creating = capacity - (created_early - discarded)
    return PoolStats(
        capacity=capacity,
        idle=idle,
        in_use=in_use,
        creating=creating,
        created=created,
        failed=failed,
        discarded=discarded,
        misses=misses,
        waiting=waiting,
        waited=waited,
        timeouts=timeouts,
        wait_histogram=wait_histogram,
        expired=expired,
        evicted=evicted,
        leaks=leaks,
        checks_failed=checks_failed,
        resizes=resizes,
    )
