"""The lifecycle strategies draw only valid options, reach every option, and shrink to none.

Validity is what the pool says: every drawn configuration builds a `Pool`
(whose constructor refuses `max_idle` for a Static pool, durations that are
not positive, a `check` that is not callable), and a pool built from one
expires its resources on the drawn clock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from rpool import AutoScale, Pool, Static
from rpool.testing import FakeClock
from rpool.testing.strategies import (
    LifecycleConfig,
    PoolConfig,
    lifecycle_configs,
    pool_configs,
    scale_modes,
)


class Conn:
    made = 0

    def __init__(self) -> None:
        self.healthy = True

    @classmethod
    def new(cls, context: None) -> Self:
        cls.made += 1
        return cls()

    def reset(self) -> bool:
        return True

    def check(self) -> bool:
        return self.healthy


@settings(max_examples=150, deadline=None)
@given(config=pool_configs(max_capacity=3, lifecycle=True, check=True, max_faults=0))
def test_every_drawn_configuration_builds_a_pool(config: PoolConfig) -> None:
    pool = config.pool(Conn, None)
    options = config.lifecycle
    if isinstance(config.mode, Static):
        assert options.max_idle is None
    if not options.check:
        assert options.recheck_after == 0.0
    guard = pool.get()
    assert guard is not None
    guard.release()
    pool.close()


@settings(max_examples=100, deadline=None)
@given(data=st.data(), mode=scale_modes(max_capacity=3, unbounded=False))
def test_a_drawn_max_lifetime_expires_resources_on_the_drawn_clock(
    data: st.DataObject, mode: Static | AutoScale
) -> None:
    options = data.draw(lifecycle_configs(mode).filter(lambda o: o.max_lifetime is not None))
    assert options.max_lifetime is not None
    pool = Pool(Conn, mode, **options.options(Conn))
    guard = pool.acquire(0)
    first = guard.resource
    guard.release()
    options.clock.advance(options.max_lifetime)
    with pool.acquire(0) as again:
        assert again is not first  # expired at its lifetime, and replaced
    pool.close()


GROWING = AutoScale(initial=0, maximum=2, chunk_size=1)
OPTIONS = ("max_lifetime", "max_idle", "leak_threshold")


def on(option: str) -> Callable[[LifecycleConfig], bool]:
    return lambda config: getattr(config, option) is not None


def test_each_option_is_reached_and_each_shrinks_to_off() -> None:
    configs = lifecycle_configs(GROWING, check=True)
    for option in OPTIONS:
        found = find(configs, on(option))
        # The smallest config with the option on: one second, every other option off.
        assert getattr(found, option) == 1.0
        assert all(getattr(found, other) is None for other in OPTIONS if other != option)
        assert not found.check
    checked = find(configs, lambda config: config.recheck_after > 0)
    assert checked.check and checked.recheck_after == 1.0
    assert find(configs, lambda config: True) == LifecycleConfig()


@settings(max_examples=50, deadline=None)
@given(config=lifecycle_configs(GROWING))
def test_check_is_drawn_only_when_asked(config: LifecycleConfig) -> None:
    assert not config.check and config.recheck_after == 0.0


def test_check_needs_a_check_method() -> None:
    class NoCheck:
        @classmethod
        def new(cls, context: None) -> Self:
            return cls()

        def reset(self) -> bool:
            return True

    with pytest.raises(TypeError, match="check=True needs a check\\(\\) method on NoCheck"):
        LifecycleConfig(check=True).options(NoCheck)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(TypeError, match="mode"):
        lifecycle_configs("static")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_seconds"):
        lifecycle_configs(Static(count=1), max_seconds=0)
    clock = FakeClock()
    with pytest.raises(ValueError, match="non-negative"):
        clock.advance(-1.0)
    clock.advance(2.5)
    assert clock() == 2.5
