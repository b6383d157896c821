"""An exception at every line of the lifecycle's take/put-back code loses nothing.

The harness is tests/interrupts.py's: each scenario's operation runs once per
line the pool's code reaches, with `Interrupt` raised at that line, and every
run is checked (nothing lost or live twice, the bound, exact accounting at
rest, and after settling). The scenarios here give the pool a lifecycle and
move its clock so that the operation expires a resource (the guard's Claim,
the discard, the renewal) or evicts one (the sweep's pop, discard and
ReturnGrant), or whose check fails (the same Claim, discard and renewal), or
that gives back an expired resource (the release's Claim, Reset, discard,
and replacement or ReturnGrant).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from rpool import AutoScale, ScaleMode, Static

from .interrupts import Run, Scenario, WaitingPool, at_depth, check, inject_everywhere, settle
from .resources import Res, Script


class InForcePool(WaitingPool):  # type: ignore[misc]
    """The harness checks the bound of `pool.mode`; after a resize it must be the one in force.

    `check()` requires spare + live == the mode's bound at rest: while a
    lowered bound's debt is unpaid, that is the old bound, and after an
    interrupted raise the bound reached so far: `_maximum` plus the debt,
    which is what this mode reports.
    """

    @property
    def mode(self) -> ScaleMode:
        mode = self._mode
        lifecycle = self._lifecycle
        if lifecycle is None or self._maximum is None:
            return mode
        bound = self._maximum + len(lifecycle.debt)
        return Static(bound) if isinstance(mode, Static) else replace(mode, maximum=bound)


@dataclass(frozen=True)
class LifecycleScenario(Scenario):
    """A scenario whose pool has lifecycle options, on a clock the setup moves."""

    options: dict[str, Any] = field(default_factory=dict)

    def start(self) -> Run:
        script = Script()
        pool = InForcePool(Res, self.mode, script, clock=lambda: 0.0, **self.options)
        run = Run(pool, script)
        pool.attach(run)
        self.setup(run)
        return run


def at(seconds: float) -> Callable[[Run], None]:
    """Setup step: the lifecycle's clock reads `seconds` from now on."""

    def setup(run: Run) -> None:
        assert run.pool._lifecycle is not None
        run.pool._lifecycle.clock = lambda: seconds

    return setup


def steps(*actions: Callable[[Run], object]) -> Callable[[Run], None]:
    def setup(run: Run) -> None:
        for action in actions:
            action(run)

    return setup


def cycle(count: int) -> Callable[[Run], None]:
    """Setup step: take `count` resources, then give them all back (the pool grows)."""

    def setup(run: Run) -> None:
        guards = [run.pool.get() for _ in range(count)]
        for guard in guards:
            assert guard is not None
            guard.release()

    return setup


def plan(new: list[str] | None = None, close: list[str] | None = None) -> Callable[[Run], None]:
    def setup(run: Run) -> None:
        run.script.new_plan[:] = new or []
        run.script.close_plan[:] = close or []

    return setup


def get(run: Run) -> object:
    return run.pool.get()


def maintain(run: Run) -> object:
    return run.pool.maintain()


LIFETIME = {"max_lifetime": 1.0, "lifetime_jitter": 0.0}
IDLE = {"max_idle": 1.0}
GROWN: ScaleMode = AutoScale(initial=0, maximum=3)


def failing_check(resource: Res) -> bool:
    """A check that fails for the first two resources made (the initial ones)."""
    return resource.id >= 2


FAILING = {"check": failing_check}


def raising_check(resource: Res) -> bool:
    """A check that raises (so fails) for the first resource made and passes for the others."""
    if resource.id == 0:
        raise ValueError("resource 0 is broken")
    return True


# recheck_after > 0: the passed check's stamp (read only then) is a line too.
RAISING = {"check": raising_check, "recheck_after": 0.5}


def get_two(run: Run) -> object:
    """Two hand-outs: one check passes, the other raises (Pool asks its check in a plain call)."""
    first = run.pool.get()
    assert first is not None
    run.guards.append(first)
    return run.pool.get()


