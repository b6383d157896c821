"""Hypothesis strategies for pool configurations: scale modes and fault plans.

Needs Hypothesis (`pip install rpool[testing]`). Each strategy shrinks toward
the simplest case: the smallest Static pool, and plans that inject nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar, cast

from hypothesis import strategies as st

from .. import AutoScale, Pool, Poolable, ScaleMode, Static
from .._poolable import Factory
from ._faults import Faults, faulty

__all__ = [
    "PoolConfig",
    "fault_plans",
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
class PoolConfig:
    """A scale mode and a fault plan: what `pool()` builds a pool from."""

    mode: ScaleMode
    faults: Faults

    def pool(self, resource: Factory[C, R], context: C) -> Pool[C, R]:
        """A pool of `faulty(resource, self.faults)` in `self.mode`, with `context`.

        Raises:
            TypeError: `resource` is not a class with a `new(context)` method.
        """
        # faulty() subclasses the class behind the Factory: the same R comes out.
        wrapped = cast(Factory[C, R], faulty(cast(type[Any], resource), self.faults))
        return Pool(wrapped, self.mode, context)


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
    *, max_capacity: int = 8, unbounded: bool = True, max_faults: int = 4
) -> st.SearchStrategy[PoolConfig]:
    """A scale mode from `scale_modes` with a fault plan from `fault_plans`."""
    return st.builds(
        PoolConfig,
        scale_modes(max_capacity=max_capacity, unbounded=unbounded),
        fault_plans(max_faults=max_faults),
    )
