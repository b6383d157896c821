"""Leak detection (src/rpool/_leaks.py): one report per guard held too long, and its late return.

Time is the watch's clock, replaced by a list the test advances: nothing
sleeps. Reports are read from the "rpool" logger (pytest's caplog).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import os
import threading
from collections import Counter
from typing import Any

import pytest

from rpool import AutoScale, Pool, PoolGuard, Static
from rpool._leaks import AsyncWatchedGuard, WatchedGuard, scan
from tests.resources import Res, Script
from tests.shells import both_shells, make_pool, shell  # noqa: F401  (the fixture both_shells uses)
from tests.test_fork import in_child

LEAK = "longer than leak_threshold"
LATE = "was released after"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def watched(mode: Static | AutoScale, threshold: float = 5.0) -> tuple[Pool[Script, Res], Clock]:
    """A watched pool of the test's shell (tests/shells.py), its watch on a clock the test moves."""
    pool = make_pool(mode, Script(), leak_threshold=threshold)
    clock = Clock()
    assert pool._watch is not None
    pool._watch.clock = clock
    return pool, clock


def messages(caplog: pytest.LogCaptureFixture, kind: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "rpool" and kind in r.getMessage()]


@pytest.fixture(autouse=True)
def _capture(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="rpool")


@both_shells
@pytest.mark.parametrize("bad", ["5", True, [5], None.__class__])
def test_a_threshold_that_is_not_a_number_is_a_type_error(bad: Any) -> None:
    with pytest.raises(TypeError, match="leak_threshold must be a number of seconds"):
        make_pool(Static(count=1), Script(), leak_threshold=bad)


@both_shells
@pytest.mark.parametrize(
    "bad", [0, -1, 0.0, math.nan, math.inf, pytest.param(10**400, id="10**400")]
)
def test_a_threshold_that_is_not_positive_and_finite_is_a_value_error(bad: float) -> None:
    with pytest.raises(ValueError, match="leak_threshold must be positive and finite"):
        make_pool(Static(count=1), Script(), leak_threshold=bad)


def test_without_a_threshold_the_pool_runs_its_own_code(caplog: pytest.LogCaptureFixture) -> None:
    pool = Pool(Res, Static(count=1), Script())
    assert type(pool) is Pool and pool._watch is None
    guard = pool.get()
    assert type(guard) is PoolGuard
    assert pool.stats().leaks == 0
    assert caplog.records == []


@both_shells
def test_a_guard_held_too_long_is_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    pool, clock = watched(Static(count=3))
    held = pool.get()  # the leak: this line is named in the report
    assert type(getattr(held, "guard", held)) in (WatchedGuard, AsyncWatchedGuard)
    clock.now += 4.9
    for _ in range(5):
        with pool.acquire(timeout=0):
            pass
    assert messages(caplog, LEAK) == [], "not before the threshold"
    clock.now += 0.2
    for _ in range(10):
        with pool.acquire(timeout=0):
            pass
    scan(pool, clock.now)
    (report,) = messages(caplog, LEAK)
    assert "thread 'MainThread'" in report
    assert "test_leaks.py" in report and "test_a_guard_held_too_long_is_reported_once" in report
    assert "held = pool.get()  # the leak" in report
    assert "5.100 s" in report and "leak_threshold=5 s" in report
    asynchronous = type(getattr(held, "guard", held)) is AsyncWatchedGuard
    guard_kind = "an AsyncPoolGuard" if asynchronous else "a PoolGuard"
    assert report.startswith(f"{guard_kind} of ")
    assert (", task 'Task-" in report) is asynchronous  # the task it was handed to
    assert pool.stats().leaks == 1


@both_shells
def test_a_late_return_is_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    pool, clock = watched(Static(count=2))
    held = pool.get()
    assert held is not None
    clock.now += 6
    scan(pool, clock.now)
    clock.now += 1
    held.release()
    held.release()  # a second release gives nothing back and tells nothing
    (late,) = messages(caplog, LATE)
    assert "after 7.000 s" in late and "thread 'MainThread'" in late
    assert len(messages(caplog, LEAK)) == 1
    assert pool.stats().leaks == 1


@both_shells
def test_a_guard_returned_in_time_is_never_reported(caplog: pytest.LogCaptureFixture) -> None:
    pool, clock = watched(AutoScale(maximum=4))
    guards = [pool.get() for _ in range(4)]
    clock.now += 4
    for guard in guards:
        assert guard is not None
        guard.release()
    clock.now += 100
    for _ in range(10):
        with pool.acquire(timeout=0):
            pass
    scan(pool, clock.now)
    assert caplog.records == []
    assert pool.stats().leaks == 0
    assert len(pool._watch.records) <= 1  # type: ignore[union-attr]  # released ones are dropped


