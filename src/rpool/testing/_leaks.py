"""Leak tracking: the guards, waiters and pools a piece of code leaves behind.

While a `Leaks` tracker is active, `Pool.__init__`, `Pool.get`,
`Pool.acquire` and `Pool.acquire_async` are replaced, on the class, by
versions that also register what they make: each pool with the place it was
made, each guard with the place it was taken, each call of `acquire` while
it is in flight. Leaving the tracker puts the originals back, so code that
never uses it runs the pool's own methods and pays nothing. `problems()`
then lists every guard not released, every `acquire()` still parked, and
every pool not closed, each with the file and line of the user's code that
made it. rpool's pytest plugin (src/_rpool_pytest_plugin.py) wraps this.

Holding the guards keeps them from being collected: a guard that its code
dropped without releasing it is reported, instead of being given back
behind the test's back by its finalizer.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Final, Self

from .._guard import PoolGuard
from .._pool import Pool

__all__ = ["LeakError", "Leaks"]

_RPOOL: Final = str(Path(__file__).resolve().parents[1])
_active: list[Leaks] = []
_install_lock = threading.Lock()


class LeakError(AssertionError):
    """Code under a `Leaks` tracker left guards, waiters or pools behind."""

    __module__ = "rpool.testing"


def _site() -> str:
    """The file and line of the innermost caller outside rpool."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_RPOOL):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"


class Leaks:
    """Tracks pools made and guards taken while active (`with Leaks() as leaks:`).

    One tracker may be active at a time, in any thread: it sees every pool
    of the process. `track(pool)` adds a pool made before it became active.

    Raises:
        RuntimeError: entering while another tracker is active.
    """

    __slots__ = ("_guards", "_lock", "_originals", "_pools", "_waiting")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # id() keys with the objects held, so ids are never reused meanwhile.
        self._pools: dict[int, tuple[Pool[Any, Any], str]] = {}
        self._guards: dict[int, tuple[PoolGuard[Any], str]] = {}
        self._waiting: dict[int, tuple[str, str]] = {}
        self._originals: dict[str, Any] = {}

    def track(self, pool: Pool[Any, Any], where: str | None = None) -> None:
        """Check `pool` too (one made before the tracker became active)."""
        if not isinstance(pool, Pool):
            raise TypeError(f"track() takes a Pool, not {type(pool).__name__}")
        with self._lock:
            self._pools.setdefault(id(pool), (pool, where or _site()))

    def _taken(self, guard: PoolGuard[Any] | None, site: str) -> None:
        if guard is not None:
            with self._lock:
                self._guards.setdefault(id(guard), (guard, site))

    def __enter__(self) -> Self:
        with _install_lock:
            if _active:
                raise RuntimeError("another rpool leak tracker is active")
            _active.append(self)
            self._install()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with _install_lock:
            for name, original in self._originals.items():
                setattr(Pool, name, original)
            self._originals.clear()
            _active.remove(self)

    def _install(self) -> None:
        init, get = Pool.__init__, Pool.get
        acquire, acquire_async = Pool.acquire, Pool.acquire_async
        self._originals = {
            "__init__": init,
            "get": get,
            "acquire": acquire,
            "acquire_async": acquire_async,
        }

        @functools.wraps(init)
        def tracked_init(pool: Pool[Any, Any], *args: Any, **kwargs: Any) -> None:
            init(pool, *args, **kwargs)
            self.track(pool, _site())

        @functools.wraps(get)
        def tracked_get(pool: Pool[Any, Any]) -> PoolGuard[Any] | None:
            guard = get(pool)
            self._taken(guard, _site())
            return guard

        def waits(call: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(call)
            def tracked(pool: Pool[Any, Any], *args: Any, **kwargs: Any) -> Any:
                site = _site()
                token = object()
                with self._lock:
                    self._waiting[id(token)] = (site, threading.current_thread().name)
                try:
                    guard = call(pool, *args, **kwargs)
                finally:
                    with self._lock:
                        del self._waiting[id(token)]
                self._taken(guard, site)
                return guard

            return tracked

        @functools.wraps(acquire_async)
        async def tracked_acquire_async(
            pool: Pool[Any, Any], *args: Any, **kwargs: Any
        ) -> PoolGuard[Any]:
            site = _site()
            token = object()
            with self._lock:
                self._waiting[id(token)] = (site, "a task")
            try:
                guard: PoolGuard[Any] = await acquire_async(pool, *args, **kwargs)
            finally:
                with self._lock:
                    del self._waiting[id(token)]
            self._taken(guard, site)
            return guard

        replacements: dict[str, Any] = {
            "__init__": tracked_init,
            "get": tracked_get,
            "acquire": waits(acquire),
            "acquire_async": tracked_acquire_async,
        }
        for name, replacement in replacements.items():
            setattr(Pool, name, replacement)

    def problems(self) -> list[str]:
        """What was left behind, one line each: guards, then waiters, then pools."""
        with self._lock:
            guards = list(self._guards.values())
            waiting = list(self._waiting.values())
            pools = list(self._pools.values())
        found = [
            f"guard not released: {guard!r} taken at {site}"
            for guard, site in guards
            if not guard.released
        ]
        found += [
            f"acquire() still waiting, called at {site} (thread {who})" for site, who in waiting
        ]
        found += [
            f"pool not closed: {pool!r} made at {site}" for pool, site in pools if not pool.closed
        ]
        return found

    def check(self) -> None:
        """Raise `LeakError` listing `problems()`, if there are any.

        Raises:
            LeakError: something was left behind.
        """
        found = self.problems()
        if found:
            raise LeakError(f"{len(found)} leak(s):\n  " + "\n  ".join(found))

    def release_leaked(self) -> None:
        """Give back the guards left unreleased (once reported), ignoring what that raises."""
        with self._lock:
            guards = [guard for guard, _ in self._guards.values()]
            self._guards.clear()
        for guard in guards:
            # The leak is what gets reported, not what giving back raises.
            with contextlib.suppress(Exception):
                guard.release()
