"""rpool.testing: tools to test your own code that uses a pool.

    from rpool.testing import Faults, faulty

    pool = Pool(faulty(Connection, Faults.seeded(7, reset=0.2)), Static(count=2), settings)

- `faulty` and `Faults` (here): make a resource class's `new`, `reset`,
  `check` and `close` fail, return False or stall, as a plan decides.
- `check`, `History`, `Operation`, `Verdict` (here): the linearizability
  checker, for an object of yours built on a pool.
- `rpool.testing.strategies`: Hypothesis strategies for scale modes, fault
  plans and pool configurations.
- `rpool.testing.contract`: a Hypothesis state machine that checks your
  resource class against the contract the pool relies on.
- `rpool.testing.pytest_plugin`: leak checks (unreleased guards, parked
  waiters, unclosed pools), loaded by pytest and opted into per test.

Importing `rpool` does not import this package, and this package imports
neither Hypothesis nor pytest: the submodules that need them do, and both
come with the extra `pip install rpool[testing]`. See docs/testing-your-code.md.
"""

from ._faults import Callback as Callback
from ._faults import Faults as Faults
from ._faults import InjectedFault as InjectedFault
from ._faults import Outcome as Outcome
from ._faults import faulty as faulty

__all__ = ["Callback", "Faults", "InjectedFault", "Outcome", "faulty"]
