"""`faulty` and `Faults`: injected failures reach the pool as a user's would.

The last tests plant a bug in user-style code (a counter of jobs in flight
that a failing `reset()` leaves wrong) and show that a Hypothesis test over
`fault_plans()` finds it, and passes once it is fixed.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from typing import Self

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rpool import AutoScale, Pool, PoolGuard, Static
from rpool.testing import Faults, InjectedFault, faulty
from rpool.testing.strategies import fault_plans, pool_configs, scale_modes


class Conn:
    """A user's resource: `dirty` is what its user leaves behind, `reset()` cleans it."""

    closed_dirty = 0

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.dirty = False
        self.closed = False

    @classmethod
    def new(cls, dsn: str) -> Self:
        return cls(dsn)

    def reset(self) -> bool:
        self.dirty = False
        return True

    def check(self) -> bool:
        return not self.closed

    def close(self) -> None:
        self.closed = True


class Plain:
    """No check(), no close(), and a new() that names its class."""

    @classmethod
    def new(cls, context: None) -> Plain:
        return Plain()

    def reset(self) -> bool:
        return True


def test_the_wrapper_is_a_subclass_and_keeps_the_resource_type() -> None:
    wrapped = faulty(Conn, Faults.scripted())
    assert issubclass(wrapped, Conn) and wrapped is not Conn
    with Pool(wrapped, Static(count=1), "db") as pool, pool.acquire() as conn:
        assert isinstance(conn, Conn)
        assert conn.dsn == "db"


def test_a_raising_reset_skips_the_real_one_and_the_pool_closes_the_resource() -> None:
    faults = Faults.scripted(reset=["raise"])
    pool = Pool(faulty(Conn, faults), Static(count=1), "db")
    guard = pool.acquire()
    conn = guard.resource
    conn.dirty = True
    with pytest.raises(InjectedFault, match=r"reset\(\) call #1") as raised:
        guard.release()
    assert raised.value.callback == "reset"
    assert conn.dirty and conn.closed  # closed as its user left it
    assert pool.stats().discarded == 1
    with pool.acquire() as replacement:
        assert replacement is not conn
    assert faults.injected() == [("reset", 1, "raise")]
    pool.close()


def test_a_false_reset_discards_without_running_the_real_reset() -> None:
    pool = Pool(faulty(Conn, Faults.scripted(reset=["false", "ok"])), Static(count=1), "db")
    with pool.acquire() as conn:
        conn.dirty = True
    assert conn.closed and conn.dirty
    with pool.acquire() as second:
        second.dirty = True
    assert not second.dirty and not second.closed  # the second reset ran for real
    pool.close()


def test_new_can_fail_and_close_fails_after_closing() -> None:
    faults = Faults.scripted(new=["ok", "raise"], close=["raise"])
    pool = Pool(faulty(Conn, faults), AutoScale(initial=1, maximum=2), "db")
    first = pool.acquire()
    with pytest.raises(InjectedFault, match="new"):
        pool.get()
    assert pool.stats().failed == 1
    first.release()
    with pytest.raises(ExceptionGroup) as raised:
        pool.close()
    assert raised.group_contains(InjectedFault, match="close")
    assert first.released
    assert faults.injected() == [("new", 2, "raise"), ("close", 1, "raise")]


def test_check_and_close_are_wrapped_only_where_the_class_has_them() -> None:
    wrapped = faulty(Plain, Faults.scripted(reset=["false"]))
    assert not hasattr(wrapped, "check") and not hasattr(wrapped, "close")
    assert faulty(Conn, Faults.scripted()).check is not Conn.check
    conn = faulty(Conn, Faults.scripted(check=["false", "raise"])).new("db")
    assert conn.check() is False
    with pytest.raises(InjectedFault):
        conn.check()
    assert conn.check() is True


def test_a_new_that_names_its_class_still_makes_faulty_resources() -> None:
    pool = Pool(faulty(Plain, Faults.scripted(reset=["false"])), Static(count=1))
    guard = pool.acquire()
    first = guard.resource
    assert type(first) is not Plain and isinstance(first, Plain)
    guard.release()  # reset decided "false": discarded and replaced
    with pool.acquire() as second:
        assert second is not first
    pool.close()


def test_a_new_that_returns_something_else_is_refused() -> None:
    class Liar:
        @classmethod
        def new(cls, context: None) -> Liar:
            return object()  # type: ignore[return-value]

        def reset(self) -> bool:
            return True

    with pytest.raises(TypeError, match="returned a object"):
        faulty(Liar, Faults.scripted()).new(None)


def test_stall_runs_the_plans_stall_then_the_real_callback() -> None:
    stalled: list[str] = []
    conn = faulty(Conn, Faults.scripted(reset=["stall"], stall=lambda: stalled.append("x"))).new(
        "db"
    )
    conn.dirty = True
    assert conn.reset() is True
    assert stalled == ["x"] and not conn.dirty