@both_shells
def test_each_hand_out_looks_at_two_records_and_a_scan_at_all(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool, clock = watched(AutoScale(maximum=20))
    held = [pool.get() for _ in range(10)]
    clock.now += 10
    pool.get()
    assert len(messages(caplog, LEAK)) == 2, "a hand-out's scan is bounded"
    scan(pool, clock.now)
    assert len(messages(caplog, LEAK)) == 11 - 1, "all but the newest, which is in time"
    assert pool.stats().leaks == 10
    assert all(guard is not None for guard in held)


def test_the_report_names_the_thread_that_acquired(caplog: pytest.LogCaptureFixture) -> None:
    pool, clock = watched(Static(count=1))
    taken: list[PoolGuard[Res]] = []
    worker = threading.Thread(target=lambda: taken.append(pool.acquire(timeout=0)), name="worker-7")
    worker.start()
    worker.join()
    clock.now += 6
    scan(pool, clock.now)
    (report,) = messages(caplog, LEAK)
    assert "thread 'worker-7'" in report and "<lambda>" in report


def test_a_waiter_served_by_a_release_is_watched(caplog: pytest.LogCaptureFixture) -> None:
    pool, clock = watched(Static(count=1))
    first = pool.get()
    assert first is not None
    served: list[PoolGuard[Res]] = []
    waiter = threading.Thread(target=lambda: served.append(pool.acquire(timeout=10)), name="waiter")
    waiter.start()
    while pool.stats().waiting == 0:
        threading.Event().wait(0.001)
    first.release()
    waiter.join(10)
    assert type(served[0]) is WatchedGuard
    clock.now += 6
    scan(pool, clock.now)
    (report,) = messages(caplog, LEAK)
    assert "thread 'waiter'" in report


def test_acquire_async_is_watched(caplog: pytest.LogCaptureFixture) -> None:
    pool, clock = watched(Static(count=1))
    guard = asyncio.run(pool.acquire_async(timeout=0))
    assert type(guard) is WatchedGuard
    clock.now += 6
    scan(pool, clock.now)
    assert len(messages(caplog, LEAK)) == 1


def test_a_collected_guards_warning_says_where_it_was_acquired() -> None:
    pool, _ = watched(Static(count=1))
    guard = pool.get()  # acquired here
    assert guard is not None
    del guard
    gc.collect()
    with pytest.warns(ResourceWarning, match="acquired by thread 'MainThread'") as caught:
        again = pool.get()
    assert again is not None
    assert "guard = pool.get()  # acquired here" in str(caught[0].message)
    assert pool._watch is not None and pool._watch.collected == {}


def test_a_collected_guard_of_an_unwatched_pool_says_nothing_more() -> None:
    pool = Pool(Res, Static(count=1), Script())
    guard = pool.get()
    del guard
    gc.collect()
    with pytest.warns(ResourceWarning) as caught:
        pool.get()
    assert "acquired" not in str(caught[0].message)


def test_reports_stay_exact_when_releases_race_scans(caplog: pytest.LogCaptureFixture) -> None:
    """Many guards out past the threshold, released by threads while others scan (as maintain())."""
    pool, clock = watched(AutoScale(maximum=400), threshold=1.0)
    guards = [pool.get() for _ in range(400)]
    clock.now += 2
    start = threading.Barrier(4)

    def release(part: list[Any]) -> None:
        start.wait()
        for guard in part:
            guard.release()
            guard.release()

    def look() -> None:
        start.wait()
        for _ in range(50):
            scan(pool, clock.now)

    threads = [threading.Thread(target=release, args=(guards[i::2],)) for i in range(2)]
    threads += [threading.Thread(target=look) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    scan(pool, clock.now)
    leaks, late = messages(caplog, LEAK), messages(caplog, LATE)
    watched_guards = [guard for guard in guards if isinstance(guard, WatchedGuard)]
    assert len(watched_guards) == 400
    orders = Counter(tuple(guard._record.events) for guard in watched_guards)
    assert set(orders) <= {("returned",), ("reported", "returned"), ("returned", "reported")}
    first_reported = orders[("reported", "returned")]
    assert len(leaks) == first_reported == pool.stats().leaks
    assert len(late) == first_reported, "each late return follows its own report, once"
    assert pool.stats().in_use == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork() here")
def test_a_forked_child_watches_only_its_own_guards() -> None:
    pool, clock = watched(Static(count=2))
    held = pool.get()
    clock.now += 6
    scan(pool, clock.now)
    assert pool.stats().leaks == 1

    def child() -> list[int]:
        start = pool.stats().leaks
        mine = pool.get()
        clock.now += 6
        scan(pool, clock.now)
        assert mine is not None
        return [start, pool.stats().leaks, len(pool._watch.records)]  # type: ignore[union-attr]

    assert in_child(child) == [0, 1, 0]
    assert held is not None


@both_shells
def test_maintain_reports_every_guard_held_too_long(caplog: pytest.LogCaptureFixture) -> None:
    pool = make_pool(AutoScale(maximum=8), Script(), leak_threshold=5.0, clock=Clock())
    assert pool._watch is not None
    clock = pool._watch.clock
    assert isinstance(clock, Clock), "leak detection reads the pool's clock"
    held = [pool.get() for _ in range(6)]
    clock.now += 6
    assert pool.maintain() == 0  # evicts nothing: its count is of evictions
    assert len(messages(caplog, LEAK)) == 6 and pool.stats().leaks == 6
    pool.maintain()
    assert len(messages(caplog, LEAK)) == 6
    assert all(guard is not None for guard in held)