def scenarios() -> Iterator[LifecycleScenario]:
    # Each path once; a variant only where it takes other lines (a close()
    # or a new() that raises, an AutoScale unit instead of a Static one).
    yield LifecycleScenario("expire-static", Static(2), at(5.0), get, options=LIFETIME)
    yield LifecycleScenario(
        "expire-autoscale", AutoScale(initial=2, maximum=3), at(5.0), get, options=LIFETIME
    )
    yield LifecycleScenario(
        "expire-static-close-raises",
        Static(2),
        steps(at(5.0), plan(close=["raise"])),
        get,
        options=LIFETIME,
    )
    yield LifecycleScenario(
        "expire-static-new-raises",
        Static(2),
        steps(at(5.0), plan(new=["raise"])),
        get,
        options=LIFETIME,
    )
    for name, operation in (("get", get), ("maintain", maintain)):
        yield LifecycleScenario(
            f"evict-{name}", GROWN, steps(cycle(3), maintain, at(5.0)), operation, options=IDLE
        )
    yield LifecycleScenario(
        "evict-get-close-raises",
        GROWN,
        steps(cycle(3), maintain, at(5.0), plan(close=["raise"])),
        get,
        options=IDLE,
    )
    for name, mode in (("static", Static(2)), ("autoscale", AutoScale(initial=1, maximum=2))):
        yield LifecycleScenario(f"check-fails-{name}", mode, at(0.0), get, options=FAILING)
    yield LifecycleScenario("check-raises-and-passes", Static(2), at(0.0), get_two, options=RAISING)
    # An expired resource given back (_expiring.py): the release's Claim,
    # Reset, discard and replacement (Static) or ReturnGrant (AutoScale).
    for name, mode in (("static", Static(2)), ("autoscale", AutoScale(initial=1, maximum=2))):
        yield LifecycleScenario(
            f"expire-at-release-{name}", mode, steps(take(1), at(5.0)), release_held,
            options=LIFETIME,
        )  # fmt: skip
    for name, what in (("close", {"close": ["raise"]}), ("new", {"new": ["raise"]})):
        yield LifecycleScenario(
            f"expire-at-release-{name}-raises",
            Static(2),
            steps(take(1), at(5.0), plan(**what)),
            release_held,
            options=LIFETIME,
        )
    yield from resize_scenarios()


def resize_to(bound: int) -> Callable[[Run], object]:
    def operation(run: Run) -> object:
        run.pool.resize(bound)
        return None

    return operation


def take(count: int) -> Callable[[Run], None]:
    def setup(run: Run) -> None:
        for _ in range(count):
            guard = run.pool.get()
            assert guard is not None
            run.guards.append(guard)

    return setup


def give_back(run: Run) -> None:
    while run.guards:
        run.guards.pop().release()


def release_first(run: Run) -> object:
    run.guards.pop(0).release()
    return None


def release_held(run: Run) -> object:
    """Release the last guard taken, which stays in `run.guards`: a guard dropped by a
    frame at the recursion limit cannot run its finalizer (design.md, "What remains
    impossible"), so the test keeps holding it, as test_interrupts.py's release does."""
    run.guards[-1].release()
    return None


def resize_scenarios() -> Iterator[LifecycleScenario]:
    grown = AutoScale(initial=0, maximum=3)
    yield LifecycleScenario("resize-lower-idle", Static(3), take(0), resize_to(1))
    yield LifecycleScenario("resize-lower-held", Static(3), take(2), resize_to(1))
    yield LifecycleScenario("resize-raise", AutoScale(initial=0, maximum=2), take(0), resize_to(4))
    yield LifecycleScenario(
        "resize-raise-cancels", Static(3), steps(take(3), resize_to(1)), resize_to(3)
    )
    yield LifecycleScenario(
        "resize-pay-on-get", Static(3), steps(take(3), resize_to(1), give_back), get
    )
    yield LifecycleScenario(
        "resize-pay-on-discard",
        grown,
        steps(take(3), resize_to(1), plan(), lambda run: run.script.reset_plan.append("false")),
        release_first,
    )


SCENARIOS = list(scenarios())
IDS = [scenario.name for scenario in SCENARIOS]


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_an_exception_at_any_line_of_expiry_or_eviction_loses_nothing(
    scenario: LifecycleScenario,
) -> None:
    baseline = scenario.run()
    stats = baseline.pool.stats()
    changed = stats.expired + stats.evicted + stats.checks_failed + stats.resizes + stats.discarded
    assert changed > 0, "nothing expired, evicted or resized"
    report = inject_everywhere(scenario)
    assert report.points > 0
    assert report.failures == []


ONE_EACH = [
    s
    for s in SCENARIOS
    if s.name
    in (
        "expire-static",
        "evict-get",
        "check-fails-static",
        "resize-lower-held",
        "expire-at-release-static",
    )
]


@pytest.mark.parametrize("scenario", ONE_EACH, ids=[s.name for s in ONE_EACH])
def test_recursion_errors_near_the_limit_lose_nothing(scenario: LifecycleScenario) -> None:
    outcomes = set()
    for free_frames in range(1, 25):
        run = at_depth(scenario, free_frames)
        outcomes.add(run.outcome)
        problems = check(run) + settle(run)
        assert problems == [], f"with {free_frames} frames left ({run.outcome}): {problems}"
    assert "RecursionError" in outcomes
