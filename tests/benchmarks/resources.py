"""The pooled resource every subject hands out: a connection that does nothing.

Its callbacks cost as little as Python allows, so a benchmark measures the pool
and not the resource. `StallingConnection` is the same resource whose reset
(and SQLAlchemy's equivalent, `rollback`) takes 1 ms on one chosen thread.
"""

from __future__ import annotations

import threading
import time
from typing import ClassVar, Self

__all__ = ["STALL_SECONDS", "FakeConnection", "StallingConnection"]

#: How long a reset takes on the stuck thread of the stall scenario.
STALL_SECONDS = 0.001


class FakeConnection:
    """A resource with the shape of a database connection and no work in it.

    `reset` is rpool's callback, `rollback` SQLAlchemy's; both accept the
    connection for reuse.
    """

    __slots__ = ()

    @classmethod
    def new(cls, context: None, /) -> Self:
        return cls()

    def reset(self) -> bool:
        return True

    def rollback(self) -> None:
        return None

    def close(self) -> None:
        return None


class StallingConnection(FakeConnection):
    """A `FakeConnection` whose reset sleeps `STALL_SECONDS` on `stuck_thread`.

    Every thread pays the identity check, so a run with and a run without a
    stuck thread differ only by the stuck thread itself. `time.sleep` releases
    the GIL, as a reset that waits for a server would.
    """

    __slots__ = ()

    #: `threading.get_ident()` of the thread whose resets stall; None: none do.
    stuck_thread: ClassVar[int | None] = None

    def reset(self) -> bool:
        if threading.get_ident() == StallingConnection.stuck_thread:
            time.sleep(STALL_SECONDS)
        return True

    def rollback(self) -> None:
        self.reset()
