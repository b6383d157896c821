"""`ExpiringGuard`: a `max_lifetime` pool's guard, whose release discards an expired resource.

Issue 12 asks that an expired resource be discarded "when it comes back or
is found idle, never while held". Found idle is `Lifecycle.check_out` and
the sweeps; coming back is here. A pool made with `max_lifetime` hands out
its resources in an `ExpiringGuard` (`expiring`, called by the vetted
pool's `get()` and `_take_as_head()`), whose `release()` takes the steps of
`PoolGuard.release()` with one more after a `reset()` that returned True:
if the resource has outlived its deadline, it is not made idle but
discarded, and its unit goes on as a failed reset's does (`_reuse`:
under Static a replacement is made and made idle, under AutoScale the unit
is spare again; either way the head waiter is rung). `PoolGuard.release()`
itself is untouched, so a pool without the option runs the same
instructions as before (docs/performance.md).

The steps are the core's (`_retire`, `_reject`, `_put_idle`,
`Lifecycle.expire`, `_adopt_orphan`); their order is the core's
`_give_back` (`_disposal.py`), which checks the expiry for an
`AsyncPoolGuard` and for orphans. It is written again here, inline, as
`PoolGuard.release()` writes it: driving `_give_back` through the driver
would cost every round trip of a `max_lifetime` pool more instructions
(docs/performance.md, "Lifecycle options"). Model:
Claim, Reset, CheckExpired, then PutIdle or Expire and Replace /
ReturnGrant (models/Lifecycle.tla's names).
"""

from __future__ import annotations

from math import inf
from typing import TYPE_CHECKING, Any

from ._drive import run
from ._guard import PoolGuard

if TYPE_CHECKING:
    from ._lifecycle import Lifecycle

__all__ = ["ExpiringGuard", "expiring"]


class ExpiringGuard(PoolGuard[Any]):  # type: ignore[misc]  # final for users, not for the pool
    """A guard of a pool with `max_lifetime`: an expired resource given back is discarded."""

    __slots__ = ()

    def release(self) -> None:
        """Give the resource back to its pool; a second call does nothing.

        As `PoolGuard.release()`, except that a resource whose `reset()`
        returned True but which has outlived its `max_lifetime` (its
        deadline has passed on the pool's clock) is discarded instead of
        made idle, counted in `stats().expired`, and its unit goes on as a
        failed reset's: replaced at once under Static, spare under
        AutoScale, to the head waiter if one waits.

        Raises:
            Exception: as `PoolGuard.release()`: what `reset()` raised, or
                what `close()` or a replacement's `new()` raised after a
                failed reset. For an expired resource these two are
                reported as a RuntimeWarning instead: the caller gave back
                a good resource and did not cause them.
            TypeError: `reset()` returned something other than a bool.
            BaseException: an interruption; what the call had claimed goes to
                the pool's orphans, as for `PoolGuard.release()`.
        """
        pool = self._pool
        # Only a pool with a lifecycle makes this guard.
        lifecycle: Lifecycle = pool._lifecycle  # type: ignore[assignment]
        held: list[Any] | None = None
        try:
            try:
                held = [self._box.pop()]  # Model: Claim (atomic list.pop()).
                valid = held[0].reset()  # Model: Reset, a user callback.
            except BaseException as error:
                if held is None:  # nothing claimed
                    if type(error) is IndexError:  # released already
                        return
                    raise
                run(pool._retire(held, replace=isinstance(error, Exception)))
                raise
            if valid is not True:
                run(pool._reject(held, valid))
            # Model: CheckExpired. `deadlines.get` is one C call; a resource
            # without a deadline (an interruption kept it from its stamp) has
            # not expired. Inline, not a function: a call more is a tenth of
            # what expiry at release costs a round trip (performance.md).
            elif pool._closed or lifecycle.clock() < lifecycle.deadlines.get(id(held[0]), inf):
                run(pool._put_idle(held))  # Model: CheckClosed, PutIdle, Ring.
            else:
                run(lifecycle.expire(pool, held))  # Model: Expire, then Replace or ReturnGrant.
        except BaseException:
            if held:  # Model: Recover.
                orphans = pool._orphans
                orphans += held
                held.clear()
            raise
        if pool._orphans:
            run(pool._adopt_orphan())


def expiring(guard: PoolGuard[Any]) -> ExpiringGuard:
    """Move `guard`'s resource, fresh from a hand-out, into an `ExpiringGuard`.

    No other thread has seen `guard`. The box passes to the new guard: both
    hold it for one line, and whichever is collected first with it non-empty
    gives the resource back (its finalizer's pop is atomic), so an
    interruption here loses nothing and gives nothing back twice.
    """
    fresh = ExpiringGuard()
    fresh._pool = guard._pool
    fresh._box = guard._box
    guard._box = []
    return fresh
