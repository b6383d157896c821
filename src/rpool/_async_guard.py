"""`AsyncPoolGuard`: the handle through which an `AsyncPool`'s resource is used and given back."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar, final

from ._drive import run_async
from ._errors import GuardReleasedError
from ._guard import PoolGuard

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
        # Claim (as PoolGuard.release), then the core's steps after it,
        # `Core._give_back`, awaited. `held` and its handler follow
        # design.md's "Exception safety".
        pool = self._pool
        held: list[Any] | None = None
        try:
            try:
                held = [self._box.pop()]  # Model: Claim.
            except IndexError:  # released already
                return
            await run_async(pool._give_back(held))
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
