"""An exception at every line of the pool's code loses nothing (tests/interrupts.py).

Each scenario is one operation on a pool in a chosen state, with the user's
callbacks planned to succeed or fail. `inject_everywhere` runs it once per
line the pool's code reaches, raising `Interrupt` (a BaseException, as
KeyboardInterrupt is) at that line, and checks every run. The recursion-limit
test runs each scenario with few frames left, so that real RecursionErrors
arise wherever a call crosses the limit.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import pytest

from rpool import AutoScale, PoolGuard, Static

from .interrupts import Run, Scenario, at_depth, check, inject_everywhere, settle
from .resources import Res


def take(count: int) -> Callable[[Run], None]:
    """Setup: the test takes `count` guards."""

    def setup(run: Run) -> None:
        for _ in range(count):
            guard = run.pool.get()
            assert guard is not None
            run.guards.append(guard)

    return setup


def plan(
    *, new: Sequence[str] = (), reset: Sequence[str] = (), close: Sequence[str] = ()
) -> Callable[[Run], None]:
    """Setup step: what the callbacks do during the operation."""

    def setup(run: Run) -> None:
        run.script.new_plan[:] = new
        run.script.reset_plan[:] = reset
        run.script.close_plan[:] = close

    return setup


def drop(run: Run) -> None:
    """Setup step: the last guard taken is garbage-collected unreleased."""
    run.guards.pop()  # the only reference: the finalizer runs here


def closed(run: Run) -> None:
    run.pool.close()


def units_orphaned(run: Run) -> None:
    """Setup step: the leftmost grant becomes an orphan, as an interrupted call leaves it."""
    orphans = run.pool._orphans
    orphans += [run.pool._free.popleft()]


def steps(*parts: Callable[[Run], None]) -> Callable[[Run], None]:
    def setup(run: Run) -> None:
        for part in parts:
            part(run)

    return setup


def get(run: Run) -> PoolGuard[Res] | None:
    return run.pool.get()


def release(run: Run) -> None:
    run.guards[-1].release()


def release_pool(run: Run) -> None:
    run.pool.close()


def nothing(run: Run) -> None:
    return None


CHUNKS = AutoScale(initial=0, maximum=6, chunk_size=3)
SCENARIOS = [
    Scenario("get: reuse", Static(2), nothing, get),
    Scenario("get: miss", Static(1), take(1), get),
    Scenario("get: grow a chunk", CHUNKS, nothing, get),
    Scenario("get: grow, second new() raises", CHUNKS, plan(new=["ok", "raise"]), get),
    Scenario("get: double", AutoScale(initial=1, maximum=8, chunk_size=0), take(1), get),
    Scenario("get: unbounded growth", AutoScale(initial=0, chunk_size=2), nothing, get),
    Scenario(
        "get: unbounded, new() raises",
        AutoScale(initial=0, chunk_size=2),
        plan(new=["raise"]),
        get,
    ),
    Scenario("get: adopt a collected guard's", Static(1), steps(take(1), drop), get),
    Scenario(
        "get: adopt, reset False, replace",
        Static(1),
        steps(take(1), drop, plan(reset=["false"])),
        get,
    ),
    Scenario(
        "get: adopt units an interrupt left",
        AutoScale(initial=0, maximum=2, chunk_size=1),
        steps(take(1), units_orphaned),
        get,
    ),
    Scenario("get: closed pool", Static(1), closed, get),
    Scenario("release: reset True", Static(1), take(1), release),
    Scenario(
        "release: reset False, replace", Static(1), steps(take(1), plan(reset=["false"])), release
    ),
    Scenario(
        "release: reset False, grant back",
        AutoScale(initial=1, maximum=2),
        steps(take(1), plan(reset=["false"])),
        release,
    ),
    Scenario("release: reset raises", Static(1), steps(take(1), plan(reset=["raise"])), release),
    Scenario(
        "release: reset returns None", Static(1), steps(take(1), plan(reset=["none"])), release
    ),
    Scenario(
        "release: replacement new() raises",
        Static(1),
        steps(take(1), plan(reset=["false"], new=["raise"])),
        release,
    ),
    Scenario(
        "release: unbounded, reset False",
        AutoScale(initial=1, chunk_size=1),
        steps(take(1), plan(reset=["false"])),
        release,
    ),
    Scenario("release: closed pool", Static(2), steps(take(1), closed), release),
    Scenario(
        "release: closed pool, close() raises",
        Static(2),
        steps(take(1), closed, plan(close=["raise"])),
        release,
    ),
    Scenario("release: adopt an orphan", Static(2), steps(take(2), drop), release),
    Scenario("close: idle resources", Static(3), nothing, release_pool),
    Scenario(
        "close: held, orphans, grants",
        AutoScale(initial=1, maximum=4, chunk_size=1),
        steps(take(3), drop),
        release_pool,
    ),
    Scenario("close: close() raises", Static(2), plan(close=["raise"]), release_pool),
    Scenario(
        "close: close() raises KeyboardInterrupt",
        Static(3),
        plan(close=["interrupt"]),
        release_pool,
    ),
    Scenario(
        "close: units an interrupt left",
        AutoScale(initial=0, maximum=2, chunk_size=1),
        steps(take(1), units_orphaned),
        release_pool,
    ),
]
IDS = [scenario.name for scenario in SCENARIOS]


@pytest.fixture(autouse=True)
def _quiet() -> object:
    # Collected guards and failing orphans warn; that is tested elsewhere.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_an_exception_at_any_line_loses_nothing_and_keeps_the_bound(scenario: Scenario) -> None:
    report = inject_everywhere(scenario)
    assert report.points > 0
    assert report.failures == []


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_recursion_errors_near_the_limit_lose_nothing(scenario: Scenario) -> None:
    outcomes = set()
    for free_frames in range(1, 25):
        run = at_depth(scenario, free_frames)
        outcomes.add(run.outcome)
        problems = check(run) + settle(run)
        assert problems == [], f"with {free_frames} frames left ({run.outcome}): {problems}"
    # The test means something only if the limit was really reached.
    assert "RecursionError" in outcomes


def test_the_harness_sees_a_lost_resource() -> None:
    """check() is not blind: a resource taken out behind the pool's back is reported."""
    scenario = SCENARIOS[0]
    run = scenario.run()
    assert run.guards
    run.guards[0]._box.clear()  # the pool and the test lose track of it
    assert any("lost" in problem for problem in check(run))


def test_a_settled_pool_is_checked_too() -> None:
    run = Scenario("x", Static(1), nothing, nothing).run()
    run.pool._free.append(Res(run.script))  # idle in a pool about to close, unknown to it
    assert settle(run) != []


def test_injection_points_cover_every_operation() -> None:
    counts = {scenario.name: inject_everywhere(scenario).points for scenario in SCENARIOS[:3]}
    assert all(count >= 5 for count in counts.values()), counts


def main() -> None:
    """Print the injection points of every scenario: `python -m tests.test_interrupts`."""
    print("| scenario | points | lines skipped (handlers) | outcomes | failures |")
    print("|---|---:|---:|---|---:|")
    total = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for scenario in SCENARIOS:
            report = inject_everywhere(scenario)
            total += report.points
            outcomes = ", ".join(
                f"{name} {count}" for name, count in sorted(report.outcomes.items())
            )
            print(
                f"| {scenario.name} | {report.points} | {report.skipped} | {outcomes} "
                f"| {len(report.failures)} |"
            )
    print(f"\n{total} injection points in {len(SCENARIOS)} scenarios")


if __name__ == "__main__":
    main()
