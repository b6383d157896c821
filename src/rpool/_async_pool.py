"""`AsyncPool`: a pool of async resources for asyncio; the async shell of the core.

Every step is `Core`'s (`_core.py`), shared with `Pool`; this shell awaits
the user's `new()`, `reset()` and `close()` (`_drive.run_async`) where `Pool`
calls them, and parks a waiting task on a future of its loop
(`_acquire.wait_async`). docs/design.md, "One core, two shells".
"""

from __future__ import annotations

import asyncio
from asyncio import get_running_loop
from collections.abc import Coroutine, Generator
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar, final, overload

from ._acquire import wait_async
from ._async_guard import AsyncPoolGuard
from ._core import SLOTS, Core, check_arguments
from ._drive import run_async
from ._errors import PoolClosedError
from ._poolable import AsyncFactory, AsyncPoolable
from ._scale import ScaleMode
from ._waiters import seconds

__all__ = ["AsyncPool"]

C = TypeVar("C")
R = TypeVar("R", bound=AsyncPoolable[Any])

_new_guard = object.__new__

# Pool's keyword options that AsyncPool does not take yet: each is refused
# with a TypeError that says so (they are sync-only in _lifecycle.py and
# _leaks.py today).
_NOT_YET = (
    "max_lifetime",
    "lifetime_jitter",
    "max_idle",
    "clock",
    "check",
    "recheck_after",
    "maintain_every",
    "leak_threshold",
)


async def _no_close() -> None:
    """The close() of a resource that has none."""


async def _nothing() -> None:
    """What `Acquiring.__aexit__` gives to await when it holds no guard (entered twice, say)."""


