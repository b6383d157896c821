"""rpool.testing: tools to test your own code that uses a pool.

    from rpool.testing import Faults, faulty

    pool = Pool(faulty(Connection, Faults.seeded(7, reset=0.2)), Static(count=2), settings)

- `faulty` and `Faults` (here): make a resource class's `new`, `reset`,
  `check` and `close` fail, return False or stall, as a plan decides.
- `check`, `History`, `Operation`, `Verdict` (here): the linearizability
  checker (Wing and Gong's search), for an object of yours built on a pool.
- `interleave`, `explore`, `ScheduledPool`, `Schedule` (here): run your
  own threads around pools one pool step at a time, in an order a seed,
  Hypothesis or exhaustive exploration picks, and replay a failing order.
- `rpool.testing.strategies`: Hypothesis strategies for scale modes, fault
  plans, pool configurations (lifecycle options included) and schedules.
- `rpool.testing.contract`: a Hypothesis state machine that checks your
  resource class against the contract the pool relies on.
- `FakeClock` (here): a clock a test advances, for a pool's `clock=`.
- `Leaks` (here): tracks the guards, waiting calls and pools some code leaves
  behind; rpool's pytest plugin (`_rpool_pytest_plugin`) runs it for the tests that opt in
  (marker `rpool_leaks`, fixture `rpool_leaks`, or ini `rpool_leaks = true`).
- `tla_path` (here): the directory of `RPool.tla`, the pool as a TLA+ spec
  that your own spec can INSTANCE.

Importing `rpool` does not import this package, and this package imports
neither Hypothesis nor pytest: the submodules that need them do, and both
come with the extra `pip install rpool[testing]`. See docs/testing-your-code.md.
"""

from ._choosers import ReplayDivergedError as ReplayDivergedError
from ._clock import FakeClock as FakeClock
from ._faults import Callback as Callback
from ._faults import Faults as Faults
from ._faults import InjectedFault as InjectedFault
from ._faults import Outcome as Outcome
from ._faults import faulty as faulty
from ._instrument import ScheduledPool as ScheduledPool
from ._interleave import Interleaving as Interleaving
from ._interleave import InterleavingFailure as InterleavingFailure
from ._interleave import Schedule as Schedule
from ._interleave import explore as explore
from ._interleave import interleave as interleave
from ._leaks import LeakError as LeakError
from ._leaks import Leaks as Leaks
from ._lincheck import Call as Call
from ._lincheck import History as History
from ._lincheck import Operation as Operation
from ._lincheck import Pending as Pending
from ._lincheck import Step as Step
from ._lincheck import Verdict as Verdict
from ._lincheck import check as check
from ._options import PoolOptions as PoolOptions
from ._tla import tla_path as tla_path

__all__ = [
    "Call",
    "Callback",
    "FakeClock",
    "Faults",
    "History",
    "InjectedFault",
    "Interleaving",
    "InterleavingFailure",
    "LeakError",
    "Leaks",
    "Operation",
    "Outcome",
    "Pending",
    "PoolOptions",
    "ReplayDivergedError",
    "Schedule",
    "ScheduledPool",
    "Step",
    "Verdict",
    "check",
    "explore",
    "faulty",
    "interleave",
    "tla_path",
]
