"""`FakeClock`: a time source that moves only when a test moves it.

Give it to a pool as `clock=` (the time source of lifetimes, idle times and
leak ages), then `advance()` it: resources expire, idle ones are evicted and
held guards count as leaked without the test sleeping, and in the same way
each time it runs.
"""

from __future__ import annotations

import math

__all__ = ["FakeClock"]


class FakeClock:
    """A clock that reads `now` seconds, from 0.0, until `advance()` moves it.

    Reading and advancing are each a single float load or store: a pool's
    threads may read it while a test advances it.
    """

    __slots__ = ("now",)

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock `seconds` forward.

        Raises:
            ValueError: `seconds` is negative or not finite (a monotonic clock
                never goes back).
        """
        if not 0 <= seconds < math.inf:
            raise ValueError(f"a clock advances by a finite, non-negative time, not {seconds!r}")
        self.now += seconds

    def __repr__(self) -> str:
        return f"FakeClock(now={self.now!r})"