@final
class AsyncPool(Core[R], Generic[C, R]):
    """A pool of async resources of type R (`AsyncPoolable[C]`), for one asyncio event loop.

    The same algorithm and guarantees as `Pool`: `get()` never waits for
    other callers (it awaits only this call's own `new()` or an orphan's
    `reset()`), `acquire()` waits its turn, FIFO, with a timeout, and a
    task cancelled at any `await` (inside `new()`, inside `reset()`, while
    waiting, at the moment it is handed a resource) loses nothing: what it
    held goes back to the pool, and the capacity bound and the accounting
    hold. The pool belongs to the event loop that opened it; a call from
    another loop raises RuntimeError at once.

    Open it with `async with AsyncPool(...) as pool:` or `await pool.open()`:
    that creates the initial resources (`Static.count`, `AutoScale.initial`).

    Args:
        resource: the resource class (anything whose `new(context)` returns
            an awaitable R).
        mode: `Static(count)` or `AutoScale(initial, maximum, chunk_size)`.
        context: passed to every `new()`; never changed by the pool.

    Raises:
        TypeError: `mode` is not a `Static` or `AutoScale`, `resource` has no
            callable `new`, or a keyword option of `Pool` was given that
            AsyncPool does not support yet (lifecycle and leak detection).
    """

    __slots__ = (*SLOTS, "_initial", "_loop")

    _guard_type: ClassVar[type[Any]] = AsyncPoolGuard
    _no_close: ClassVar[staticmethod[[], Any]] = staticmethod(_no_close)

    @overload
    def __init__(
        self: AsyncPool[None, R], resource: AsyncFactory[None, R], mode: ScaleMode
    ) -> None: ...
    @overload
    def __init__(self, resource: AsyncFactory[C, R], mode: ScaleMode, context: C) -> None: ...
    def __init__(
        self, resource: AsyncFactory[Any, R], mode: ScaleMode, context: Any = None, **options: Any
    ) -> None:
        check_arguments(resource, mode)
        given = sorted(options)
        if given:
            known = [name for name in given if name in _NOT_YET]
            if known:
                raise TypeError(
                    f"AsyncPool does not support {', '.join(known)} yet (Pool does); "
                    "see the README's AsyncPool section"
                )
            raise TypeError(f"AsyncPool() got an unexpected keyword argument {given[0]!r}")
        self._lifecycle = None
        self._watch = None
        self._initial = self._setup(resource, mode, context)
        self._loop: asyncio.AbstractEventLoop | None = None

    async def open(self) -> None:
        """Create the initial resources and bind the pool to the running event loop.

        Idempotent. `async with pool:` calls it.

        Raises:
            RuntimeError: the pool is bound to another event loop.
            PoolClosedError: the pool is closed.
            BaseException: whatever a `new()` raised; the resources made
                before it are closed, and the pool is closed (its initial
                capacity was never made).
        """
        if self._loop is not None:
            self._own_loop()
            return
        if self._closed:
            raise PoolClosedError("open() on a closed pool")
        self._loop = asyncio.get_running_loop()
        try:
            await run_async(self._fill(self._initial))
        except BaseException:
            self._closed = True
            raise

    @property
    def context(self) -> C:
        """The context passed to every `new()`."""
        return self._context  # type: ignore[no-any-return]

    async def get(self) -> AsyncPoolGuard[R] | None:
        """Take an idle resource, or create one, or return None. Never waits for other callers.

        As `Pool.get()`: reuses the most recently returned resource first;
        with none idle it awaits a `new()` if the mode allows (growing by a
        chunk under AutoScale); None only when at that instant no resource
        is idle and the capacity is all taken.

        Raises:
            PoolClosedError: the pool is closed.
            RuntimeError: the pool is not open, or belongs to another loop.
            BaseException: whatever `new()` raised, or a cancellation: what
                the call had taken goes back to the pool first.
        """
        # The core's `_get()` steps inlined, as in `Pool.get()` (the same
        # reads, in the same order, so that the model's steps are taken
        # here as there), awaited through the driver only where the user's
        # code runs (a growth's `new()`, an orphan's `reset()`) or where a
        # waiter is owed the item. An uncontended hit runs no generator and
        # awaits nothing.
        if get_running_loop() is not self._loop:
            self._own_loop()  # raises, saying which mistake it is
        # Model: CheckClosed (see Pool.get).
        if self._closed:
            raise PoolClosedError("get() on a closed pool")
        free = self._free
        if free:  # Model: TakeFree (the len() read, then the pop).
            # `held` and its handler follow design.md's "Exception safety".
            held: list[Any] | None = None
            try:
                try:
                    held = [item := free.pop()]
                except IndexError:  # emptied since the len() read: a miss after all
                    pass
                else:
                    # Model: CheckWaiters, after the pop (see Pool.get).
                    if self._waiters and await run_async(self._yield(held)):  # type: ignore[arg-type]
                        return None
                    if type(item) is int:
                        return await run_async(self._grow(held))
                    guard = _new_guard(AsyncPoolGuard)  # __init__ inlined
                    guard._pool = self
                    guard._box = held
                    return guard
            except BaseException:
                if held:  # Model: Recover.
                    orphans = self._orphans
                    orphans += held
                    held.clear()
                raise
        # Core._get_slow(), inlined for the common miss, as in Pool.get: the
        # same reads in the same order (CheckClosed, then the orphans).
        if self._closed or self._orphans or self._maximum is None:
            return await run_async(self._get_slow())
        next(self._misses)  # Model: Miss.
        return None

    def acquire(self, timeout: float | None = None) -> Acquiring[R]:
        """Take a resource, waiting up to `timeout` seconds for one; FIFO among waiters.

        Use as `async with pool.acquire(timeout=5.0) as resource:` (released
        at the end of the block), or `guard = await pool.acquire(5.0)`. As
        `Pool.acquire()`: first does what `get()` does; then the task joins
        the waiter queue and parks on a future of its loop. `timeout=None`
        waits until served or until the pool closes; `timeout <= 0` tries
        once.

        Raises (when awaited or entered):
            PoolTimeout: nothing came this task's way within `timeout`.
            PoolClosedError: the pool is closed, or was closed while waiting.
            TypeError: `timeout` is not None or a number of seconds.
            ValueError: `timeout` is NaN.
            RuntimeError: the pool is not open, or belongs to another loop.
            asyncio.CancelledError: the task was cancelled; it left the queue
                and lost nothing.
        """
        if timeout is not None and (type(timeout) is not float or timeout != timeout):
            timeout = seconds(timeout)
        return Acquiring(self, timeout)

    async def _acquire(self, timeout: float | None) -> AsyncPoolGuard[R]:
        guard = await self.get()
        if guard is not None:
            return guard
        return await wait_async(self, timeout)  # type: ignore[no-any-return]

    async def close(self) -> None:
        """Close the pool: discard the idle resources (awaiting their `close()`); later calls raise.

        As `Pool.close()`: idempotent; resources in use are discarded when
        given back; waiting tasks wake at once with `PoolClosedError`. May
        be called from the pool's loop only (or before it was opened).

        Raises:
            ExceptionGroup: one or more resources' `close()` raised; every
                resource was discarded all the same.
            BaseException: as `Pool.close()`.
        """
        if self._loop is not None:
            self._own_loop()
        await run_async(self._close())

    def _own_loop(self) -> None:
        """Raise unless called from the loop this pool belongs to.

        Raises:
            RuntimeError: no running loop, the pool is not open, or it
                belongs to another event loop (an asyncio pool's futures and
                resources are bound to one loop; psycopg #737).
        """
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            if self._loop is None:
                raise RuntimeError(
                    "the AsyncPool is not open: use `async with AsyncPool(...) as pool` "
                    "or `await pool.open()` first"
                )
            raise RuntimeError(
                "this AsyncPool belongs to another event loop; make one pool per loop"
            )

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        name = getattr(self._factory, "__name__", type(self._factory).__name__)
        state = " closed" if self._closed else ""
        return f"<AsyncPool of {name}{state}: {self._mode!r}>"


