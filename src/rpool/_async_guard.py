"""`AsyncPoolGuard`: the handle through which an `AsyncPool`'s resource is used and given back."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar, final

from ._drive import run_async
from ._errors import GuardReleasedError, raise_all
from ._guard import PoolGuard
from ._waiters import ring

if TYPE_CHECKING:
    from ._async_pool import AsyncPool

__all__ = ["AsyncPoolGuard"]

R = TypeVar("R")


@final
class AsyncPoolGuard(Generic[R]):
    """Holds one resource taken from an `AsyncPool` until it is given back.

    Made only by `AsyncPool.get()` and `AsyncPool.acquire()`. Give the
    resource back with `await guard.release()` or by leaving an
    `async with guard as resource:` block (or `async with pool.acquire() as
    resource:`). A guard that is garbage-collected while still holding its
    resource gives it back as a `PoolGuard` does: its finalizer only moves
    the resource to the pool's orphans (no await, no user code), and the
    pool's next ordinary call awaits its `reset()` and emits a
    `ResourceWarning`. Guards cannot be copied or pickled.
    """

    # As PoolGuard's: the resource in a one-element list, claimed by pop().
    __slots__ = ("_box", "_pool")

    def __init__(self, pool: AsyncPool[Any, Any], box: list[R]) -> None:
        self._pool = pool
        self._box = box

    @property
    def resource(self) -> R:
        """The resource.

        Raises:
            GuardReleasedError: the guard was released.
        """
        try:
            return self._box[0]
        except IndexError:
            raise GuardReleasedError("this guard's resource was given back") from None

    @property
    def released(self) -> bool:
        """Whether the resource was given back."""
        return not self._box

    async def release(self) -> None:
        """Give the resource back to its pool; a second call does nothing.

        Awaits the resource's `reset()`. If it returns True the resource
        becomes idle; if it returns False or raises, the resource is
        discarded (its `close()` awaited, if it has one) and, under Static,
        replaced at once. Then one orphan (the resource of a
        garbage-collected guard, say) is given back too. The guard is released
        however the call ends, a cancellation included.

        Raises:
            Exception: whatever `reset()`, the resource's `close()` or the
                replacement's `new()` raised. The pool's accounting is whole
                all the same.
            TypeError: `reset()` returned something other than a bool (the
                resource is discarded).
            asyncio.CancelledError: the task was cancelled while `reset()`,
                `close()` or `new()` ran: the resource was discarded (a
                cancelled `reset()` leaves it in an unknown state), with no
                replacement; or, cancelled before its reset, it went to the
                pool's orphans, for the next ordinary call.
            BaseException: as `PoolGuard.release()`.
        """
        # The steps are the core's `_give_back()` after a Claim, inlined as
        # in PoolGuard.release(), with the reset() awaited in this frame: an
        # uncontended release runs no generator. The steps that await
        # close() or new() are the core's, driven by `run_async`. `held` and
        # its handler follow design.md's "Exception safety".
        pool = self._pool
        held: list[Any] | None = None
        try:
            try:
                held = [self._box.pop()]  # Model: Claim (see PoolGuard.release).
                valid = await held[0].reset()  # Model: Reset, a user callback.
            except BaseException as error:
                if held is None:  # nothing claimed
                    if type(error) is IndexError:  # released already
                        return
                    raise
                # reset() raised, or was cancelled (or an exception landed
                # before it ran): the resource is discarded. Only an
                # Exception gets a replacement: a cancelled task runs no
                # more of the user's code than it must.
                await run_async(pool._retire(held, replace=isinstance(error, Exception)))
                raise
            if valid is True:
                # Core._put_idle(held), inlined.
                if pool._closed:  # Model: CheckClosed.
                    await run_async(pool._abandon(held))
                else:
                    # Model: PutIdle. As in PoolGuard.release: append() may
                    # check the recursion limit (3.11) after held.pop(), but
                    # cannot fail here: this frame just resumed from reset()'s,
                    # one call deeper.
                    pool._free.append(held.pop())
                    if pool._closed:  # Model: CheckClosed.
                        raise_all(await run_async(pool._drain()))
                    if pool._waiters:  # Model: Ring (see Core._put_idle).
                        ring(pool._waiters)
            else:
                await run_async(pool._reject(held, valid))
        except BaseException:
            if held:  # Model: Recover.
                orphans = pool._orphans
                orphans += held
                held.clear()
            raise
        if pool._orphans:
            await run_async(pool._adopt_orphan())

    async def __aenter__(self) -> R:
        return self.resource

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.release()

    # The finalizer is PoolGuard's, the same function: one C-level Orphan
    # step and a ring, no user code, safe wherever the collector runs it.
    __del__ = PoolGuard.__del__

    def __copy__(self) -> NoReturn:
        raise TypeError("an AsyncPoolGuard cannot be copied: two guards would give one back")

    def __deepcopy__(self, memo: object) -> NoReturn:
        raise TypeError("an AsyncPoolGuard cannot be copied: two guards would give one back")

    def __reduce__(self) -> NoReturn:
        raise TypeError("an AsyncPoolGuard cannot be pickled: its resource belongs to this process")

    def __repr__(self) -> str:
        try:
            state = "holding a " + type(self._box[0]).__name__
        except IndexError:
            state = "released"
        return f"<AsyncPoolGuard {state}>"
