"""Fork safety: in a child process, every pool starts again, empty.

A resource made in the parent (a socket, a database connection) is shared
with the child by `os.fork()`; if both used it, their messages would mix.
So the child never hands one out. Right after a fork, in the child, each
live pool is restarted (`restart`): its free list is rebuilt from spare
capacity alone, as a pool of its mode and bound would lay it out if it had
started empty (`Static(count)`: `count` grants of one unit, so the child
creates its resources one at a time, on demand; a bounded `AutoScale`: the
grants of `AutoScale(0, maximum, chunk_size)`; an unbounded one: nothing);
its counters start from zero, so `stats()` adds up (capacity 0, nothing in
use), and so do its lifecycle's (whose stamps of the parent's resources are
dropped) and its leak records; its waiters and orphans are cleared (the threads that waited do not
exist in the child). A closed pool stays closed.

The parent's resources are dropped without their `close()` or `reset()`:
closing would end the parent's session too (a protocol goodbye, a shutdown
of the shared socket). They are not even released: they stay referenced
(`_inherited`) so that no finalizer of theirs runs while the child lives.

A guard held across the fork is disarmed in the child: its box is replaced
by an empty one, so its `release()` does nothing, `released` is True and
`resource` raises `GuardReleasedError`. The guards are found by one walk of
the child's heap (`gc.get_referrers()`), done only if a pool had resources
in use at the fork: a cost paid once per child, in proportion to its
heap, instead of a generation check on every `release()` (docs/design.md,
"Fork").

Why this needs no model and no lock: it runs in `os.register_at_fork`'s
`after_in_child` hook, before `fork()` returns in the child, where only the
forking thread exists; it rebinds the pools' attributes to new objects, and
of the old ones only reads the counters and copies the deques (`stats()`),
which takes no lock: on the free-threaded build an old deque's lock may
have been held, at the fork, by a thread that is gone.
A fork made inside a pool's own call (from a `new()` or `reset()`) is not
covered: the child finishes that call with whatever it held.
"""

from __future__ import annotations

import gc
import os
import weakref
from typing import TYPE_CHECKING, Any

from ._async_guard import AsyncPoolGuard
from ._guard import PoolGuard
from ._scale import AutoScale, Static
from ._stats import Tally

if TYPE_CHECKING:
    from ._pool import Pool

__all__ = ["restart", "track"]

# Every pool made in this process, held weakly: a pool no one uses is not
# kept alive for the sake of forks that may never come.
_pools: weakref.WeakSet[Pool[Any, Any]] = weakref.WeakSet()

# In a child: the parent's free lists, orphans and guards' boxes, kept so
# that none of the parent's resources is finalized while the child lives.
_inherited: list[object] = []

# The storage of each guard class's _box, written directly: a subclass may
# put a property in front of it. Both shells' guards: an AsyncPool's
# resources are a parent's as much as a Pool's.
_box_slots: dict[type, Any] = {
    PoolGuard: PoolGuard.__dict__["_box"],
    AsyncPoolGuard: AsyncPoolGuard.__dict__["_box"],
}


def track(pool: Pool[Any, Any]) -> None:
    """Restart `pool` in every child forked from now on (one atomic set.add())."""
    _pools.add(pool)


def restart(pool: Pool[Any, Any]) -> bool:
    """Make `pool` empty, its capacity all spare; return whether it had resources in use.

    For the at-fork hook only: not safe while other threads use the pool.
    """
    # Read before the reset. The copies stats() takes iterate the old deques
    # without their lock, so a lock held at the fork cannot block them.
    in_use = pool.stats().in_use > 0
    _inherited.append((pool._free, pool._orphans, pool._waiters))
    deque_type = pool._deque_type
    mode = pool._mode
    bound = pool._maximum
    if bound is None:
        grants: list[int] = []
    elif isinstance(mode, Static):
        grants = [1] * bound
    else:
        assert isinstance(mode, AutoScale)
        # The first growth pops the rightmost grant, as in Pool.__init__.
        grants = list(reversed(list(AutoScale(0, bound, mode.chunk_size).grants())))
    pool._free = deque_type(grants)
    pool._orphans = deque_type()
    pool._waiters = deque_type()
    # Every counter starts again, whichever the pool has: the child's pool is
    # a fresh one, and stats() derives capacity and use from the counters.
    _start_again(pool, pool._tally_type, stamps=False)
    if pool._lifecycle is not None:  # its counters, and its stamps of the parent's resources
        _start_again(pool._lifecycle, pool._tally_type, stamps=True)
    if pool._watch is not None:  # leak detection: no record of the parent's guards
        pool._watch.restart()
    return in_use


def _start_again(owner: object, tally: type[Tally], stamps: bool) -> None:
    """Give `owner` new counters (and, if `stamps`, new empty dicts) in place of its own.

    Every slot of every class of `owner` is looked at: a pool's class may be
    a subclass with no slots of its own (`Vetted`, `Watched`).
    """
    for cls in type(owner).__mro__:
        for name in getattr(cls, "__slots__", ()):
            value = getattr(owner, name, None)
            if isinstance(value, Tally):
                setattr(owner, name, tally())
            elif isinstance(value, tuple) and value and isinstance(value[0], Tally):
                setattr(owner, name, tuple(tally() for _ in value))
            elif stamps and type(value) is dict:
                setattr(owner, name, {})


def _disarm(pools: list[Pool[Any, Any]]) -> None:
    """Empty the box of every guard of `pools`."""
    # One walk of the heap, in C: the objects that refer to one of the pools.
    for item in gc.get_referrers(*pools):
        if isinstance(item, PoolGuard | AsyncPoolGuard):
            box = getattr(item, "_box", None)  # unset if get() was interrupted
            if box:
                _inherited.append(box)
                _box_slots[PoolGuard if isinstance(item, PoolGuard) else AsyncPoolGuard].__set__(
                    item, []
                )


def _after_in_child() -> None:
    busy = [pool for pool in list(_pools) if restart(pool)]
    if busy:
        _disarm(busy)


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork()
    os.register_at_fork(after_in_child=_after_in_child)
