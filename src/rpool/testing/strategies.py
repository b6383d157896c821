"""Hypothesis strategies for pool configurations: scale modes, fault plans, lifecycle options.

Needs Hypothesis (`pip install rpool[testing]`). Each strategy shrinks toward
the simplest case: the smallest Static pool, plans that inject nothing, and
every lifecycle option off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from hypothesis import strategies as st

from .. import AutoScale, Pool, Poolable, ScaleMode, Static
from .._poolable import Factory
from ._clock import FakeClock
from ._faults import Faults, faulty
from ._options import PoolOptions

__all__ = [
    "LifecycleConfig",
    "PoolConfig",
    "fault_plans",
    "lifecycle_configs",
    "pool_configs",
    "scale_modes",
    "schedule_choices",
]

C = TypeVar("C")
R = TypeVar("R", bound=Poolable[Any])


def scale_modes(*, max_capacity: int = 8, unbounded: bool = True) -> st.SearchStrategy[ScaleMode]:
    """Valid `Static` and `AutoScale` modes of at most `max_capacity` resources.

    AutoScale modes cover every growth shape: chunked (`chunk_size >= 1`),
    doubling (`chunk_size == 0`) and, if `unbounded`, `maximum=None` (whose
    initial size is then also at most `max_capacity`).

    Raises:
        ValueError: `max_capacity` is less than 1.
    """
    if type(max_capacity) is not int or max_capacity < 1:
        raise ValueError(f"max_capacity must be an int of at least 1, got {max_capacity!r}")
    static = st.builds(Static, count=st.integers(1, max_capacity))

    @st.composite
    def autoscale(draw: st.DrawFn) -> AutoScale:
        maximum: int | None = draw(st.integers(1, max_capacity))
        if unbounded and draw(st.booleans()):
            maximum = None
        initial = draw(st.integers(0, max_capacity if maximum is None else maximum))
        chunk_size = draw(st.integers(0, max_capacity))
        return AutoScale(initial=initial, maximum=maximum, chunk_size=chunk_size)

    return st.one_of(static, autoscale())


def fault_plans(
    *,
    max_faults: int = 4,
    new: bool = True,
    reset: bool = True,
    check: bool = True,
    close: bool = True,
    stalls: bool = False,
) -> st.SearchStrategy[Faults]:
    """Scripted `Faults`: for each callback enabled, a list of outcomes for its first calls.

    At most `max_faults` outcomes per callback; a plan shrinks toward fewer
    and toward "ok". "stall" is drawn only if `stalls` (a stall sleeps 10 ms).

    Raises:
        ValueError: `max_faults` is negative.
    """
    if type(max_faults) is not int or max_faults < 0:
        raise ValueError(f"max_faults must be an int of at least 0, got {max_faults!r}")
    extra = ("stall",) if stalls else ()
    plain = st.lists(st.sampled_from(("ok", "raise", *extra)), max_size=max_faults)
    answers = st.lists(st.sampled_from(("ok", "false", "raise", *extra)), max_size=max_faults)
    none: st.SearchStrategy[list[Any]] = st.just([])

    return st.builds(
        Faults.scripted,
        new=plain if new else none,
        reset=answers if reset else none,
        check=answers if check else none,
        close=plain if close else none,
    )


@dataclass(frozen=True, slots=True)
class LifecycleConfig:
    """A pool's lifecycle options, on a `FakeClock`: what `options()` passes to `Pool`.

    Every field is one of `Pool`'s options but `check`, which says whether
    the pool checks each resource it hands out with the resource class's own
    `check()` method. `lifetime_jitter` is 0 (a random jitter would make a
    run's expiries differ each time it runs, so Hypothesis could not replay
    it) and `maintain_every` None (a maintainer thread runs at times no test
    chooses: call `pool.maintain()` instead).
    """

    max_lifetime: float | None = None
    max_idle: float | None = None
    check: bool = False
    recheck_after: float = 0.0
    leak_threshold: float | None = None
    clock: FakeClock = field(default_factory=FakeClock, compare=False)
    """The pool's clock; advance it to make resources expire or go idle."""

    def options(self, resource: type[R]) -> PoolOptions[R]:
        """The keyword options for `Pool(resource, ...)`; `check` calls `resource.check`.

        Raises:
            TypeError: `check` is set and `resource` has no callable `check`.
        """
        options: PoolOptions[R] = {
            "max_lifetime": self.max_lifetime,
            "lifetime_jitter": 0.0,
            "max_idle": self.max_idle,
            "clock": self.clock,
            "recheck_after": self.recheck_after,
            "leak_threshold": self.leak_threshold,
        }
        if self.check:
            method = getattr(resource, "check", None)
            if not callable(method):
                raise TypeError(f"check=True needs a check() method on {resource.__name__}")
            options["check"] = method
        return options


