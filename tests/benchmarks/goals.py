"""The performance goals of issues 6 and 10, each checked against one run's results.

Every goal is a ratio between figures of the same run (see summary.ratio), so
it means the same on a fast machine as on a slow, loaded one. A goal whose
subject was left out of the run (its package is not installed) is not
checked; the two goals of issue 10, on scaling from 1 to 2 threads, are
checked on the free-threaded build only, where threads can run at once.
Issue 11's goals, on waiting for a resource, are checked in waiting.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from .scenarios import Results
from .summary import ratio

__all__ = ["Goal", "check_goals"]

RPOOL = "rpool"
FLOOR = "deque floor"
LOCK = "Lock + list"
LIFO = "queue.LifoQueue"
SQLALCHEMY = "SQLAlchemy QueuePool"


@dataclass(frozen=True, slots=True)
class Goal:
    """One goal: what is compared, the measured ratio, and the bound it must keep."""

    text: str
    measured: float
    bound: float
    at_most: bool
    """True: the measured ratio must not exceed `bound`; False: not fall below it."""

    @property
    def met(self) -> bool:
        return self.measured <= self.bound if self.at_most else self.measured >= self.bound


def check_goals(results: Results, free_threaded: bool = False) -> list[Goal]:
    """Every goal whose figures `results` holds (issue 10's only if `free_threaded`)."""
    trip = results["round trip"]
    goals = [
        Goal("get()+release() ÷ floor round trip", ratio(trip[RPOOL], trip[FLOOR]), 8, True),
        Goal("with ÷ floor round trip", ratio(results["with"][RPOOL], trip[FLOOR]), 12, True),
        Goal("Lock + list round trip ÷ rpool's", ratio(trip[LOCK], trip[RPOOL]), 1, False),
        Goal("LifoQueue round trip ÷ rpool's", ratio(trip[LIFO], trip[RPOOL]), 5, False),
    ]
    if SQLALCHEMY in trip:
        goals.append(
            Goal("QueuePool round trip ÷ rpool's", ratio(trip[SQLALCHEMY], trip[RPOOL]), 20, False)
        )
    goals += [
        Goal(
            "exhausted get() ÷ floor round trip",
            ratio(results["exhausted"][RPOOL], trip[FLOOR]),
            4,
            True,
        ),
    ]
    eight, one = results["threads=8"], results["threads=1"]
    stuck, free = results["stall: one stuck"], results["stall: none"]
    goals += [
        Goal("8 threads ÷ 1 thread (throughput)", ratio(eight[RPOOL], one[RPOOL]), 0.8, False),
        Goal(
            "8 threads: rpool ÷ Lock + list (throughput)",
            ratio(eight[RPOOL], eight[LOCK]),
            1.5,
            False,
        ),
        Goal("others with a stuck thread ÷ without", ratio(stuck[RPOOL], free[RPOOL]), 0.9, False),
    ]
    if free_threaded and "threads=2" in results:
        two = results["threads=2"]
        goals += [
            Goal("2 threads ÷ 1 thread (throughput)", ratio(two[RPOOL], one[RPOOL]), 1.5, False),
            Goal(
                "2 threads: rpool ÷ Lock + list (throughput)",
                ratio(two[RPOOL], two[LOCK]),
                2,
                False,
            ),
        ]
    return goals
