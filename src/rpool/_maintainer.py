"""The opt-in background maintainer: a daemon thread that calls `pool.maintain()` every so often.

No thread is started unless `Pool(..., maintain_every=seconds)` asks for one
(docs/design.md, "Lifecycle"). The thread holds only a weak reference to its
pool, so an unclosed pool that is garbage-collected ends it too, and it takes
no pool state of its own: it is one more caller of `maintain()`, whose steps
are atomic and exception-safe like any caller's (in the model, a sweeper
process: models/Lifecycle.tla).
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

from ._report import report

if TYPE_CHECKING:
    from ._pool import Pool

__all__ = ["Maintainer"]


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
