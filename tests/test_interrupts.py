"""An exception at every line of the pool's code loses nothing (tests/interrupts.py).

Each scenario is one operation on a pool in a chosen state, with the user's
callbacks planned to succeed or fail. `inject_everywhere` runs it once per
line the pool's code reaches, raising `Interrupt` (a BaseException, as
KeyboardInterrupt is) at that line, and checks every run. The recursion-limit
test runs each scenario with few frames left, so that real RecursionErrors
arise wherever a call crosses the limit.

The waiting scenarios (`acquire()`, `acquire_async()`, and the calls that
ring a waiter) need a parked waiter: the operation's own, whose park lets a
second thread act meanwhile (tests/interrupts.py, "Waiting"), or dummies
queued for threads that stay parked.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable, Sequence

import pytest

from rpool import AutoScale, PoolGuard, Static
from rpool._waiters import ThreadWaiter, ring

from .interrupts import (
    Run,
    Scenario,
    Stuck,
    at_depth,
    check,
    elsewhere,
    inject_everywhere,
    nudge,
    settle,
    unrung,
)
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


# --- waiting -----------------------------------------------------------------


def queue_dummy(run: Run) -> None:
    """A waiter queues for a thread that stays parked (setup step, or meanwhile)."""
    dummy = ThreadWaiter()
    run.dummies.append(dummy)
    run.pool._waiters.append(dummy)


def queue_dead(run: Run) -> None:
    """Setup step: a dead entry, left by a waiter whose Leave was cut between its steps."""
    dead = ThreadWaiter()
    dead.alive = False
    run.pool._waiters.append(dead)


def ring_dummies(run: Run) -> None:
    """Setup step: the dummies were rung (the item they will find came after they looked)."""
    for dummy in run.dummies:
        dummy.put(None)


def give_back(run: Run) -> None:
    """The oldest guard the test holds is released (setup step, or meanwhile)."""
    run.guards.pop(0).release()


def give_back_failing(run: Run) -> None:
    """Meanwhile: a guard is released and its reset() returns False."""
    run.script.reset_plan[:] = ["false"]
    give_back(run)


def close_pool(run: Run) -> None:
    run.pool.close()


def meanwhile(*actions: Callable[[Run], object]) -> Callable[[Run], None]:
    """Setup step: what other threads do while the operation's waiter is parked.

    Each action runs at one park, in order, in a thread of its own.
    """

    def setup(run: Run) -> None:
        run.meanwhile[:] = actions

    return setup


def together(*actions: Callable[[Run], object]) -> Callable[[Run], None]:
    """One meanwhile action made of several, in order."""

    def action(run: Run) -> None:
        for part in actions:
            part(run)

    return action


def acquire(timeout: float | None = None) -> Callable[[Run], object]:
    def operation(run: Run) -> object:
        return run.pool.acquire(timeout)

    return operation


def acquire_async(timeout: float | None = None) -> Callable[[Run], object]:
    """`acquire_async()` in a task of a fresh event loop, whose park lets the meanwhile act.

    The meanwhile action runs in its thread once the task has parked (its
    ring then goes through `call_soon_threadsafe`); the loop then runs until
    the task is done. A ring cut off in the loop's `_wake` callback is lost
    for good (design.md: such a task is rung by the next ring or its
    timeout): if the task is still parked, the next ring is made (`late`);
    a task still parked after that would wait forever.
    """

    def operation(run: Run) -> object:
        actions, run.meanwhile = run.meanwhile, []

        async def main() -> Opaque:
            task = asyncio.ensure_future(run.pool.acquire_async(timeout))
            for action in actions:
                await asyncio.sleep(0)  # the task runs up to its park
                elsewhere(run, action)
            for attempt in range(200):
                if task.done():
                    return Opaque(task.result())
                if attempt == 100:
                    run.late = True
                    elsewhere(run, lambda run: ring(run.pool._waiters))
                await asyncio.sleep(0)
            task.cancel()
            raise Stuck("a task parked with no ring to come and no timeout")

        return asyncio.run(main()).value

    return operation


class Opaque:
    """A task's result that asyncio cannot repr: its teardown reprs the main task, and a
    guard's `__repr__` would then be pool code run by asyncio, where an injection
    point tests asyncio's own teardown."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<result>"


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
WAITING = [
    Scenario(
        "acquire: served a resource as head",
        Static(1),
        steps(take(1), meanwhile(give_back)),
        acquire(),
        waits=True,
    ),
    Scenario(
        "acquire: served a grant as head",
        AutoScale(initial=1, maximum=1),
        steps(take(1), meanwhile(give_back_failing)),
        acquire(),
        waits=True,
    ),
    Scenario(
        "acquire: served, passes on to the next",
        Static(2),
        steps(take(2), meanwhile(together(queue_dummy, give_back, give_back))),
        acquire(),
        waits=True,
    ),
    Scenario(
        "acquire: times out, another waits",
        Static(1),
        steps(take(1), meanwhile(queue_dummy)),
        acquire(1.0),
        waits=True,
    ),
    Scenario(
        "acquire: closed while parked",
        Static(1),
        steps(take(1), meanwhile(together(queue_dummy, close_pool))),
        acquire(),
        waits=True,
    ),
    Scenario(
        "acquire: a dead entry ahead",
        Static(1),
        steps(take(1), queue_dead, meanwhile(give_back)),
        acquire(),
        waits=True,
    ),
    Scenario("acquire: try once", Static(1), take(1), acquire(0.0), waits=True),
    Scenario(
        "acquire_async: served, rung from a thread",
        Static(1),
        steps(take(1), meanwhile(give_back)),
        acquire_async(),
        waits=True,
    ),
    Scenario(
        "acquire_async: closed while parked",
        Static(1),
        steps(take(1), meanwhile(close_pool)),
        acquire_async(),
        waits=True,
    ),
    Scenario(
        "get: yields a resource to a waiter",
        Static(1),
        steps(take(1), queue_dummy, give_back),
        get,
    ),
    Scenario(
        "get: yields a grant to a waiter",
        AutoScale(initial=0, maximum=1),
        steps(queue_dummy, ring_dummies),
        get,
    ),
    Scenario("release: rings the head", Static(1), steps(take(1), queue_dummy), release),
    Scenario(
        "release: reset False, the replacement rings",
        Static(1),
        steps(take(1), queue_dummy, plan(reset=["false"])),
        release,
    ),
    Scenario(
        "release: reset False, the unit rings",
        AutoScale(initial=1, maximum=1),
        steps(take(1), queue_dummy, plan(reset=["false"])),
        release,
    ),
    Scenario(
        "release: rings past a dead entry",
        Static(1),
        steps(take(1), queue_dead, queue_dummy),
        release,
    ),
    Scenario(
        "close: wakes every waiter",
        Static(2),
        steps(take(1), queue_dummy, queue_dummy),
        release_pool,
    ),
]
SCENARIOS += WAITING
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
        problems = check(run)
        if unrung(run):  # a cut-off ring: the next ordinary call rings
            nudge(run)
            problems += [f"never rung: {w}" for w in unrung(run)]
        problems += settle(run)
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
    print("| scenario | points | lines skipped (handlers) | outcomes | rung late | failures |")
    print("|---|---:|---:|---|---:|---:|")
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
                f"| {report.late} | {len(report.failures)} |"
            )
            for failure in report.failures[:5]:
                print(f"    {failure}")
    print(f"\n{total} injection points in {len(SCENARIOS)} scenarios")


if __name__ == "__main__":
    main()
