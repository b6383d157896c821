"""Both shells behind one sync face: the lifecycle, leak and resize tests run on each.

`Pool` is used as it is. An `AsyncPool` is opened on an `asyncio.Runner`'s
loop and wrapped in `Synced`, whose methods run the pool's coroutine to its
end on that loop (`get()`, `acquire()`, `maintain()`, `resize()`, `close()`,
a guard's `release()`); everything else (stats(), the state the tests read)
is the pool's own. Its resources are `AsyncRes`: tests/resources.py's `Res`
with `new`, `reset` and `close` made coroutines that first let the loop run
once, so each is a real await point. A sync `check` given to it is wrapped
in a coroutine function (an AsyncPool refuses a plain one).

Each call runs alone on the loop: these tests are about what the steps do,
the same on both shells; interleavings and cancellation are
tests/test_async_lifecycle.py's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

import pytest

from rpool import AsyncPool, AsyncPoolGuard, AutoScale, Pool, Static

from .resources import Res, Script

__all__ = ["SHELLS", "AsyncRes", "Synced", "SyncedGuard", "both_shells", "make_pool", "shell"]

SHELLS = ("Pool", "AsyncPool")

# The shell the running test asked for (`shell` fixture), and its runner.
_current: list[tuple[str, asyncio.Runner | None]] = [("Pool", None)]


class AsyncRes(Res):
    """`Res` with coroutine callbacks, each awaiting one loop iteration first."""

    @classmethod
    async def new(cls, context: Script) -> Self:  # type: ignore[override]
        await asyncio.sleep(0)
        return Res.new.__func__(cls, context)  # type: ignore[attr-defined,no-any-return]

    async def reset(self) -> bool:  # type: ignore[override]
        await asyncio.sleep(0)
        return Res.reset(self)

    async def close(self) -> None:  # type: ignore[override]
        await asyncio.sleep(0)
        Res.close(self)


class SyncedGuard:
    """An `AsyncPoolGuard` whose `release()` runs to its end on the runner's loop."""

    def __init__(self, guard: AsyncPoolGuard[Any], runner: asyncio.Runner) -> None:
        self.guard = guard
        self.runner = runner

    @property
    def resource(self) -> Any:
        return self.guard.resource

    @property
    def released(self) -> bool:
        return self.guard.released

    def release(self) -> None:
        self.runner.run(self.guard.release())

    def __enter__(self) -> Any:
        return self.guard.resource

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class Synced:
    """An `AsyncPool` driven from sync code, one call at a time, on one loop."""

    def __init__(self, pool: AsyncPool[Any, Any], runner: asyncio.Runner) -> None:
        object.__setattr__(self, "pool", pool)
        object.__setattr__(self, "runner", runner)

    def _guard(self, guard: AsyncPoolGuard[Any] | None) -> SyncedGuard | None:
        return None if guard is None else SyncedGuard(guard, self.runner)

    def get(self) -> SyncedGuard | None:
        return self._guard(self.runner.run(self.pool.get()))

    def acquire(self, timeout: float | None = None) -> SyncedGuard | None:
        async def acquire() -> AsyncPoolGuard[Any]:
            guard: AsyncPoolGuard[Any] = await self.pool.acquire(timeout)
            return guard

        return self._guard(self.runner.run(acquire()))

    def maintain(self) -> int:
        count: int = self.runner.run(self.pool.maintain())
        return count

    def resize(self, bound: int) -> None:
        self.runner.run(self.pool.resize(bound))

    def close(self) -> None:
        self.runner.run(self.pool.close())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pool, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.pool, name, value)


def make_pool(mode: Static | AutoScale, script: Script, **options: Any) -> Any:
    """A pool of the running test's shell: a `Pool` of `Res`, or a `Synced` AsyncPool."""
    name, runner = _current[-1]
    if name == "Pool":
        return Pool(Res, mode, script, **options)
    assert runner is not None
    check = options.get("check")
    if callable(check):
        options["check"] = _coroutine(check)
    pool = AsyncPool(AsyncRes, mode, script, **options)
    runner.run(pool.open())
    return Synced(pool, runner)


def _coroutine(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    async def checked(resource: Any) -> Any:
        await asyncio.sleep(0)
        return check(resource)

    return checked


@pytest.fixture
def shell(request: pytest.FixtureRequest) -> Iterator[str]:
    """The shell `make_pool` makes for this test (parametrized by `both_shells`)."""
    name = getattr(request, "param", "Pool")
    with _running(name):
        yield name


@contextmanager
def _running(name: str) -> Iterator[None]:
    if name == "Pool":
        _current.append((name, None))
        try:
            yield
        finally:
            _current.pop()
        return
    with asyncio.Runner() as runner:
        _current.append((name, runner))
        try:
            yield
        finally:
            _current.pop()


def both_shells(test: Callable[..., None]) -> Callable[..., None]:
    """Run `test` once on a `Pool` and once on an `AsyncPool` (its `make_pool` calls)."""
    test = pytest.mark.usefixtures("shell")(test)
    return pytest.mark.parametrize("shell", SHELLS, indirect=True)(test)  # type: ignore[no-any-return]
