"""`AsyncPoolGuard`: the handle through which an `AsyncPool`'s resource is used and given back."""

from __future__ import annotations

from collections.abc import Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, final

from ._drive import run_async
from ._errors import raise_all
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
    # No __init__, as PoolGuard (Core._hold makes it and sets both slots).
    __slots__ = ("_box", "_pool")
    _name: ClassVar[str] = "AsyncPoolGuard"

    _pool: AsyncPool[Any, Any]
    _box: list[R]

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
            if valid is not True:
                await run_async(pool._reject(held, valid))
            elif pool._lifecycle is not None:
                # Model: CheckExpired (a pool with max_lifetime), then as below.
                await run_async(pool._keep(held))
            else:
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

    def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Coroutine[Any, Any, None]:
        # release()'s own coroutine, for `async with` to await, as
        # `Acquiring.__aexit__` does: no frame of ours in between. Should an
        # exception land before it is awaited, the guard is finalized
        # holding the resource, which goes to the orphans.
        return self.release()

    # What does not depend on how the resource is given back is PoolGuard's,
    # the same functions, not a base class: a base would lengthen the chain
    # of classes every PoolGuard's deallocation walks (11 to 15 instructions
    # more per get() + release on 3.11, tests/benchmarks/instructions.py).
    # They read `_box`, `_pool` and `_name`, which this class has as
    # PoolGuard has them. The finalizer is one C-level Orphan step and a
    # ring: no user code, no await, safe wherever the collector runs it.
    if TYPE_CHECKING:  # the properties' types, for AsyncPoolGuard[R]

        @property
        def resource(self) -> R: ...
        @property
        def released(self) -> bool: ...
    else:
        resource = PoolGuard.resource
        released = PoolGuard.released
    __del__ = PoolGuard.__del__
    __copy__ = PoolGuard.__copy__
    __deepcopy__ = PoolGuard.__deepcopy__
    __reduce__ = PoolGuard.__reduce__
    __repr__ = PoolGuard.__repr__
