"""The opt-in background maintainer, which calls `pool.maintain()` every so often.

A `Pool`'s is a daemon thread (`Maintainer`); an `AsyncPool`'s is a task on
the pool's event loop (`TaskMaintainer`), which awaits `maintain()` there.
Neither is started unless the pool is made with `maintain_every=seconds`
(docs/design.md, "Lifecycle"). Each holds only a weak reference to its
pool, so an unclosed pool that is garbage-collected ends it too, and it takes
no pool state of its own: it is one more caller of `maintain()`, whose steps
are atomic and exception-safe like any caller's (in the model, a sweeper
process: models/Lifecycle.tla).
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import TYPE_CHECKING, Any

from ._report import report

if TYPE_CHECKING:
    from ._async_pool import AsyncPool
    from ._pool import Pool

__all__ = ["Maintainer", "TaskMaintainer"]


class Maintainer:
    """A pool's maintainer thread and the event that stops it."""

    __slots__ = ("every", "stopping", "thread")

    def __init__(self, every: float) -> None:
        self.every = every
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, pool: Pool[Any, Any]) -> None:
        """Start the thread, once the pool is fully made.

        Raises:
            RuntimeError: the interpreter cannot start a thread.
        """
        self.thread = threading.Thread(
            target=_run,
            args=(weakref.ref(pool), self.stopping, self.every),
            name=f"rpool maintainer of {pool!r}",
            daemon=True,
        )
        self.thread.start()

    def stop(self) -> None:
        """Ask the thread to end; it does after the `maintain()` in progress, if any.

        Does not wait for it: `close()` must not block on a resource's slow
        `close()` that the maintainer may be calling, and may be called from
        the maintainer's own thread (by a resource's `close()`, say).
        """
        self.stopping.set()


def _run(ref: weakref.ref[Pool[Any, Any]], stopping: threading.Event, every: float) -> None:
    """The thread: every `every` seconds, `maintain()` the pool while it is alive and open.

    An Exception from `maintain()` (which already reports a resource's failing
    `close()` itself) is reported as a RuntimeWarning and the thread goes on;
    anything else ends the thread.
    """
    while not stopping.wait(every):
        pool = ref()
        if pool is None or pool.closed:
            return
        try:
            pool.maintain()
        except Exception as error:
            report(f"the pool's maintainer: maintain() raised {error!r}", RuntimeWarning)
        del pool  # no strong reference while waiting


class TaskMaintainer:
    """An `AsyncPool`'s maintainer: a task on the pool's loop, cancelled by `close()`.

    Started by `AsyncPool.open()` (a task needs the running loop). `stop()`
    cancels it while it sleeps; while it awaits a `maintain()` (a resource's
    `close()`, say) it is not cancelled there, which would cut that close()
    short, but ends once that `maintain()` returns.
    """

    __slots__ = ("busy", "every", "stopping", "task")

    def __init__(self, every: float) -> None:
        self.every = every
        self.task: asyncio.Task[None] | None = None
        self.busy = False
        self.stopping = False

    def start(self, pool: AsyncPool[Any, Any]) -> None:
        """Start the task on the running loop (the pool's, which `open()` is on)."""
        self.task = asyncio.get_running_loop().create_task(
            self._run(weakref.ref(pool)), name=f"rpool maintainer of {pool!r}"
        )

    def stop(self) -> None:
        """End the task: cancelled now if it sleeps, else once its `maintain()` returns.

        Does not wait for it (`close()` may be called from a resource's
        close() that the maintainer's own `maintain()` awaits).
        """
        self.stopping = True
        if self.task is not None and not self.busy:
            self.task.cancel()

    async def _run(self, ref: weakref.ref[AsyncPool[Any, Any]]) -> None:
        """Every `every` seconds, await `maintain()` while the pool is alive and open.

        As the thread's: an Exception from `maintain()` is reported as a
        RuntimeWarning and the task goes on; anything else ends it.
        """
        while not self.stopping:
            await asyncio.sleep(self.every)
            pool = ref()
            if pool is None or pool.closed:
                return
            self.busy = True
            try:
                await pool.maintain()
            except Exception as error:
                report(f"the pool's maintainer: maintain() raised {error!r}", RuntimeWarning)
            finally:
                self.busy = False
            del pool  # no strong reference while waiting