def lifecycle_configs(
    mode: ScaleMode, *, check: bool = False, leaks: bool = True, max_seconds: int = 60
) -> st.SearchStrategy[LifecycleConfig]:
    """Valid lifecycle options for a pool in `mode`, each off or a whole number of seconds.

    `max_lifetime` and `leak_threshold` (if `leaks`) for any mode; `max_idle`
    only for AutoScale (a Static pool refuses it); `check` (drawn only if
    `check`, for a resource class with a `check()` method) and, with it,
    `recheck_after`. Durations are from 1 to `max_seconds`; each option
    shrinks toward off, each duration toward 1 s.

    Raises:
        TypeError: `mode` is not a Static or AutoScale.
        ValueError: `max_seconds` is less than 1.
    """
    if not isinstance(mode, Static | AutoScale):
        raise TypeError(f"mode must be Static or AutoScale, not {type(mode).__name__}")
    if type(max_seconds) is not int or max_seconds < 1:
        raise ValueError(f"max_seconds must be an int of at least 1, got {max_seconds!r}")
    seconds = st.integers(1, max_seconds).map(float)
    optional = st.none() | seconds
    off: st.SearchStrategy[Any] = st.none()

    @st.composite
    def configs(draw: st.DrawFn) -> LifecycleConfig:
        checked = draw(st.booleans()) if check else False
        return LifecycleConfig(
            max_lifetime=draw(optional),
            max_idle=draw(optional if isinstance(mode, AutoScale) else off),
            check=checked,
            recheck_after=draw(st.just(0.0) | seconds) if checked else 0.0,
            leak_threshold=draw(optional if leaks else off),
        )

    return configs()


@dataclass(frozen=True, slots=True)
class PoolConfig:
    """A scale mode, a fault plan and lifecycle options: what `pool()` builds a pool from."""

    mode: ScaleMode
    faults: Faults
    lifecycle: LifecycleConfig = field(default_factory=LifecycleConfig)
    """Every option off unless `pool_configs(lifecycle=True)` drew some."""

    def pool(self, resource: Factory[C, R], context: C) -> Pool[C, R]:
        """A pool of `faulty(resource, self.faults)` in `self.mode`, with `context` and options.

        Raises:
            TypeError: `resource` is not a class with a `new(context)` method,
                or the options check resources and it has no `check()`.
        """
        # faulty() subclasses the class behind the Factory: the same R comes out.
        wrapped = cast(type[R], faulty(cast(type[Any], resource), self.faults))
        options = self.lifecycle.options(wrapped)
        return Pool(cast(Factory[C, R], wrapped), self.mode, context, **options)


def schedule_choices(*, threads: int = 4, max_decisions: int = 200) -> st.SearchStrategy[list[int]]:
    """Choices for `interleave(..., choices=...)`: which thread takes each step.

    At decision i, choice i indexes the threads that can go on, the one that
    ran last first, so 0 keeps it running (an index past the end wraps
    around, and decisions past the list are 0). A failing run shrinks toward
    fewer, earlier switches. `threads` bounds each choice (more than the
    threads of a run is never needed); `max_decisions` the list's length (a
    run takes a dozen or so steps per pool call).

    Raises:
        ValueError: `threads` is less than 1 or `max_decisions` negative.
    """
    if type(threads) is not int or threads < 1:
        raise ValueError(f"threads must be an int of at least 1, got {threads!r}")
    if type(max_decisions) is not int or max_decisions < 0:
        raise ValueError(f"max_decisions must be an int of at least 0, got {max_decisions!r}")
    return st.lists(st.integers(0, threads - 1), max_size=max_decisions)


def pool_configs(
    *,
    max_capacity: int = 8,
    unbounded: bool = True,
    max_faults: int = 4,
    lifecycle: bool = False,
    check: bool = False,
) -> st.SearchStrategy[PoolConfig]:
    """A scale mode from `scale_modes`, a fault plan from `fault_plans`, and options.

    With `lifecycle`, the options are drawn by `lifecycle_configs` for the
    mode drawn (`check` as there: only for a resource class with `check()`);
    without, every option is off.
    """
    modes = scale_modes(max_capacity=max_capacity, unbounded=unbounded)
    plans = fault_plans(max_faults=max_faults)
    if not lifecycle:
        return st.builds(PoolConfig, modes, plans)

    @st.composite
    def configs(draw: st.DrawFn) -> PoolConfig:
        mode = draw(modes)
        return PoolConfig(mode, draw(plans), draw(lifecycle_configs(mode, check=check)))

    return configs()
