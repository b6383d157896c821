"""The public surface of rpool.testing: exactly these names, each defined once."""

from __future__ import annotations

from types import ModuleType

import rpool.testing
from rpool.testing import contract, strategies

SURFACE: dict[ModuleType, set[str]] = {
    rpool.testing: {
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
    },
    strategies: {
        "LifecycleConfig",
        "PoolConfig",
        "fault_plans",
        "lifecycle_configs",
        "pool_configs",
        "scale_modes",
        "schedule_choices",
    },
    contract: {"ContractViolation", "contract_machine"},
}


def test_each_module_exports_exactly_its_names() -> None:
    for module, names in SURFACE.items():
        assert set(module.__all__) == names, module.__name__
        assert len(module.__all__) == len(names), module.__name__
        for name in names:
            assert hasattr(module, name), (module.__name__, name)


def test_errors_are_named_from_where_users_import_them() -> None:
    assert rpool.testing.InjectedFault.__module__ == "rpool.testing"
    assert rpool.testing.LeakError.__module__ == "rpool.testing"
    assert rpool.testing.InterleavingFailure.__module__ == "rpool.testing"
    assert rpool.testing.ReplayDivergedError.__module__ == "rpool.testing"
    assert contract.ContractViolation.__module__ == "rpool.testing.contract"
    # A leak or a broken contract fails a test as an assertion does.
    assert issubclass(rpool.testing.LeakError, AssertionError)
    assert issubclass(contract.ContractViolation, AssertionError)
    assert issubclass(rpool.testing.InterleavingFailure, AssertionError)
    assert issubclass(rpool.testing.InjectedFault, Exception)
