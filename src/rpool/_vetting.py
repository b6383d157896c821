"""The pool classes a lifecycle switches a pool to, and the switch.

A pool made with every lifecycle option off keeps its shell's class and
never imports this module or `_lifecycle.py` (docs/performance.md). With an
option on (`configure`), or at its first `resize()` (`ensure`), the pool's
class becomes `vetted(type(pool))`: its class with a mixin in front, same
slots, whose hand-outs go through `Lifecycle.hand_out`: `Vetted` for `Pool`
(sync `get()` and `_take_as_head()`, which run the steps), `AsyncVetted`
for `AsyncPool` (an async `get()` and the head's take `_head`, which await
them). `asynchronous` tells the shells apart.
"""

from __future__ import annotations

import time
from inspect import iscoroutinefunction
from typing import TYPE_CHECKING, Any

from ._drive import Steps, run, run_async
from ._expiring import expiring
from ._guard import PoolGuard
from ._lifecycle import Lifecycle
from ._pool import Pool
from ._scale import AutoScale, ScaleMode

if TYPE_CHECKING:
    from ._core import Core

__all__ = ["AsyncVetted", "Vetted", "asynchronous", "configure", "ensure", "vetted"]


def ensure(pool: Core[Any]) -> Lifecycle:
    """The pool's lifecycle, made with every option off if it has none (for `resize()`).

    The pool is switched to its vetted class, so that each hand-out pays one
    step of a lowered bound's debt. Two first `resize()` calls racing on a
    pool with no option may each make one; the last stored is kept.
    """
    if pool._lifecycle is None:
        mode = pool._mode
        floor = mode.initial if isinstance(mode, AutoScale) else mode.count
        pool._lifecycle = Lifecycle(
            max_lifetime=None,
            lifetime_jitter=0.0,
            max_idle=None,
            floor=floor,
            clock=time.monotonic,
            tally=pool._tally_type,
        )
        pool.__class__ = vetted(type(pool))
    return pool._lifecycle


def configure(
    pool: Core[Any],
    mode: ScaleMode,
    max_lifetime: object,
    lifetime_jitter: object,
    max_idle: object,
    clock: object,
    check: object = None,
    recheck_after: object = 0.0,
    maintain_every: object = None,
) -> Lifecycle | None:
    """The lifecycle a pool's options ask for, or None; switches `pool`'s class if any.

    With an option on, the pool's class becomes `vetted(type(pool))`: same
    slots, with `get()` and the head's take vetting what they hand out, so
    a pool with every option off runs its shell's `get()` untouched.

    Raises:
        TypeError, ValueError: as `Lifecycle.of`.
    """
    lifecycle = Lifecycle.of(
        mode,
        max_lifetime,
        lifetime_jitter,
        max_idle,
        clock,
        pool._tally_type,
        check,
        recheck_after,
        maintain_every,
        asynchronous=asynchronous(type(pool)),
    )
    if lifecycle is not None:
        pool.__class__ = vetted(type(pool))
    return lifecycle


def asynchronous(cls: type[Any]) -> bool:
    """Whether `cls` is an async shell (`AsyncPool`): its `get()` is a coroutine function."""
    return iscoroutinefunction(cls.get)


class Vetted:
    """What a `Pool` with a lifecycle adds: each hand-out goes through `Lifecycle.hand_out`.

    `acquire()` and `acquire_async()` hand out through `get()` and
    `_take_as_head()`, so these two overrides cover every hand-out.
    """

    __slots__ = ()
    _lifecycle: Lifecycle

    def get(self) -> PoolGuard[Any] | None:
        guard: PoolGuard[Any] | None = super().get()  # type: ignore[misc]
        if guard is None:
            return None
        lifecycle = self._lifecycle
        vetting = lifecycle.hand_out(self, guard, True)  # type: ignore[arg-type]
        if vetting is not guard:  # the steps that call check, close or new
            guard = run(vetting)
        # With max_lifetime, the guard whose release discards an expired
        # resource (_expiring.py). An interruption between the two leaves a
        # plain guard: its resource goes idle when given back, and its
        # expiry is found at the next hand-out or sweep.
        return guard if lifecycle.max_lifetime is None else expiring(guard)

    get.__doc__ = Pool.get.__doc__

    def _take_as_head(self) -> PoolGuard[Any] | None:
        guard: PoolGuard[Any] | None = super()._take_as_head()  # type: ignore[misc]
        if guard is None:
            return None
        lifecycle = self._lifecycle
        vetting = lifecycle.hand_out(self, guard, True)  # type: ignore[arg-type]
        if vetting is not guard:  # as in get()
            guard = run(vetting)
        # As in get().
        return guard if lifecycle.max_lifetime is None else expiring(guard)


class AsyncVetted:
    """What an `AsyncPool` with a lifecycle adds: each hand-out is vetted, the same steps awaited.

    Every hand-out goes through `get()` (`acquire()` begins with it) or the
    head's take (`_head`, the step `waiting()` drives), so these two
    overrides cover them all. No guard class of its own: the release's
    check for expiry is the core's (`Disposal._give_back`).
    """

    __slots__ = ()
    _lifecycle: Lifecycle

    async def get(self) -> Any:
        guard = await super().get()  # type: ignore[misc]
        if guard is None:
            return None
        vetting = self._lifecycle.hand_out(self, guard)  # type: ignore[arg-type]
        return guard if vetting is guard else await run_async(vetting)

    def _head(self) -> Steps[Any]:
        guard = yield from super()._head()  # type: ignore[misc]
        if guard is None:
            return None
        vetting = self._lifecycle.hand_out(self, guard)  # type: ignore[arg-type]
        return guard if vetting is guard else (yield from vetting)


# The vetted class of each pool class, made once (dict.setdefault keeps the
# first if two threads make one at once).
_VETTED: dict[type[Any], type[Any]] = {}


def vetted(cls: type[Any]) -> type[Any]:
    """`cls` with `Vetted` (or `AsyncVetted`) first in its bases: a layout `__class__` may take.

    Also for the tests' subclasses of Pool, whose seams stay.
    """
    made = _VETTED.get(cls)
    if made is None:
        mixin = AsyncVetted if asynchronous(cls) else Vetted
        made = _VETTED.setdefault(
            cls, type(f"Vetted{cls.__name__}", (mixin, cls), {"__slots__": ()})
        )
    return made
