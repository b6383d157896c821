"""Max lifetime, idle eviction and maintain() (src/rpool/_lifecycle.py), on an injected clock.

No test sleeps: the pool's `clock` is a `Clock` the test moves. The model of
the same steps is models/Lifecycle.tla (docs/models.md, "Lifecycle").
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from rpool import AutoScale, Pool, PoolClosedError, PoolGuard, Static
from rpool._scale import MAX_GRANTS

from .resources import Boom, Res, Script
from .shells import both_shells, make_pool, shell  # noqa: F401  (the fixture both_shells uses)


class Clock:
    """A clock that moves only when told: `clock.now += seconds`."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def lifecycle_pool(
    mode: Static | AutoScale, **options: Any
) -> tuple[Pool[Script, Res], Script, Clock]:
    """A pool of the test's shell (tests/shells.py: a Pool, or an AsyncPool driven in sync)."""
    script, clock = Script(), Clock()
    pool = make_pool(mode, script, clock=clock, **options)
    return pool, script, clock


def live(script: Script) -> list[Res]:
    return [resource for resource in script.made if not resource.closed]


# Options ----------------------------------------------------------------------


@both_shells
@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"max_lifetime": 0}, ValueError),
        ({"max_lifetime": -1.0}, ValueError),
        ({"max_lifetime": float("inf")}, ValueError),
        ({"max_lifetime": float("nan")}, ValueError),
        ({"max_lifetime": "10"}, TypeError),
        ({"max_lifetime": True}, TypeError),
        ({"max_idle": 0.0}, ValueError),
        ({"max_lifetime": 1, "lifetime_jitter": 1.0}, ValueError),
        ({"max_lifetime": 1, "lifetime_jitter": -0.1}, ValueError),
        ({"max_lifetime": 1, "lifetime_jitter": "a"}, TypeError),
        ({"max_lifetime": 1, "clock": 3}, TypeError),
        ({"check": "ping"}, TypeError),
        ({"check": bool, "recheck_after": -1.0}, ValueError),
        ({"check": bool, "recheck_after": float("inf")}, ValueError),
        ({"check": bool, "recheck_after": "1"}, TypeError),
        ({"maintain_every": 0}, ValueError),
        ({"maintain_every": "1"}, TypeError),
        # An int too large for a float is infinite: refused, not OverflowError.
        ({"max_lifetime": 10**400}, ValueError),
        ({"max_idle": 10**400}, ValueError),
        ({"maintain_every": 10**400}, ValueError),
        ({"check": bool, "recheck_after": 10**400}, ValueError),
    ],
)
def test_bad_options_are_refused_with_a_clear_error(
    options: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        make_pool(AutoScale(initial=0, maximum=2), Script(), **options)


@both_shells
def test_max_idle_is_refused_for_a_static_pool() -> None:
    with pytest.raises(ValueError, match="max_idle needs AutoScale"):
        make_pool(Static(count=2), Script(), max_idle=1.0)


def test_every_option_off_keeps_the_plain_pool() -> None:
    pool = Pool(Res, Static(count=1), Script())
    assert type(pool) is Pool
    assert pool._lifecycle is None
    assert pool.maintain() == 0


# Max lifetime -----------------------------------------------------------------


@both_shells
@pytest.mark.parametrize("mode", [Static(count=2), AutoScale(initial=2, maximum=2)])
def test_an_expired_resource_is_replaced_when_handed_out(mode: Static | AutoScale) -> None:
    pool, _script, clock = lifecycle_pool(mode, max_lifetime=10.0, lifetime_jitter=0.0)
    guard = pool.get()
    assert guard is not None
    old = guard.resource
    guard.release()
    clock.now = 9.9
    guard = pool.get()
    assert guard is not None and guard.resource is old  # not yet
    guard.release()
    clock.now = 10.0
    guard = pool.get()
    assert guard is not None
    assert guard.resource is not old and old.closed
    stats = pool.stats()
    assert (stats.expired, stats.discarded, stats.capacity, stats.in_use) == (1, 1, 2, 1)
    # The fresh resource's lifetime starts at its creation.
    guard.release()
    clock.now = 19.9
    again = pool.get()
    assert again is not None and not again.resource.closed
    assert pool.stats().expired == 1


@both_shells
def test_a_held_resource_is_never_discarded_however_old() -> None:
    pool, script, clock = lifecycle_pool(
        AutoScale(initial=1, maximum=3), max_lifetime=1.0, lifetime_jitter=0.0, max_idle=1.0
    )
    guard = pool.get()
    assert guard is not None
    held = guard.resource
    clock.now = 100.0
    for _ in range(3):
        other = pool.get()
        assert other is not None and other.resource is not held
        other.release()
    pool.maintain()
    assert not held.closed
    assert guard.resource is held
    guard.release()  # comes back expired: discarded then, never while held
    assert held in script.closed
    fresh = pool.get()
    assert fresh is not None and fresh.resource is not held and held.closed


@both_shells
def test_jitter_spreads_the_deadlines_of_resources_made_together() -> None:
    pool, _, _ = lifecycle_pool(
        AutoScale(initial=50, maximum=50), max_lifetime=100.0, lifetime_jitter=0.5
    )
    assert pool._lifecycle is not None
    deadlines = list(pool._lifecycle.deadlines.values())
    assert len(deadlines) == 50
    assert all(50.0 <= deadline <= 100.0 for deadline in deadlines)
    assert len(set(deadlines)) > 40  # not all at once
    assert max(deadlines) - min(deadlines) > 10.0


@both_shells
def test_without_jitter_every_deadline_is_the_full_lifetime() -> None:
    pool, _, _ = lifecycle_pool(Static(count=5), max_lifetime=7.0, lifetime_jitter=0.0)
    assert pool._lifecycle is not None
    assert set(pool._lifecycle.deadlines.values()) == {7.0}


def test_the_expired_resources_capacity_goes_to_a_waiter() -> None:
    pool, _script, clock = lifecycle_pool(Static(count=1), max_lifetime=5.0, lifetime_jitter=0.0)
    guard = pool.get()
    assert guard is not None
    old = guard.resource
    served: list[Res] = []
    waiter = threading.Thread(target=lambda: served.append(pool.acquire(10.0).resource))
    waiter.start()
    while not pool._waiters:
        threading.Event().wait(0.001)
    clock.now = 6.0
    guard.release()  # expired: discarded and replaced, the replacement to the head
    waiter.join(10.0)
    assert served and served[0] is not old and old.closed
    assert pool.stats().expired == 1


@both_shells
def test_close_raising_on_an_expired_resource_is_a_warning_and_the_get_goes_on() -> None:
    pool, script, clock = lifecycle_pool(Static(count=1), max_lifetime=1.0, lifetime_jitter=0.0)
    clock.now = 2.0
    script.close_plan[:] = ["raise"]
    with pytest.warns(RuntimeWarning, match="expired or idle"):
        guard = pool.get()
    assert guard is not None and not guard.resource.closed
    assert pool.stats().capacity == 1


@both_shells
def test_a_failed_renewal_gives_the_unit_back_as_spare_capacity() -> None:
    pool, script, clock = lifecycle_pool(Static(count=1), max_lifetime=1.0, lifetime_jitter=0.0)
    clock.now = 2.0
    script.new_plan[:] = ["raise"]
    with pytest.raises(Boom):
        pool.get()
    stats = pool.stats()
    assert (stats.capacity, stats.idle, stats.in_use, stats.failed) == (0, 0, 0, 1)
    guard = pool.get()  # the spare unit is recreated on demand
    assert guard is not None and pool.stats().capacity == 1


# Expiry when a resource comes back ------------------------------------------------


def expired_guard(
    mode: Static | AutoScale, **options: Any
) -> tuple[Pool[Script, Res], Script, Clock, PoolGuard[Res]]:
    """A pool with max_lifetime=10 (no jitter), and a guard held past its resource's deadline."""
    pool, script, clock = lifecycle_pool(mode, max_lifetime=10.0, lifetime_jitter=0.0, **options)
    guard = pool.get()
    assert guard is not None
    clock.now = 10.0
    return pool, script, clock, guard


@both_shells
def test_an_expired_resource_given_back_is_discarded_and_replaced_under_static() -> None:
    pool, script, _clock, guard = expired_guard(Static(count=2))
    old = guard.resource
    assert old not in script.closed  # held past its deadline, never discarded while held
    guard.release()
    assert old in script.closed and old in script.resets  # reset first, then discarded
    stats = pool.stats()
    assert (stats.expired, stats.discarded, stats.created) == (1, 1, 3)
    assert (stats.capacity, stats.idle, stats.in_use) == (2, 2, 0)
    assert old not in [item for item in pool._free]  # never idle
    assert guard.released
    guard.release()  # a second release does nothing
    assert pool.stats().expired == 1


@both_shells
def test_an_expired_resource_given_back_frees_its_unit_under_autoscale() -> None:
    pool, script, _clock, guard = expired_guard(AutoScale(initial=1, maximum=2))
    old = guard.resource
    guard.release()
    assert old.closed
    stats = pool.stats()
    assert (stats.expired, stats.capacity, stats.idle, stats.created) == (1, 0, 0, 1)
    fresh = pool.get()  # the spare unit makes a fresh resource on demand
    assert fresh is not None and fresh.resource is not old and not fresh.resource.closed
    assert len(live(script)) == 1


@both_shells
def test_a_resource_given_back_before_its_deadline_goes_idle() -> None:
    pool, _script, clock, guard = expired_guard(Static(count=1))
    clock.now = 9.9
    old = guard.resource
    guard.release()
    assert not old.closed and pool.stats().expired == 0
    again = pool.get()
    assert again is not None and again.resource is old


@both_shells
def test_an_expired_resource_whose_reset_fails_counts_as_a_failed_reset() -> None:
    pool, script, _clock, guard = expired_guard(Static(count=1))
    script.reset_plan[:] = ["false"]
    old = guard.resource
    guard.release()
    stats = pool.stats()
    assert old.closed and (stats.expired, stats.discarded, stats.idle) == (0, 1, 1)


@both_shells
def test_a_reset_that_raises_on_an_expired_resource_raises_as_always() -> None:
    pool, script, _clock, guard = expired_guard(Static(count=1))
    script.reset_plan[:] = ["raise"]
    with pytest.raises(Boom):
        guard.release()
    stats = pool.stats()
    assert (stats.expired, stats.discarded, stats.capacity, stats.idle) == (0, 1, 1, 1)


def test_an_expired_resources_unit_goes_to_a_waiter_when_given_back() -> None:
    pool, _script, _clock, guard = expired_guard(AutoScale(initial=1, maximum=1))
    old = guard.resource
    served: list[PoolGuard[Res]] = []
    waiter = threading.Thread(target=lambda: served.append(pool.acquire(10.0)))
    waiter.start()
    while not pool._waiters:
        threading.Event().wait(0.001)
    guard.release()  # the unit is spare and the head waiter rung: it grows
    waiter.join(10.0)
    assert served and served[0].resource is not old and old.closed
    assert pool.stats().expired == 1
    # The waiter's guard was handed out by the head's take: it expires too.
    fresh = served[0].resource
    assert pool._lifecycle is not None
    pool._lifecycle.clock = lambda: 100.0
    served[0].release()
    assert fresh.closed and pool.stats().expired == 2


@both_shells
def test_close_raising_on_an_expired_resource_given_back_is_a_warning() -> None:
    pool, script, _clock, guard = expired_guard(Static(count=1))
    script.close_plan[:] = ["raise"]
    with pytest.warns(RuntimeWarning, match="expired or idle"):
        guard.release()
    stats = pool.stats()
    assert (stats.expired, stats.discarded, stats.capacity, stats.idle) == (1, 1, 1, 1)


@both_shells
def test_a_failed_replacement_of_an_expired_resource_is_a_warning_and_the_unit_spare() -> None:
    pool, script, _clock, guard = expired_guard(Static(count=1))
    script.new_plan[:] = ["raise"]
    with pytest.warns(RuntimeWarning, match="replacing an expired resource"):
        guard.release()
    stats = pool.stats()
    assert (stats.expired, stats.failed, stats.capacity, stats.idle) == (1, 1, 0, 0)
    again = pool.get()  # the spare unit is recreated on demand
    assert again is not None and pool.stats().capacity == 1


@both_shells
def test_an_interrupted_close_of_an_expired_resource_given_back_loses_nothing() -> None:
    pool, script, _clock, guard = expired_guard(Static(count=1))
    script.close_plan[:] = ["interrupt"]
    with pytest.raises(KeyboardInterrupt):
        guard.release()
    # No replacement while a KeyboardInterrupt is on its way: the unit is an orphan, spare.
    stats = pool.stats()
    assert (stats.expired, stats.discarded, stats.capacity) == (1, 1, 0)
    again = pool.get()  # adopts the unit and recreates a resource
    assert again is not None and pool.stats().capacity == 1


@both_shells
def test_a_closed_pool_discards_an_expired_resource_given_back_as_any_other() -> None:
    pool, _script, _clock, guard = expired_guard(Static(count=1))
    pool.close()
    old = guard.resource
    guard.release()
    stats = pool.stats()
    assert old.closed and (stats.expired, stats.capacity, stats.idle) == (0, 0, 0)


@both_shells
def test_with_leak_detection_too_an_expired_resource_given_back_is_discarded() -> None:
    pool, _script, _clock, guard = expired_guard(Static(count=1), leak_threshold=60.0)
    old = guard.resource
    with guard:
        pass
    stats = pool.stats()
    assert old.closed and (stats.expired, stats.capacity, stats.idle) == (1, 1, 1)
    assert pool._watch is not None and all(not r.box for r in pool._watch.records)


def test_without_max_lifetime_the_guard_is_the_plain_one() -> None:
    pool, _script, _clock = lifecycle_pool(Static(count=1), check=bool)
    guard = pool.get()
    assert guard is not None and type(guard) is PoolGuard


def test_an_asyncio_waiters_expired_resource_is_discarded_when_given_back() -> None:
    pool, _script, clock, guard = expired_guard(Static(count=1))
    clock.now = 0.0

    async def main() -> Res:
        loop = asyncio.get_running_loop()
        loop.call_soon(guard.release)  # not expired: idle, and the waiter is served
        async_guard = await pool.acquire_async(10.0)
        clock.now = 10.0
        resource = async_guard.resource
        async_guard.release()
        return resource

    resource = asyncio.run(main())
    assert resource.closed and pool.stats().expired == 1


# Idle eviction ----------------------------------------------------------------


def grown(
    maximum: int = 4, initial: int = 1, **options: Any
) -> tuple[Pool[Script, Res], Script, Clock]:
    """An AutoScale pool grown to `maximum`, everything idle, at time 0."""
    pool, script, clock = lifecycle_pool(
        AutoScale(initial=initial, maximum=maximum), max_idle=10.0, **options
    )
    guards = [pool.get() for _ in range(maximum)]
    for guard in guards:
        assert guard is not None
        guard.release()
    return pool, script, clock


@both_shells
def test_maintain_evicts_idle_resources_down_to_the_floor() -> None:
    pool, script, clock = grown()
    pool.maintain()  # the cold end is first seen idle now
    clock.now = 9.9
    assert pool.maintain() == 0
    clock.now = 10.0
    assert pool.maintain() == 3
    stats = pool.stats()
    assert (stats.capacity, stats.idle, stats.evicted, stats.discarded) == (1, 1, 3, 3)
    assert len(live(script)) == 1
    clock.now = 100.0
    assert pool.maintain() == 0  # the floor (initial) stays


@both_shells
def test_evicted_capacity_is_spare_again_and_the_pool_grows_back() -> None:
    pool, script, clock = grown()
    pool.maintain()
    clock.now = 10.0
    pool.maintain()
    guards = [pool.get() for _ in range(4)]
    assert all(guard is not None for guard in guards)
    assert pool.get() is None  # and no further: the bound holds
    assert pool.stats().capacity == 4
    assert len(live(script)) == 4


@both_shells
def test_each_get_evicts_at_most_one_idle_resource() -> None:
    pool, _script, clock = grown()
    guard = pool.get()  # its sweep step marks the cold end
    assert guard is not None
    guard.release()
    clock.now = 10.0
    counts = []
    for _ in range(4):
        guard = pool.get()
        assert guard is not None
        guard.release()
        counts.append(pool.stats().evicted)
    assert counts == [1, 2, 3, 3]


@both_shells
def test_a_resource_used_recently_keeps_the_pool_from_shrinking_below_demand() -> None:
    pool, _script, clock = grown(maximum=3, initial=0)
    pool.maintain()
    for step in range(1, 4):
        clock.now = step * 9.0
        guards = [pool.get() for _ in range(3)]  # all three in use every 9 s
        for guard in guards:
            assert guard is not None
            guard.release()
    assert pool.stats().evicted == 0


@both_shells
def test_nothing_is_evicted_while_callers_wait() -> None:
    pool, _script, clock = grown(maximum=2, initial=0)
    pool.maintain()
    clock.now = 50.0
    pool._waiters.append(object())  # stands for a parked caller
    try:
        assert pool.maintain() == 0
    finally:
        pool._waiters.clear()
    assert pool.maintain() == 2


@both_shells
def test_close_raising_during_eviction_is_a_warning_and_the_unit_is_spare() -> None:
    pool, script, clock = grown(maximum=2, initial=0)
    pool.maintain()
    clock.now = 10.0
    script.close_plan[:] = ["raise"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert pool.maintain() == 2
    assert [type(w.message) for w in caught] == [RuntimeWarning]
    stats = pool.stats()
    assert (stats.capacity, stats.evicted) == (0, 2)


@both_shells
def test_an_interrupted_close_during_eviction_loses_no_capacity() -> None:
    pool, script, clock = grown(maximum=2, initial=0)
    pool.maintain()
    clock.now = 10.0
    script.close_plan[:] = ["interrupt"]
    with pytest.raises(KeyboardInterrupt):
        pool.maintain()
    stats = pool.stats()
    # The unit of the resource whose close() was interrupted is spare (an orphan).
    assert stats.capacity == 1 and stats.idle == 1
    assert pool.maintain() == 1
    assert pool.stats().capacity == 0


# Check on borrow -------------------------------------------------------------------


class Checker:
    """A check that fails for the resources in `dead`, counting what it is asked."""

    def __init__(self) -> None:
        self.dead: set[int] = set()
        self.asked: list[int] = []
        self.answer: object = None  # if set, returned instead of the verdict

    def __call__(self, resource: Res) -> bool:
        self.asked.append(resource.id)
        if self.answer is not None:
            return self.answer  # type: ignore[return-value]  # a buggy check, on purpose
        return resource.id not in self.dead


@both_shells
@pytest.mark.parametrize("mode", [Static(count=2), AutoScale(initial=2, maximum=2)])
def test_a_resource_that_fails_its_check_is_discarded_and_replaced(
    mode: Static | AutoScale,
) -> None:
    checker = Checker()
    pool, _script, _ = lifecycle_pool(mode, check=checker)
    guard = pool.get()
    assert guard is not None
    dead = guard.resource
    guard.release()
    checker.dead.add(dead.id)
    guard = pool.get()
    assert guard is not None
    assert guard.resource is not dead and dead.closed
    assert dead not in list(pool._free)  # never put back
    assert checker.asked == [dead.id, dead.id]  # the fresh one is not checked
    stats = pool.stats()
    assert (stats.checks_failed, stats.discarded, stats.capacity, stats.in_use) == (1, 1, 2, 1)


@both_shells
def test_a_check_that_always_fails_never_loops() -> None:
    checker = Checker()
    checker.answer = False
    pool, script, _ = lifecycle_pool(AutoScale(initial=3, maximum=3), check=checker)
    guard = pool.get()
    assert guard is not None and not guard.resource.closed
    assert len(checker.asked) == 1  # one check, one discard, one new()
    assert pool.stats().checks_failed == 1 and len(script.made) == 4


@both_shells
@pytest.mark.parametrize("answer", [1, "yes"])
def test_a_check_that_returns_no_bool_fails(answer: object) -> None:
    checker = Checker()
    checker.answer = answer
    pool, _, _ = lifecycle_pool(Static(count=1), check=checker)
    guard = pool.get()
    assert guard is not None and guard.resource.id == 1
    assert pool.stats().checks_failed == 1


@both_shells
def test_a_check_that_raises_fails_and_the_get_goes_on() -> None:
    def check(resource: Res) -> bool:
        raise Boom("ping")

    pool, _, _ = lifecycle_pool(Static(count=1), check=check)
    guard = pool.get()
    assert guard is not None and guard.resource.id == 1
    assert pool.stats().checks_failed == 1


@both_shells
def test_recheck_after_skips_the_check_of_a_resource_handed_out_recently() -> None:
    checker = Checker()
    pool, _, clock = lifecycle_pool(Static(count=1), check=checker, recheck_after=2.0)
    for now in (0.0, 1.0, 2.5, 3.0, 5.0):
        clock.now = now
        guard = pool.get()
        assert guard is not None
        guard.release()
    # Checked at 0; skipped at 1 (1 s after 0), 2.5 (1.5 s after 1), 3 (0.5 s after
    # 2.5); checked at 5 (2 s after 3).
    assert checker.asked == [0, 0]
    # What the window hides: a resource that died within it is handed out.
    checker.dead.add(0)
    clock.now = 6.0
    guard = pool.get()
    assert guard is not None and guard.resource.id == 0
    guard.release()
    clock.now = 8.0
    guard = pool.get()
    assert guard is not None and guard.resource.id == 1
    guard.release()


@both_shells
def test_a_passed_check_is_stamped_only_for_recheck_after() -> None:
    """The hand-out stamp has one reader, recheck_after: without it none is kept."""
    for recheck_after, stamps in ((0.0, 0), (2.0, 1)):
        pool, _, _ = lifecycle_pool(Static(count=1), check=Checker(), recheck_after=recheck_after)
        guard = pool.get()
        assert guard is not None
        guard.release()
        life = pool._lifecycle
        assert life is not None and len(life.handed_out) == stamps


def test_a_failed_checks_capacity_goes_to_a_waiter() -> None:
    checker = Checker()
    pool, _, _ = lifecycle_pool(Static(count=1), check=checker)
    guard = pool.get()
    assert guard is not None
    dead = guard.resource
    served: list[Res] = []
    waiter = threading.Thread(target=lambda: served.append(pool.acquire(10.0).resource))
    waiter.start()
    while not pool._waiters:
        threading.Event().wait(0.001)
    checker.dead.add(dead.id)
    guard.release()  # the head checks it, discards it and makes its own
    waiter.join(10.0)
    assert served and served[0] is not dead and dead.closed
    assert pool.stats().checks_failed == 1


@both_shells
def test_an_interrupted_check_loses_nothing() -> None:
    def check(resource: Res) -> bool:
        raise KeyboardInterrupt

    pool, _, _ = lifecycle_pool(Static(count=1), check=check)
    with pytest.raises(KeyboardInterrupt):
        pool.get()
    # The guard was never handed out: check_out's handler gave its resource
    # to the orphans at once, not through the guard's finalizer.
    assert len(pool._orphans) == 1
    stats = pool.stats()
    assert (stats.capacity, stats.in_use + stats.idle) == (1, 1)
    pool._lifecycle.check = None  # type: ignore[union-attr]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)  # no collected guard to warn of
        guard = pool.get()  # adopts the orphan on its way
    assert guard is not None and guard.resource.id == 0


# The background maintainer -----------------------------------------------------------


def maintainers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("rpool maintainer")]


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Poll `condition` until true or `seconds` pass (the thread runs on real time)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


def test_no_thread_is_started_unless_asked() -> None:
    before = maintainers()
    pool, _, _ = lifecycle_pool(AutoScale(initial=0, maximum=2), max_idle=1.0)
    assert maintainers() == before
    pool.close()


def test_the_maintainer_evicts_idle_resources_and_close_stops_it() -> None:
    pool, _script, clock = lifecycle_pool(
        AutoScale(initial=1, maximum=3), max_idle=1.0, maintain_every=0.005
    )
    thread = pool._lifecycle.maintainer.thread  # type: ignore[union-attr]
    assert thread is not None and thread.daemon and thread.is_alive()
    guards = [pool.get() for _ in range(3)]
    for guard in guards:
        assert guard is not None
        guard.release()
    assert wait_for(lambda: pool._lifecycle.idle_since != {})  # type: ignore[union-attr]
    clock.now = 5.0
    assert wait_for(lambda: pool.stats().evicted == 2)
    assert pool.stats().capacity == 1  # the floor stays
    pool.close()
    thread.join(10.0)
    assert not thread.is_alive()


def test_close_wakes_a_maintainer_that_would_sleep_long() -> None:
    pool, _, _ = lifecycle_pool(AutoScale(initial=0, maximum=2), max_idle=1.0, maintain_every=600.0)
    thread = pool._lifecycle.maintainer.thread  # type: ignore[union-attr]
    assert thread is not None and thread.is_alive()
    pool.close()
    thread.join(10.0)
    assert not thread.is_alive()  # not 600 s later


def test_a_collected_pool_ends_its_maintainer() -> None:
    pool, _, _ = lifecycle_pool(AutoScale(initial=0, maximum=2), max_idle=1.0, maintain_every=0.005)
    thread = pool._lifecycle.maintainer.thread  # type: ignore[union-attr]
    assert thread is not None
    del pool
    gc.collect()
    thread.join(10.0)
    assert not thread.is_alive()


def test_the_maintainer_reports_what_maintain_raises_and_goes_on() -> None:
    class FlakyClock(Clock):
        """Raises on the next `fails` reads, then reads as usual."""

        fails = 0
        reads = 0

        def __call__(self) -> float:
            self.reads += 1
            if self.fails:
                self.fails -= 1
                raise Boom("clock")
            return self.now

    clock = FlakyClock()
    pool = Pool(
        Res,
        AutoScale(initial=0, maximum=2),
        Script(),
        max_idle=1.0,
        clock=clock,
        maintain_every=0.005,
    )
    guard = pool.get()
    assert guard is not None
    guard.release()  # something idle: maintain() reads the clock
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clock.fails = 1
        assert wait_for(lambda: clock.fails == 0)
        reads = clock.reads
        assert wait_for(lambda: clock.reads > reads + 2)  # it went on
    pool.close()
    assert any("maintain() raised Boom('clock')" in str(w.message) for w in caught)


# Threads ----------------------------------------------------------------------


def test_threads_sweeping_and_expiring_keep_the_bound_and_never_discard_a_held_resource() -> None:
    clock = Clock()
    script = Script()
    maximum = 4
    pool = Pool(
        Res,
        AutoScale(initial=1, maximum=maximum),
        script,
        max_lifetime=3.0,
        max_idle=1.0,
        clock=clock,
    )
    errors: list[str] = []
    stop = threading.Event()

    def client() -> None:
        for _ in range(400):
            guard = pool.get()
            if guard is None:
                continue
            resource = guard.resource
            if resource.closed:
                errors.append(f"handed out a closed {resource!r}")
            if sum(not r.closed for r in list(script.made)) > maximum:
                errors.append("more live resources than the maximum")
            clock.now += 0.01
            if resource.closed:
                errors.append(f"{resource!r} was discarded while held")
            guard.release()

    def sweeper() -> None:
        while not stop.is_set():
            pool.maintain()

    threads = [threading.Thread(target=client) for _ in range(4)]
    sweeping = threading.Thread(target=sweeper)
    sweeping.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    sweeping.join()
    assert not errors, errors[:5]
    stats = pool.stats()
    assert stats.in_use == 0 and stats.creating == 0
    assert stats.capacity == stats.idle == len(live(script)) <= maximum
    assert stats.expired + stats.evicted > 0


# resize() --------------------------------------------------------------------------


def live_count(script: Script) -> int:
    return len(live(script))


@pytest.mark.parametrize("bound", [0, -1])
def test_resize_refuses_a_bound_below_one(bound: int) -> None:
    pool = Pool(Res, Static(count=2), Script())
    with pytest.raises(ValueError, match="at least 1"):
        pool.resize(bound)


def test_resize_refuses_bad_input_and_states() -> None:
    pool = Pool(Res, AutoScale(initial=2, maximum=4), Script())
    with pytest.raises(TypeError):
        pool.resize(True)
    with pytest.raises(TypeError):
        pool.resize("3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 2"):
        pool.resize(1)  # below initial
    with pytest.raises(ValueError, match="unbounded"):
        Pool(Res, AutoScale(initial=0), Script()).resize(3)
    assert pool._lifecycle is not None
    token = pool._lifecycle.resizing.pop()  # as if another resize() were running
    with pytest.raises(RuntimeError, match="in progress"):
        pool.resize(3)
    pool._lifecycle.resizing.append(token)
    pool.close()
    with pytest.raises(PoolClosedError):
        pool.resize(3)


@pytest.mark.parametrize(
    "mode",
    [
        Static(count=2),
        AutoScale(initial=1, maximum=4),
        AutoScale(initial=1, maximum=4, chunk_size=0),
    ],
)
def test_a_raise_that_needs_too_many_spare_chunks_is_refused_and_changes_nothing(
    mode: Static | AutoScale,
) -> None:
    # Spare capacity is kept chunk by chunk: unrefused, resize(2**40) would
    # append a trillion grants (and 10**400 would never end).
    pool = Pool(Res, mode, Script())
    before = pool.stats(), pool._mode, len(pool._free)
    for bound in (MAX_GRANTS + 10, 2**40, 10**400):
        with pytest.raises(ValueError, match="spare chunks"):
            pool.resize(bound)
        assert (pool.stats(), pool._mode, len(pool._free)) == before
    pool.resize(8)  # the tokens were given back: resize() still works
    assert pool._maximum == 8 and pool.stats().resizes == 1
    pool.close()


def test_a_resize_waits_for_a_debt_payment_in_progress_and_then_runs() -> None:
    pool, _, _ = lifecycle_pool(Static(count=2))
    pool.resize(3)
    assert pool._lifecycle is not None
    token = pool._lifecycle.paying.pop()  # as if a payment were under way
    resizing = threading.Thread(target=pool.resize, args=(1,))
    resizing.start()
    time.sleep(0.05)
    assert resizing.is_alive()  # waiting, not failing
    pool._lifecycle.paying.append(token)
    resizing.join(10.0)
    assert not resizing.is_alive()
    assert pool.stats().capacity == 1 and pool.stats().resizes == 2


@both_shells
@pytest.mark.parametrize("mode", [Static(count=2), AutoScale(initial=0, maximum=2, chunk_size=2)])
def test_raising_the_bound_makes_room_at_once(mode: Static | AutoScale) -> None:
    pool, script, _ = lifecycle_pool(mode)
    pool.resize(5)
    guards = [pool.get() for _ in range(5)]
    assert all(guard is not None for guard in guards)
    assert pool.get() is None
    stats = pool.stats()
    assert (stats.capacity, stats.resizes) == (5, 1)
    assert live_count(script) == 5
    assert pool.mode == (Static(5) if isinstance(mode, Static) else AutoScale(0, 5, 2))


@both_shells
def test_lowering_discards_idle_now_and_the_rest_as_it_comes_back() -> None:
    pool, script, _ = lifecycle_pool(Static(count=4))
    guards = [pool.get() for _ in range(3)]
    pool.resize(1)
    # The idle one went at once; three are in use, none discarded.
    assert live_count(script) == 3
    assert all(guard is not None and not guard.resource.closed for guard in guards)
    assert pool.stats().capacity == 3  # within the old bound meanwhile
    assert pool.get() is None  # nothing beyond what is alive
    for guard in guards:
        assert guard is not None
        guard.release()
    assert live_count(script) == 3  # back idle: retired by later calls
    assert pool.maintain() == 2
    assert live_count(script) == 1 and pool.stats().capacity == 1
    first = pool.get()
    assert first is not None and pool.get() is None


@both_shells
def test_each_get_pays_one_unit_of_debt() -> None:
    pool, script, _ = lifecycle_pool(Static(count=4))
    guards = [pool.get() for _ in range(4)]
    pool.resize(2)
    for guard in guards:
        assert guard is not None
        guard.release()
    counts = []
    for _ in range(3):
        guard = pool.get()
        assert guard is not None
        guard.release()
        counts.append(live_count(script))
    assert counts == [3, 2, 2]


@both_shells
def test_a_raise_after_a_lowering_cancels_the_debt_first() -> None:
    pool, script, _ = lifecycle_pool(Static(count=4))
    guards = [pool.get() for _ in range(4)]
    pool.resize(2)  # two units of debt
    pool.resize(3)  # one cancelled: no new capacity
    assert pool.get() is None
    for guard in guards:
        assert guard is not None
        guard.release()
    pool.maintain()
    assert live_count(script) == 3 and pool.stats().capacity == 3
    pool.resize(4)
    assert pool.stats().capacity == 3  # the fourth is spare until needed
    assert [pool.get() is not None for _ in range(1)] == [True]


@both_shells
def test_a_discarded_resource_pays_the_debt_with_its_unit() -> None:
    pool, script, _ = lifecycle_pool(AutoScale(initial=0, maximum=3))
    guards = [pool.get() for _ in range(3)]
    pool.resize(1)
    script.reset_plan[:] = ["false"]
    assert guards[0] is not None
    guards[0].release()  # reset fails: discarded, its unit retires a unit of debt
    assert live_count(script) == 2 and pool.stats().capacity == 2
    for guard in guards[1:]:
        assert guard is not None
        guard.release()
    pool.maintain()
    assert pool.stats().capacity == 1


def test_a_raise_serves_a_waiter() -> None:
    pool, _, _ = lifecycle_pool(Static(count=1))
    held = pool.get()
    served: list[Res] = []
    waiter = threading.Thread(target=lambda: served.append(pool.acquire(10.0).resource))
    waiter.start()
    assert wait_for(lambda: bool(pool._waiters))
    pool.resize(2)
    waiter.join(10.0)
    assert served and held is not None and served[0] is not held.resource


def test_threads_resizing_never_exceed_the_greatest_bound() -> None:
    script = Script()
    pool = Pool(Res, AutoScale(initial=1, maximum=4), script)
    errors: list[str] = []
    stop = threading.Event()

    def client() -> None:
        for _ in range(300):
            guard = pool.get()
            if guard is not None:
                if live_count(script) > 4:
                    errors.append(f"{live_count(script)} alive")
                if guard.resource.closed:
                    errors.append("handed out a closed resource")
                guard.release()

    def resizer() -> None:
        bounds = [1, 4, 2, 3]
        step = 0
        while not stop.is_set():
            pool.resize(bounds[step % 4])
            step += 1

    threads = [threading.Thread(target=client) for _ in range(3)]
    resizing = threading.Thread(target=resizer)
    resizing.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    resizing.join()
    pool.resize(2)
    pool.maintain()
    assert not errors, errors[:5]
    stats = pool.stats()
    assert stats.capacity == stats.idle == live_count(script) <= 2
