"""What `Pool.stats()` reports, and the lock-free counters behind it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

__all__ = ["PoolStats", "Tally", "derive"]


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
    atomic copy of the free list, so they belong to the same instant. The
    event counters (`created`, `failed`, `discarded`, `misses`) are exact and
    never go back, but each is read at its own instant; `creating` and
    `in_use` are derived from them. When no operation is in flight, every
    field is exact and `capacity == idle + in_use + creating`; while other
    threads work, a derived field may be off by the operations in flight. The
    reads are ordered so that no field is ever negative.
    """

    capacity: int
    """Resources alive or being created: never more than the maximum."""
    idle: int
    """Resources in the pool, ready to be handed out."""
    in_use: int
    """Resources handed out and not yet given back (or waiting for their reset)."""
    creating: int
    """Capacity reserved for resources whose `new()` has not finished."""
    created: int
    """Resources created by `new()` since the pool was made."""
    failed: int
    """Calls to `new()` that raised."""
    discarded: int
    """Resources discarded: failed reset, closed pool."""
    misses: int
    """Calls to `get()` that returned None."""


def derive(
    *,
    discarded: int,
    idle: int,
    spare: int,
    created: int,
    failed: int,
    returned: int,
    reserved: int,
    misses: int,
    maximum: int | None,
) -> PoolStats:
    """Compute a `PoolStats` from counter readings taken in the documented order.

    `maximum` is None for an unbounded pool, whose capacity then comes from
    the counters; otherwise capacity is what the `spare` units leave (those in
    grants, and those a closed pool dropped).
    The preconditions are what the reading order guarantees (see
    `Pool.stats`); CrossHair checks that they imply the postconditions.

    pre: min(discarded, idle, spare, created, failed, returned, reserved, misses) >= 0
    pre: reserved >= returned + created
    pre: created >= discarded + idle
    pre: maximum is None or maximum >= spare
    post: min(__return__.capacity, __return__.in_use, __return__.creating) >= 0
    post: maximum is not None or __return__.capacity == reserved - returned - discarded
    """
    creating = reserved - returned - created
    in_use = created - discarded - idle
    capacity = idle + in_use + creating if maximum is None else maximum - spare
    return PoolStats(
        capacity=capacity,
        idle=idle,
        in_use=in_use,
        creating=creating,
        created=created,
        failed=failed,
        discarded=discarded,
        misses=misses,
    )
