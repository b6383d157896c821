"""A deterministic scheduler for real threads: one atomic step at a time.

`Scheduler` runs threads one at a time, switching only at scheduling points;
`choosers` decide the order (replay, random, PCT, Hypothesis-drawn);
`explore.bounded_schedules` enumerates all schedules up to a preemption bound;
`instrument.ScheduledPool` is a pool whose steps are scheduling points, and
whose waiters park at a point where the scheduler decides between a ring and
a timeout.
See docs/testing.md.
"""

from .scheduler import Chooser as Chooser
from .scheduler import Run as Run
from .scheduler import Scheduler as Scheduler
from .scheduler import Step as Step
from .scheduler import point as point
from .scheduler import quiet as quiet

__all__ = ["Chooser", "Run", "Scheduler", "Step", "point", "quiet"]