@final
class Acquiring(Coroutine[Any, Any, "AsyncPoolGuard[R]"]):
    """What `AsyncPool.acquire()` returns: a coroutine for a guard, and an async context manager.

    `await pool.acquire()` (or `asyncio.create_task(pool.acquire())`) gives
    the guard; `async with pool.acquire() as resource:` gives the resource
    and releases it at the end of the block. Either way the waiting is
    `AsyncPool._acquire`, made on first use.
    """

    __slots__ = ("_guard", "_pool", "_steps", "_timeout")

    def __init__(self, pool: AsyncPool[Any, R], timeout: float | None) -> None:
        self._pool = pool
        self._timeout = timeout
        self._guard: AsyncPoolGuard[R] | None = None
        self._steps: Coroutine[Any, Any, AsyncPoolGuard[R]] | None = None

    def _coroutine(self) -> Coroutine[Any, Any, AsyncPoolGuard[R]]:
        if self._steps is None:
            self._steps = self._pool._acquire(self._timeout)
        return self._steps

    def __await__(self) -> Generator[Any, None, AsyncPoolGuard[R]]:
        return self._coroutine().__await__()

    def send(self, value: Any, /) -> Any:
        return self._coroutine().send(value)

    def throw(self, *error: Any) -> Any:
        return self._coroutine().throw(*error)

    def close(self) -> None:
        if self._steps is not None:
            self._steps.close()

    async def __aenter__(self) -> R:
        if self._steps is None:
            # AsyncPool._acquire, inlined: one coroutine less on `async with`.
            pool = self._pool
            guard = await pool.get() or await wait_async(pool, self._timeout)
        else:
            guard = await self._steps
        self._guard = guard
        return guard._box[0]

    def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Coroutine[Any, Any, None]:
        # The release's own coroutine, for `async with` to await: no frame of
        # ours in between (about 6% of an `async with` round trip). Should an
        # exception land before it is awaited, the guard it holds is
        # finalized holding the resource, which goes to the orphans.
        guard, self._guard = self._guard, None
        return _nothing() if guard is None else guard.release()