def test_a_seeded_plan_replays_whatever_the_order_of_callbacks() -> None:
    def decisions(order: list[str]) -> set[tuple[str, int, str]]:
        plan = Faults.seeded(11, new=0.5, reset=0.5, check=0.5, close=0.5, stall=0.3)
        for name in order:
            plan.next(name)  # type: ignore[arg-type]
        return set(plan.log)

    names = ["new", "reset", "check", "close"] * 25
    forward = decisions(names)
    assert forward == decisions(list(reversed(names)))
    assert {outcome for _, _, outcome in forward} == {"ok", "raise", "false", "stall"}
    other = Faults.seeded(12, reset=0.5)
    assert {other.next("reset")[0] for _ in range(50)} == {"ok", "raise", "false"}


def test_a_shared_plan_counts_each_call_once_across_threads() -> None:
    plan = Faults.seeded(3, reset=0.3)
    threads = [
        threading.Thread(target=lambda: [plan.next("reset") for _ in range(200)]) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(n for _, n, _ in plan.log) == list(range(1, 801))


def test_bad_plans_and_bad_classes_get_clear_errors() -> None:
    with pytest.raises(ValueError, match="new: outcome must be one of"):
        Faults.scripted(new=["false"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="reset must be a probability"):
        Faults.seeded(1, reset=1.5)
    with pytest.raises(TypeError, match="seed must be an int"):
        Faults.seeded("1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="new\\(context\\) method"):
        faulty(object, Faults.scripted())
    with pytest.raises(TypeError, match="faults must be a Faults plan"):
        faulty(Conn, [])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="the plan decided 'false'"):
        Faults(lambda callback, n: "false").next("new")


# --- strategies -------------------------------------------------------------


@settings(max_examples=60)
@given(scale_modes(max_capacity=5))
def test_scale_modes_are_valid_and_within_the_capacity(mode: Static | AutoScale) -> None:
    if isinstance(mode, Static):
        assert 1 <= mode.count <= 5
    else:
        assert mode.maximum is None or mode.maximum <= 5
        assert mode.initial <= 5


def test_scale_modes_reach_every_shape() -> None:
    from hypothesis import find

    strategy = scale_modes(max_capacity=4)
    find(strategy, lambda m: isinstance(m, Static))
    find(strategy, lambda m: isinstance(m, AutoScale) and m.maximum is None)
    find(strategy, lambda m: isinstance(m, AutoScale) and m.chunk_size == 0)
    find(strategy, lambda m: isinstance(m, AutoScale) and m.maximum == 4 and m.chunk_size > 1)
    with pytest.raises(ValueError, match="max_capacity"):
        scale_modes(max_capacity=0)
    with pytest.raises(ValueError, match="max_faults"):
        fault_plans(max_faults=-1)


@settings(max_examples=30)
@given(pool_configs(max_capacity=3))
def test_a_pool_config_builds_a_working_pool(config: object) -> None:
    from rpool.testing.strategies import PoolConfig

    assert isinstance(config, PoolConfig)
    try:
        pool = config.pool(Conn, "db")
    except InjectedFault:
        return  # an initial new() was told to fail
    assert type(pool.mode) is type(config.mode)
    try:
        guard = pool.get()
        if guard is not None:
            guard.release()
    except InjectedFault:
        pass
    with contextlib.suppress(InjectedFault, ExceptionGroup):
        pool.close()


# --- a planted bug in user code ---------------------------------------------


class Jobs:
    """A user's job runner over a pool; `in_flight` feeds their dashboard."""

    def __init__(self, pool: Pool[str, Conn], careful: bool) -> None:
        self.pool = pool
        self.careful = careful
        self.in_flight = 0

    def run(self) -> None:
        self.in_flight += 1
        if self.careful:
            try:
                with self.pool.acquire(timeout=1.0) as conn:
                    conn.dirty = True
            finally:
                self.in_flight -= 1
        else:
            # The bug: when release() raises (the connection failed its
            # reset), the count is never taken back.
            with self.pool.acquire(timeout=1.0) as conn:
                conn.dirty = True
            self.in_flight -= 1


def in_flight_returns_to_zero(careful: bool) -> None:
    @settings(max_examples=100, database=None)
    @given(faults=fault_plans(new=False), runs=st.integers(1, 4))
    def test(faults: Faults, runs: int) -> None:
        jobs = Jobs(Pool(faulty(Conn, faults), Static(count=1), "db"), careful)
        for _ in range(runs):
            with contextlib.suppress(InjectedFault):
                jobs.run()
        assert jobs.in_flight == 0, faults.injected()

    test()


def test_fault_plans_find_a_counter_that_a_failed_reset_leaves_wrong() -> None:
    # Two minimal plans exist: a reset that raises, or one that returns False
    # followed by a close() that raises; Hypothesis shrinks to either.
    with pytest.raises(AssertionError, match=r"\('reset', 1, '(raise|false)'\)"):
        in_flight_returns_to_zero(careful=False)
    in_flight_returns_to_zero(careful=True)


def test_importing_rpool_imports_no_testing_tool() -> None:
    code = (
        "import sys, rpool; assert 'rpool.testing' not in sys.modules;"
        "import rpool.testing; bad = {'hypothesis', 'pytest'} & set(sys.modules);"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_guards_of_faulty_pools_are_ordinary_guards() -> None:
    pool = Pool(faulty(Conn, Faults.scripted()), Static(count=1), "db")
    assert isinstance(pool.get(), PoolGuard)
