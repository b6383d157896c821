"""`Disposal`: what becomes of a resource given back, and of one taken out of service.

The core's steps from a release's Reset on (`_give_back`): the resource is
made idle (`Core._put_idle`), or retired (`_retire`: discarded, then its
unit passed to a replacement under Static or back as spare, `_reuse`); and
the disposal of what a closed pool is given (`_abandon`). `Core` inherits
these steps; they are generators like its others (`_drive.py`), shared by
both shells, and follow the exception-safety rule of `_core.py`'s
docstring: what a step took is in `held` until it is somewhere else, and
the caller's handler gives back what is left in it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from math import inf
from typing import TYPE_CHECKING, Any, ClassVar

from ._drive import Steps

if TYPE_CHECKING:
    from ._lifecycle import Lifecycle
    from ._stats import Tally

__all__ = ["Disposal"]


class Disposal:
    """The release and retirement steps of `Core`, which inherits them (no state of its own)."""

    if not TYPE_CHECKING:
        __slots__ = ()

    # Declared by the shells (`_core.SLOTS`) and `Core`; typed here for the steps.
    _closed: object
    _discarded: Tally
    _lifecycle: Lifecycle | None
    _replaces: bool
    _no_close: ClassVar[staticmethod[[], Any]]

    if TYPE_CHECKING:
        # Core's steps these call.
        def _create(self) -> Steps[Any]: ...
        def _put_idle(self, held: list[Any]) -> Steps[None]: ...
        def _return_capacity(self, held: list[Any]) -> None: ...

    def _give_back(self, held: list[Any], expiring: bool = True) -> Steps[None]:
        """Release's steps after its Claim: reset `held[-1]`, then make it idle or retire it.

        `PoolGuard.release()` runs these same steps inlined, for speed, and
        so does `ExpiringGuard.release()` (a pool with `max_lifetime`);
        `AsyncPoolGuard.release()` and orphans drive this. A resource whose
        `reset()` returned True but which has outlived its `max_lifetime` is
        not made idle: `Lifecycle.expire` discards it and passes its unit on
        (Model: CheckExpired), as an `ExpiringGuard`'s release does; an
        adopted orphan's (`expiring` False) goes idle and expires when it is
        found, as with `Pool` (models/Lifecycle.tla, tests/model.py). `held`
        belongs to the caller, whose handler gives back what is left.
        """
        try:
            valid = yield held[-1].reset  # Model: Reset, a user callback.
        except BaseException as error:
            # reset() raised (or an exception landed before it ran): the
            # resource is discarded. A KeyboardInterrupt (or the like) gets
            # no replacement: no user code runs while it is on its way.
            yield from self._retire(held, replace=isinstance(error, Exception))
            raise
        if valid is not True:
            yield from self._reject(held, valid)
            return
        yield from self._keep(held, expiring)

    def _keep(self, held: list[Any], expiring: bool = True) -> Steps[None]:
        """Make `held[-1]`, whose reset() returned True, idle, unless it has expired.

        The rest of `_give_back` after its Reset; `AsyncPoolGuard.release()`
        awaits the reset itself and drives this for a pool with a lifecycle.
        """
        # Model: CheckExpired (a pool with max_lifetime; _expiring.py). The
        # deadline's `get` is one C call; a resource without one (no
        # max_lifetime, or an interruption kept it from its stamp) has not
        # expired, and a closed pool discards it in _put_idle anyway.
        lifecycle = self._lifecycle
        if (
            lifecycle is None
            or not expiring
            or not lifecycle.deadlines
            or self._closed
            or lifecycle.clock() < lifecycle.deadlines.get(id(held[-1]), inf)
        ):
            yield from self._put_idle(held)  # Model: CheckClosed, PutIdle, Ring.
        else:
            yield from lifecycle.expire(self, held)

    def _reject(self, held: list[Any], valid: object) -> Steps[None]:
        """Retire a resource whose reset() did not return True."""
        resource = held[-1]
        yield from self._retire(held)
        if valid is not False:
            raise TypeError(
                f"{type(resource).__name__}.reset() must return a bool, "
                f"not {type(valid).__name__}; the resource was discarded"
            )

    def _retire(self, held: list[Any], replace: bool = True) -> Steps[None]:
        """Discard a resource that failed its reset; replace it (Static) or free its unit.

        No replacement is made (the unit goes back as spare, for a later get()
        to recreate) when `replace` is False or the resource's close() raised
        something other than an Exception: the user's new() must not run
        while a KeyboardInterrupt is on its way.
        """
        try:
            yield from self._discard(held)
        except BaseException as error:
            # held[-1] is the unit the resource had, unless an exception landed
            # before close() was called; then the caller gives the resource back.
            if type(held[-1]) is int:
                yield from self._reuse(held, replace and isinstance(error, Exception))
            raise
        yield from self._reuse(held, replace)

    def _reuse(self, held: list[Any], replace: bool) -> Steps[None]:
        """Pass the unit `held[-1]` to a replacement (Static, open pool) or back to spare."""
        if replace and self._replaces and not self._closed:  # Model: CheckClosed.
            # Model: Replace. The discarded resource's unit passes straight to
            # its replacement: it is never spare in between.
            try:
                held[-1] = yield from self._create()
            except BaseException:
                self._return_capacity(held)
                raise
            if self._lifecycle is not None:
                self._lifecycle.born(held[-1])
            yield from self._put_idle(held)
        else:
            self._return_capacity(held)

    def _discard(self, held: list[Any]) -> Steps[None]:
        """Discard the resource `held[-1]`: close it, leave its unit there (1).

        Model: Discard. The resource counts as discarded once its close() has
        been called, whether close() returned or raised; until then it stays
        in `held`, for the caller to give back if this call is interrupted.
        Hence `calling`, which the call itself sets as close() is called (in
        one statement, `_calling`): an exception the driver throws in before
        the call was made finds it empty. `_headroom()`, a call deeper than
        the driver's call of close(), makes sure the recursion limit cannot
        stop close() from being entered once the call is made: if it would,
        it stops this first.
        """
        if self._lifecycle is not None:
            self._lifecycle.forget(held[-1])
        close = getattr(held[-1], "close", self._no_close)
        _headroom()
        calling: list[bool] = []
        try:
            held[-1], _ = ((yield partial(_calling, calling, close)), 1)[1], next(self._discarded)
        except BaseException:
            if calling:  # close() was called and raised: discarded all the same.
                held[-1], _ = 1, next(self._discarded)
            raise

    def _abandon(self, held: list[Any]) -> Steps[None]:
        """Dispose of the item `held[-1]` for a closed pool; its capacity is dropped.

        A grant's units were spare; a resource is discarded first.
        """
        try:
            if type(held[-1]) is not int:
                yield from self._discard(held)
        finally:
            # The unit, even if close() raised (unless an exception landed
            # before the discard began; then the caller gives the resource back).
            if type(held[-1]) is int:
                self._return_capacity(held)


def _headroom() -> None:
    """Do nothing, one frame deeper than the caller (see `Disposal._discard`)."""


def _calling(calling: list[bool], close: Callable[[], Any]) -> Any:
    """Call `close()`, first marking in `calling` that it is called (see `Disposal._discard`)."""
    return (calling.append(True), close())[1]  # type: ignore[func-returns-value]
