"""Async trace logging: each task logs its steps, and a seed replays a run."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.conformance.async_runs import ASYNC_CONFIGS, record_async


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@pytest.mark.parametrize("name", sorted(ASYNC_CONFIGS))
def test_an_async_run_is_logged_by_its_tasks_and_replays_from_its_seed(name: str) -> None:
    setup = ASYNC_CONFIGS[name]
    counts: Counter[str] = Counter()
    lines = record_async(setup, seed=3, runs=2, counts=counts)
    # Every client logged steps (and the collector its Orphans, if it dropped any).
    assert {line["p"] for line in lines} >= set(range(1, setup.setup.clients + 1))
    assert [line["line"] for line in lines if line["run"] == 1][:3] == [1, 2, 3]
    assert sum(1 for line in lines if line.get("call") == "close") >= 2  # each run closes
    # No wall-clock time, no thread: the same seed makes the same log.
    assert record_async(setup, seed=3, runs=2) == lines


def test_waiting_runs_cancel_and_time_out_parked_tasks() -> None:
    counts: Counter[str] = Counter()
    lines = record_async(ASYNC_CONFIGS["AsyncWaitingStatic"], seed=1, runs=3, counts=counts)
    assert counts["cancelled"] > 0 and counts["expired"] > 0
    assert any(line["op"] == "waiter.get" for line in lines)
