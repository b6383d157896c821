"""rpool's deterministic scheduler, as its own tests use it.

The scheduler is shipped in `rpool.testing` (`_scheduler.py`, `_choosers.py`,
`_explore.py`, `_instrument.py`), where users' interleaving tests run on it
too; these modules re-export it under the names rpool's tests import, and
add what only those tests need (`instrument.ScheduledPool(waiting=False)`,
`seam_cost.py`). See docs/testing.md.
"""

from rpool.testing._scheduler import Chooser as Chooser
from rpool.testing._scheduler import Run as Run
from rpool.testing._scheduler import Scheduler as Scheduler
from rpool.testing._scheduler import Step as Step
from rpool.testing._scheduler import point as point
from rpool.testing._scheduler import quiet as quiet

__all__ = ["Chooser", "Run", "Scheduler", "Step", "point", "quiet"]
