"""`Lifecycle`: a pool's optional max lifetime, idle timeout and check on borrow.

Everything here is opt-in: a pool made without `max_lifetime`, `max_idle`
or `check` has no `Lifecycle`, keeps the class `Pool` and never imports this
module. The algorithm is in docs/design.md
("Lifecycle"); the model is models/Lifecycle.tla, whose action names the
comments below use.

Time comes from the `clock` the pool was given (default `time.monotonic`), so
tests drive lifetimes and idle timeouts without sleeping.

What is recorded, per resource, in two dicts keyed by `id(resource)` (a dict's
`get`, `setdefault`, `pop` and item store are each one C call that runs no
Python code, since int keys hash and compare in C: atomic under the GIL, and
under the dict's per-object lock on the free-threaded build):

- `deadlines`: the instant the resource expires (its creation, plus
  `max_lifetime` less a random part of up to `lifetime_jitter` of it, so that
  resources made together do not expire together). Set when the pool creates
  the resource; a resource the pool did not see created (an interruption
  landed in between) gets one the first time it is handed out.
- `idle_since`: when a sweep first saw the resource at the cold end of the
  free list (the idle resource returned longest ago). Cleared when the
  resource is handed out.

The steps that call the user's code (`check`, a discarded resource's
`close()`, a replacement's `new()`) are generators, as the core's are
(`_drive.py`): `Pool` runs them, `AsyncPool` awaits what they yield, so
both shells share every step here.

Neither dict decides anything about capacity: a resource is discarded only
after it was taken out of the free list by an atomic pop, the same as a
`get()`'s, so a held resource is never discarded, and its unit of capacity
goes back through `Pool._return_capacity` (or straight into a fresh resource
for the caller), as a failed reset's does.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable
from functools import partial
from inspect import iscoroutinefunction
from typing import TYPE_CHECKING, Any

from ._drive import Steps
from ._freelist import coldest
from ._maintainer import Maintainer, TaskMaintainer
from ._options import as_float, seconds_option
from ._report import report
from ._resize import pay
from ._scale import AutoScale, ScaleMode, Static

if TYPE_CHECKING:
    from ._core import Core
    from ._disposal import Disposal
    from ._stats import Tally

__all__ = ["Lifecycle"]


class Lifecycle:
    """A pool's lifetime and idle policy, the stamps it keeps and its counters.

    Made by a pool's constructor (`configure`) only when an option is set.
    """

    __slots__ = (
        "check",
        "checks_failed",
        "clock",
        "deadlines",
        "debt",
        "evicted",
        "expired",
        "floor",
        "handed_out",
        "idle_since",
        "lifetime_jitter",
        "maintainer",
        "max_idle",
        "max_lifetime",
        "paying",
        "recheck_after",
        "resizes",
        "resizing",
    )

    def __init__(
        self,
        *,
        max_lifetime: float | None,
        lifetime_jitter: float,
        max_idle: float | None,
        floor: int,
        clock: Callable[[], float],
        tally: type[Tally],
        check: Callable[[Any], object] | None = None,
        recheck_after: float = 0.0,
        maintainer: Maintainer | TaskMaintainer | None = None,
    ) -> None:
        self.max_lifetime = max_lifetime
        self.lifetime_jitter = lifetime_jitter
        self.max_idle = max_idle
        # Idle resources are evicted only while more than this many are alive.
        self.floor = floor
        self.clock = clock
        self.deadlines: dict[int, float] = {}
        self.idle_since: dict[int, float] = {}
        self.expired, self.evicted, self.checks_failed = tally(), tally(), tally()
        self.check = check
        self.recheck_after = recheck_after
        # When each resource was last handed out (with a check), for recheck_after.
        self.handed_out: dict[int, float] = {}
        self.maintainer = maintainer
        # resize(): units to retire before capacity is back within the bound
        # (one-unit tokens); the token one resize() at a time holds; the
        # token a debt payment or a resize() holds (_resize.py).
        self.debt: deque[int] = deque()
        self.resizing = [0]
        self.paying = [0]
        self.resizes = tally()

    @classmethod
    def of(
        cls,
        mode: ScaleMode,
        max_lifetime: object,
        lifetime_jitter: object,
        max_idle: object,
        clock: object,
        tally: type[Tally],
        check: object = None,
        recheck_after: object = 0.0,
        maintain_every: object = None,
        asynchronous: bool = False,
    ) -> Lifecycle | None:
        """The policy a pool's options ask for, or None when every option is off.

        `asynchronous`: the pool is an `AsyncPool`, whose `check` must be a
        coroutine function and whose maintainer is a task, not a thread.

        Raises:
            TypeError: an option of the wrong type (`clock` not callable).
            ValueError: a duration that is not positive and finite, a jitter
                outside [0, 1), or `max_idle` for a Static pool, which keeps
                `count` resources whatever their idle time.
        """
        lifetime = seconds_option("max_lifetime", max_lifetime)
        idle = seconds_option("max_idle", max_idle)
        if type(lifetime_jitter) is bool or not isinstance(lifetime_jitter, int | float):
            raise TypeError(
                f"lifetime_jitter must be a number, not {type(lifetime_jitter).__name__}"
            )
        if not 0 <= lifetime_jitter < 1:
            raise ValueError(f"lifetime_jitter must be in [0, 1), got {lifetime_jitter!r}")
        if not callable(clock):
            raise TypeError(f"clock must be callable, not {type(clock).__name__}")
        if check is not None and not callable(check):
            raise TypeError(f"check must be callable or None, not {type(check).__name__}")
        if (
            asynchronous
            and check is not None
            and not iscoroutinefunction(check)
            and not iscoroutinefunction(getattr(check, "__call__", None))  # noqa: B004
        ):
            raise TypeError(f"an AsyncPool's check must be an async function: {check!r}")
        if type(recheck_after) is bool or not isinstance(recheck_after, int | float):
            raise TypeError(f"recheck_after must be a number, not {type(recheck_after).__name__}")
        if not 0 <= as_float(recheck_after) < math.inf:
            raise ValueError(f"recheck_after must be finite and at least 0, got {recheck_after!r}")
        if idle is not None and isinstance(mode, Static):
            raise ValueError(
                "max_idle needs AutoScale: a Static pool keeps its count resources "
                "(use max_lifetime to recycle them)"
            )
        every = seconds_option("maintain_every", maintain_every)
        if lifetime is None and idle is None and check is None and every is None:
            return None
        floor = mode.initial if isinstance(mode, AutoScale) else mode.count
        return cls(
            max_lifetime=lifetime,
            lifetime_jitter=float(lifetime_jitter),
            max_idle=idle,
            floor=floor,
            clock=clock,
            tally=tally,
            check=check,
            recheck_after=as_float(recheck_after),
            maintainer=(
                None
                if every is None
                else TaskMaintainer(every)
                if asynchronous
                else Maintainer(every)
            ),
        )

    def start(self, pool: Any) -> None:
        """Start the maintainer, if one was asked for (`Pool.__init__`, `AsyncPool.open`)."""
        if self.maintainer is not None:
            self.maintainer.start(pool)

    def stop(self) -> None:
        """Stop the maintainer, if any (`close()`)."""
        if self.maintainer is not None:
            self.maintainer.stop()

    def born(self, resource: object) -> None:
        """Stamp a resource the pool has just created with its expiry instant."""
        if self.max_lifetime is not None:
            self.deadlines[id(resource)] = self._deadline(self.clock())
        # A resource made at an address a discarded one had must not inherit
        # its idle stamp.
        self.idle_since.pop(id(resource), None)

    def forget(self, resource: object) -> None:
        """Drop the stamps of a resource about to be discarded."""
        self.deadlines.pop(id(resource), None)
        self.idle_since.pop(id(resource), None)
        self.handed_out.pop(id(resource), None)

    def _deadline(self, now: float) -> float:
        assert self.max_lifetime is not None
        return now + self.max_lifetime * (1.0 - self.lifetime_jitter * random.random())

    def hand_out(self, pool: Core[Any], guard: Any, calls: bool = False) -> Any:
        """Vet a guard a pool's get() just made: the guard itself, or the steps that vet it.

        What needs none of the user's code is done here, in plain calls: the
        guard is returned as it is when no debt is owed, no idle resource is
        due for eviction (the sweep's look, `_due`), and its resource is
        neither expired nor due for its `check` (`_stale`). Otherwise the
        steps of `check_out` are returned, for the shell to drive (`run`, or
        `run_async`) to the guard the caller gets; they look again.

        `calls`: the shell calls user code in plain calls (`Pool`, not
        `AsyncPool`), so the `check` is asked here rather than yielded (as
        `_settle` does), and only a failed check's renewal is returned as
        steps: a hand-out whose check passes drives no generator (a
        generator and its driver cost a `Pool` with `check` two thirds more
        per hand-out; docs/performance.md).

        Raises:
            BaseException: with `calls`, an interruption in the `check` or
                after it (the guard's resource goes to the pool's orphans
                first, as in `_settle`).
        """
        if self.debt:
            return self.check_out(pool, guard)
        now = self.clock()
        if self.max_idle is not None and self._due(pool, now) is not None:
            return self.check_out(pool, guard)
        stale = self._stale(guard, now)
        if stale is None:
            return guard
        if not calls or stale is not self.check:
            return self._settle(pool, guard, stale, now)
        try:  # _settle's ask, the call made here
            resource = guard._box[0]
            try:
                passed = stale(resource) is True  # Model: Check, a user callback.
            except Exception:
                passed = False
            if not passed:
                return self._settle(pool, guard, self.checks_failed, now)
            if self.recheck_after:  # the stamp is read only then (_stale)
                self.handed_out[id(resource)] = now
            return guard
        except BaseException:  # an interruption, in the check or here
            _recover(pool, guard)
            raise

    def check_out(self, pool: Core[Any], guard: Any) -> Steps[Any]:
        """The steps that vet a guard a pool's get() just made; return the guard the caller gets.

        First one step of a lowered bound's debt (`pay`) and one sweep step
        (`sweep`). Then the guard's resource is stale if it has outlived its
        deadline, or, failing that, if the user's `check` does not return
        True (unless it was handed out less than `recheck_after` seconds
        ago). A stale resource is replaced (`_renew`): one discard and one
        `new()`, no loop, so `get()` stays wait-free; the fresh resource is
        not checked. `check` is yielded as a call: an `AsyncPool` awaits it.

        Raises:
            BaseException: as `get()`: what `new()` raised (the unit goes back
                as spare capacity first), or an interruption (a cancellation at
                an await): the guard's resource, if it still has it, goes to
                the pool's orphans first, for the next ordinary call to give
                back. Errors of a stale resource's `close()` are reported as a
                RuntimeWarning, and an Exception raised by `check` fails the
                check: the caller did not cause them.
        """
        try:
            if self.debt:  # one step of a lowered bound's debt (_resize.py)
                yield from pay(pool, self)
            now = self.clock()
            if self.max_idle is not None:
                yield from self.sweep(pool, now)
            stale = self._stale(guard, now)
            if stale is None:
                return guard
            return (yield from self._settle(pool, guard, stale, now))
        except BaseException:
            _recover(pool, guard)
            raise

    def _stale(self, guard: Any, now: float) -> Tally | Callable[[Any], object] | None:
        """Whether the guard's resource is fit to hand out, in plain calls (no user code).

        None: it is (its stamps are updated). `expired` (the counter): it
        has outlived its deadline. The `check`: it must be asked.
        """
        key = id(guard._box[0])
        self.idle_since.pop(key, None)  # handed out: no longer idle
        if self.max_lifetime is not None:
            deadline = self.deadlines.get(key)
            if deadline is None:  # created where an interruption kept it from its stamp
                self.deadlines[key] = self._deadline(now)
            elif now >= deadline:
                return self.expired
        check = self.check
        if check is None:
            return None
        if self.recheck_after and now - self.handed_out.get(key, -math.inf) < self.recheck_after:
            self.handed_out[key] = now
            return None
        return check

    def _settle(self, pool: Core[Any], guard: Any, stale: Any, now: float) -> Steps[Any]:
        """Renew a stale resource (`stale`: its counter), or ask the `check` (`stale`) first.

        The counter is `expired`, or `checks_failed` (a check `hand_out` asked).

        `hand_out` asks the check of a `Pool` itself, in a plain call, and
        comes here for a failed check's renewal (`checks_failed`): the two
        asks are the same lines, one yielding the call and one making it,
        as `_drive.run` and `run_async` are.

        Raises:
            BaseException: as `check_out`.
        """
        try:
            if stale is self.expired or stale is self.checks_failed:
                return (yield from self._renew(pool, guard, stale))
            resource = guard._box[0]
            try:
                passed = (yield partial(stale, resource)) is True  # Model: Check, a user callback.
            except Exception:
                passed = False
            if not passed:
                return (yield from self._renew(pool, guard, self.checks_failed))
            if self.recheck_after:  # the stamp is read only then (_stale)
                self.handed_out[id(resource)] = now
            return guard
        except BaseException:
            _recover(pool, guard)
            raise

    def _renew(self, pool: Core[Any], guard: Any, count: Tally) -> Steps[Any]:
        """Replace the stale resource of `guard`, fresh from a get(), with a new one.

        The resource is taken back out of the guard (Model: Claim; nobody
        else has seen this guard), counted in `count`, discarded, and its
        unit passes straight into a fresh resource for the caller, made by
        `new()` through `Core._grow` (Model: Expire, then Renew). Whatever this
        frame took out is in `held` until it is a guard again; the handler
        gives it back (docs/design.md, "Exception safety").
        """
        held: list[Any] | None = None
        try:
            held = [guard._box.pop()]  # Model: Claim, from a guard nobody else has seen.
            next(count)
            yield from self._discard(pool, held)  # Model: Expire.
            return (yield from pool._grow(held))  # Model: Renew, with the stale resource's unit.
        except BaseException:
            if held:  # Model: Recover.
                orphans = pool._orphans
                orphans += held
                held.clear()
            raise

    def sweep(self, pool: Core[Any], now: float) -> Steps[bool]:
        """One bounded step of idle eviction; True if it discarded a resource.

        If the resource at the cold end has been idle for `max_idle` (since a
        sweep first saw it there), more than `floor` resources are alive and
        nobody waits, one idle resource is taken from the free list with the
        same pop as `get()`'s (Model: TakeFree by the sweeper) and discarded,
        and its unit becomes spare capacity again (Model: Evict, then
        ReturnGrant, which rings the head waiter). The resource taken is the
        one on top (the most recently returned): only a pop is atomic, and
        which idle resource goes does not matter to the count that is too
        high. Work: one binary search (`coldest`), one pop, one `close()`.

        Raises:
            BaseException: an interruption; what the step had taken goes to
                the pool's orphans first. A resource's `close()` raising an
                Exception is reported as a RuntimeWarning.
        """
        cold = self._due(pool, now)
        if cold is None:
            return False
        free = pool._free
        held: list[Any] | None = None
        try:
            try:
                held = [free.pop()]  # Model: TakeFree, by the sweeper.
            except IndexError:
                return False
            if type(held[0]) is not int:
                yield from self._discard(pool, held)  # Model: Evict.
                next(self.evicted)
            # A resource's unit, or a grant popped because every idle resource
            # was taken since the look: spare capacity either way.
            pool._return_capacity(held)  # Model: ReturnGrant.
        except BaseException:
            if held:  # Model: Recover.
                orphans = pool._orphans
                orphans += held
                held.clear()
            raise
        return True

    def _due(self, pool: Core[Any], now: float) -> object | None:
        """The sweep's look, in plain calls: the idle resource due for eviction, or None.

        The resource at the cold end (`coldest`), if it has been idle for
        `max_idle` since a sweep first saw it there (the first look stamps
        it), more than `floor` resources are alive, nobody waits and the pool
        is open. A hint, never a take: `sweep` pops what it evicts.
        """
        assert self.max_idle is not None
        cold = coldest(pool._free)
        if cold is None:
            return None
        since = self.idle_since.setdefault(id(cold), now)
        if now - since < self.max_idle or pool._waiters or pool._closed:
            return None
        if pool._created.value - pool._discarded.value <= self.floor:
            return None
        return cold

    def maintain(self, pool: Core[Any]) -> Steps[int]:
        """Run sweep steps until one discards nothing; return how many discarded.

        Bounded: at most one step per item the free list held when it began.
        """
        discarded = 0
        while self.debt and (yield from pay(pool, self)):
            discarded += 1
        if self.max_idle is None:
            return discarded
        for _ in range(len(pool._free)):
            if not (yield from self.sweep(pool, self.clock())):
                break
            discarded += 1
        return discarded

    def expire(self, pool: Disposal, held: list[Any]) -> Steps[None]:
        """Discard the expired resource `held[-1]` given back, and pass its unit on.

        Counted in `expired`, discarded (Model: Expire; an Exception from its
        `close()` is reported), then its unit goes to a replacement (Static) or
        back as spare capacity (`Disposal._reuse`: Model: Replace or
        ReturnGrant, which ring the head waiter). An Exception from the
        replacement's `new()` is reported, its unit spare. `held` belongs to
        the caller, whose handler gives back what is left in it if this is
        interrupted.
        """
        next(self.expired)
        yield from self._discard(pool, held)
        try:
            yield from pool._reuse(held, True)
        except Exception as error:
            if held:
                # The steps did not get to give it back (a RecursionError as the
                # driver resumed them): the caller's handler does, to the orphans.
                raise
            report(f"replacing an expired resource raised {error!r}", RuntimeWarning)

    def _discard(self, pool: Disposal, held: list[Any]) -> Steps[None]:
        """Discard the resource `held[-1]`, leaving its unit (1) in `held`.

        An Exception from its `close()` is reported, not raised: the call
        that found the resource expired or idle did not cause it.
        """
        try:
            yield from pool._discard(held)  # which forgets its stamps
        except Exception as error:
            if type(held[-1]) is not int:
                # close() was never called (a RecursionError before it): the
                # resource is not discarded, and the caller's handler gives it
                # back; reported, its unit would go on with it still alive.
                raise
            report(f"discarding an expired or idle resource raised {error!r}", RuntimeWarning)


def _recover(pool: Core[Any], guard: Any) -> None:
    """Model: Recover. A guard never handed out gives its resource back now (one C call).

    Not left to the guard's finalizer: an interrupted hand-out (a cancelled
    `check`) is no collected guard to warn of.
    """
    box = guard._box
    if box:
        orphans = pool._orphans
        orphans += (box.pop(),)
