"""Lifecycle traces (lifecycle.py): what the runs log, in Lifecycle.tla's terms."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from tests.conformance.lifecycle import LIFECYCLE_CONFIGS, LifecycleHarness, record_lifecycle


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def test_the_first_line_is_lifecycles_initial_state() -> None:
    harness = LifecycleHarness(LIFECYCLE_CONFIGS["Lifecycle"], seed=0, calls=0)
    # Maximum 3, Initial 1: two one-unit grants, then resource 1.
    assert harness.observe() == {
        "free": [0, 0, 1],
        "alive": [1],
        "own": [[], []],
        "bound": 3,
        "debt": 0,
    }


@pytest.mark.parametrize("name", sorted(LIFECYCLE_CONFIGS))
def test_runs_log_every_lifecycle_operation_and_end_at_rest(name: str) -> None:
    # The recorder fails a run whose unlogged step changed an observed
    # variable (a missing scheduling point); these runs must also reach what
    # the trace check is for: expiry, payment of debt, both kinds of resize.
    lines = record_lifecycle(LIFECYCLE_CONFIGS[name], seed=1, runs=4)
    ops = {(line["op"], line["p"] > 10) for line in lines if isinstance(line["p"], int)}
    assert ("discarded.next", False) in ops  # an expiry (a client's discard)
    assert ("free.popleft", True) in ops  # a debt payment
    assert ("debt.extend", False) in ops  # a lowering
    assert ("free.appendleft", False) in ops  # a raise
    assert [line["op"] for line in lines].count("end") == 4
    numbers = [n for line in lines for n in line["alive"]]  # type: ignore[attr-defined]
    assert max(numbers) == len({n for n in numbers})  # numbered in creation order, never reused
