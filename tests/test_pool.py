"""Behaviour of `Pool`: scaling, reuse, failures, close and stats."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from rpool import AutoScale, Pool, PoolClosedError, PoolGuard, Static

from .resources import Boom, Plain, Res, Script


def make(mode: Static | AutoScale, script: Script | None = None) -> Pool[Script, Res]:
    return Pool(Res, mode, script if script is not None else Script())


def take(pool: Pool[Script, Res], n: int) -> list[PoolGuard[Res]]:
    guards = [pool.get() for _ in range(n)]
    held = [g for g in guards if g is not None]
    assert len(held) == n, f"expected {n} resources, got {len(held)}"
    return held


def assert_accounting(pool: Pool[Script, Res]) -> None:
    s = pool.stats()
    assert s.capacity == s.idle + s.in_use + s.creating
    assert s.capacity == s.created - s.discarded + s.creating


# Static


def test_static_creates_count_resources_up_front() -> None:
    script = Script()
    pool = make(Static(3), script)
    assert len(script.made) == 3
    s = pool.stats()
    assert (s.capacity, s.idle, s.in_use, s.created) == (3, 3, 0, 3)


def test_static_returns_none_when_all_are_in_use() -> None:
    pool = make(Static(2))
    held = take(pool, 2)
    assert pool.get() is None
    assert pool.stats().misses == 1
    held[0].release()
    assert pool.get() is not None


def test_idle_resources_are_reused_last_in_first_out() -> None:
    pool = make(Static(3))
    a, b, c = take(pool, 3)
    order = [a.resource, c.resource, b.resource]
    for guard in (a, c, b):
        guard.release()
    assert [pool.get().resource for _ in range(3)] == order[::-1]  # type: ignore[union-attr]


def test_static_replaces_a_resource_whose_reset_returns_false() -> None:
    script = Script(reset_plan=["false"])
    pool = make(Static(2), script)
    (guard,) = take(pool, 1)
    old = guard.resource
    guard.release()
    assert old.closed
    assert len(script.made) == 3
    s = pool.stats()
    assert (s.capacity, s.idle, s.discarded) == (2, 2, 1)
    assert_accounting(pool)


def test_static_replaces_a_resource_whose_reset_raises_and_propagates_it() -> None:
    script = Script(reset_plan=["raise"])
    pool = make(Static(1), script)
    (guard,) = take(pool, 1)
    with pytest.raises(Boom, match="reset"):
        guard.release()
    assert guard.released
    assert script.made[0].closed
    assert pool.stats().idle == 1
    assert_accounting(pool)


def test_static_recreates_on_demand_when_the_replacement_fails() -> None:
    script = Script(reset_plan=["false"], new_plan=["ok", "raise"])
    pool = make(Static(1), script)
    (guard,) = take(pool, 1)
    with pytest.raises(Boom, match="new"):
        guard.release()
    s = pool.stats()
    assert (s.capacity, s.idle, s.failed) == (0, 0, 1)
    assert_accounting(pool)
    again = pool.get()
    assert again is not None and again.resource is script.made[-1]
    assert pool.stats().capacity == 1


def test_static_never_exceeds_count() -> None:
    script = Script(reset_plan=["false"] * 5)
    pool = make(Static(2), script)
    for _ in range(5):
        for guard in take(pool, 2):
            guard.release()
        assert pool.stats().capacity <= 2
    _held = take(pool, 2)
    assert pool.get() is None


# AutoScale


def test_autoscale_grows_by_chunk_and_keeps_one_for_the_caller() -> None:
    script = Script()
    pool = make(AutoScale(initial=0, maximum=10, chunk_size=4), script)
    guard = pool.get()
    assert guard is not None
    s = pool.stats()
    assert (s.capacity, s.idle, s.in_use) == (4, 3, 1)
    assert guard.resource is script.made[-1]


def test_autoscale_chunk_is_clamped_to_maximum() -> None:
    pool = make(AutoScale(initial=0, maximum=6, chunk_size=4))
    _held = take(pool, 6)
    assert pool.stats().capacity == 6
    assert pool.get() is None


def test_autoscale_doubling_starts_from_one() -> None:
    pool = make(AutoScale(initial=0, maximum=None, chunk_size=0))
    capacities = []
    held = []
    for _ in range(9):
        held.append(pool.get())
        capacities.append(pool.stats().capacity)
    assert capacities == [1, 2, 4, 4, 8, 8, 8, 8, 16]


def test_autoscale_doubling_bounded_clamps_the_last_step() -> None:
    pool = make(AutoScale(initial=3, maximum=10, chunk_size=0))
    assert list(AutoScale(initial=3, maximum=10, chunk_size=0).grants()) == [3, 4]
    _held = take(pool, 10)
    assert pool.stats().capacity == 10
    assert pool.get() is None


def test_autoscale_releases_capacity_after_a_failed_reset() -> None:
    script = Script(reset_plan=["false", "raise"])
    pool = make(AutoScale(initial=0, maximum=2, chunk_size=1), script)
    a, b = take(pool, 2)
    a.release()
    with pytest.raises(Boom):
        b.release()
    s = pool.stats()
    assert (s.capacity, s.idle, s.discarded) == (0, 0, 2)
    assert_accounting(pool)
    _held = take(pool, 2)  # the pool grows back: the original crate leaked these slots
    assert pool.get() is None


def test_failed_new_in_get_propagates_and_releases_the_reservation() -> None:
    script = Script(new_plan=["raise"])
    pool = make(AutoScale(initial=0, maximum=1, chunk_size=1), script)
    with pytest.raises(Boom, match="new"):
        pool.get()
    s = pool.stats()
    assert (s.capacity, s.creating, s.failed) == (0, 0, 1)
    assert pool.get() is not None


def test_failed_new_mid_chunk_keeps_what_was_made_and_frees_the_rest() -> None:
    script = Script(new_plan=["ok", "raise"])
    pool = make(AutoScale(initial=0, maximum=8, chunk_size=4), script)
    with pytest.raises(Boom):
        pool.get()
    s = pool.stats()
    assert (s.capacity, s.idle, s.creating) == (1, 1, 0)
    assert_accounting(pool)
    _held = take(pool, 8)
    assert pool.get() is None


def test_unbounded_pool_never_returns_none() -> None:
    pool = make(AutoScale(initial=2, maximum=None, chunk_size=3))
    held = take(pool, 50)
    assert len({g.resource.id for g in held}) == 50
    assert pool.stats().misses == 0
    assert_accounting(pool)


def test_failed_new_in_constructor_discards_what_was_created() -> None:
    script = Script(new_plan=["ok", "ok", "raise"])
    with pytest.raises(Boom):
        make(Static(5), script)
    assert [r.closed for r in script.made] == [True, True]


def test_reset_returning_a_non_bool_is_a_type_error_and_discards() -> None:
    script = Script(reset_plan=["none"])
    pool = make(AutoScale(initial=1, maximum=1), script)
    (guard,) = take(pool, 1)
    with pytest.raises(TypeError, match=r"reset\(\) must return a bool"):
        guard.release()
    assert script.made[0].closed
    assert pool.stats().capacity == 0
    assert pool.get() is not None


# close


def test_close_discards_idle_and_makes_get_raise() -> None:
    script = Script()
    pool = make(Static(3), script)
    (held,) = take(pool, 1)
    pool.close()
    assert pool.closed
    assert [r.closed for r in script.made] == [True, True, False]  # LIFO: made[2] is held
    with pytest.raises(PoolClosedError):
        pool.get()
    held.release()
    assert script.made[2].closed
    assert pool.stats().idle == 0


def test_close_is_idempotent_and_pool_is_a_context_manager() -> None:
    script = Script()
    with make(Static(2), script) as pool:
        was_open = not pool.closed
    assert was_open and pool.closed
    pool.close()
    assert len(script.closed) == 2


def test_close_reports_every_failing_close_and_discards_all() -> None:
    script = Script(close_plan=["raise", "ok", "raise"])
    pool = make(Static(3), script)
    with pytest.raises(ExceptionGroup) as info:
        pool.close()
    assert len(info.value.exceptions) == 2
    assert all(r.closed for r in script.made)


def test_resources_without_close_are_simply_dropped() -> None:
    pool = Pool(Plain, Static(2))
    guard = pool.get()
    pool.close()
    assert guard is not None
    guard.release()
    assert pool.stats().idle == 0


def test_constructor_rejects_a_bad_mode_and_a_bad_resource() -> None:
    with pytest.raises(TypeError, match="mode"):
        Pool(Plain, 3)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="new"):
        Pool(object, Static(1))  # type: ignore[call-overload]


def test_repr_names_the_resource_and_mode() -> None:
    pool = Pool(Plain, Static(1))
    assert repr(pool) == "<Pool of Plain: Static(count=1)>"
    pool.close()
    assert "closed" in repr(pool)


def test_growth_into_a_pool_closed_meanwhile_leaves_nothing_creating() -> None:
    """close() runs inside the growth's first new(); the growth's next PutIdle
    then discards into the closed pool, and that close() raises. The units of
    the chunk not yet made must not stay counted as being created."""
    script = Script()
    pool = make(AutoScale(initial=0, maximum=6, chunk_size=3), script)
    _held = take(pool, 3)  # the first chunk, all in use

    def new_then_close(context: Script) -> Res:
        resource = Res.new(context)
        if len(context.made) == 4:
            pool.close()
            script.close_plan.append("raise")  # the discard after the next PutIdle
        return resource

    pool._factory = SimpleNamespace(new=new_then_close)
    with pytest.raises(Boom, match="close"):
        pool.get()
    assert pool.stats().creating == 0


def test_growth_after_discards_uses_the_laid_out_grants_first_then_the_given_back_units() -> None:
    """The growth sizes AutoScale documents once resources have been discarded."""
    script = Script()
    pool = make(AutoScale(initial=0, maximum=8, chunk_size=0), script)
    assert list(pool._free) == [4, 2, 1, 1]
    held = take(pool, 4)
    script.reset_plan.extend(["false"] * 4)
    for guard in held:
        guard.release()
    # Each discarded resource gave back one unit, left of the laid-out grant.
    assert list(pool._free) == [1, 1, 1, 1, 4]
    first = pool.get()
    assert first is not None
    assert (pool.stats().capacity, pool.stats().idle) == (4, 3)  # grew by 4 from empty
    for _ in range(3):
        assert pool.get() is not None
    assert pool.get() is not None
    assert pool.stats().capacity == 5  # then by one given-back unit
