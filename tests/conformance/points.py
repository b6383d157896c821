"""Scheduling points the scheduler's `ScheduledPool` does not place (yet), added for tracing.

`Pool._drain` pops the free list from the left (`popleft`, Model:
DrainFree); without a point there, a whole drain would run inside the step
before it, and its log line would show several model steps at once (TLC
rejects that, rightly, but naming the wrong cause). The point is added here
only if tests/scheduler has not added it itself, so that no operation ever
has two.
"""

from __future__ import annotations

from typing import Any, TypeVar

from rpool._poolable import Poolable
from tests.scheduler import point
from tests.scheduler.instrument import ScheduledDeque, ScheduledPool

__all__ = ["TracedDeque", "TracedPool"]

C = TypeVar("C")
R = TypeVar("R", bound=Poolable[Any])


class TracedDeque(ScheduledDeque):
    """A `ScheduledDeque` with a point before `popleft` too."""

    if "popleft" not in ScheduledDeque.__dict__:

        def popleft(self) -> Any:
            point("DrainFree", f"{self.role}.popleft")
            return super().popleft()


# mypy follows Pool's @final through ScheduledPool, the test seam it is.
class TracedPool(ScheduledPool[C, R]):  # type: ignore[misc]
    """A `ScheduledPool` whose deques are `TracedDeque`s."""

    _deque_type = TracedDeque
