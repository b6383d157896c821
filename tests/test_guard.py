"""Behaviour of `PoolGuard`: release, the with statement, and garbage collection."""

from __future__ import annotations

import gc
import threading
import warnings
from typing import Any, Self

import pytest

from rpool import GuardReleasedError, Pool, PoolGuard, Static

from .resources import Res, Script


def one(pool: Pool[Script, Res]) -> PoolGuard[Res]:
    guard = pool.get()
    assert guard is not None
    return guard


def test_release_is_idempotent() -> None:
    script = Script()
    pool = Pool(Res, Static(1), script)
    guard = one(pool)
    guard.release()
    guard.release()
    assert guard.released
    assert len(script.resets) == 1
    assert pool.stats().idle == 1


def test_resource_after_release_raises() -> None:
    pool = Pool(Res, Static(1), Script())
    guard = one(pool)
    resource = guard.resource
    guard.release()
    with pytest.raises(GuardReleasedError):
        _ = guard.resource
    with pytest.raises(GuardReleasedError), guard:
        pass
    assert one(pool).resource is resource


def test_with_statement_gives_the_resource_and_releases_it() -> None:
    pool = Pool(Res, Static(1), Script())
    guard = one(pool)
    with guard as resource:
        assert isinstance(resource, Res)
        assert pool.get() is None
    assert guard.released
    assert pool.stats().idle == 1


def test_with_statement_releases_on_error() -> None:
    pool = Pool(Res, Static(1), Script())
    with pytest.raises(KeyError), one(pool):
        raise KeyError("body")
    assert pool.stats().idle == 1


def test_two_threads_releasing_one_guard_give_it_back_once() -> None:
    for _ in range(200):
        script = Script()
        pool = Pool(Res, Static(1), script)
        guard = one(pool)
        start = threading.Barrier(2)

        def release(guard: PoolGuard[Res] = guard, start: threading.Barrier = start) -> None:
            start.wait()
            guard.release()

        threads = [threading.Thread(target=release) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(script.resets) == 1
        assert pool.stats().idle == 1


def test_collected_guard_warns_and_returns_its_resource() -> None:
    script = Script()
    pool = Pool(Res, Static(1), script)
    guard = one(pool)
    resource = guard.resource
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the finalizer warns of nothing itself
        del guard
        gc.collect()
    # The reset is deferred to an ordinary call: nothing ran in the finalizer,
    # and the warning comes from that call.
    assert script.resets == []
    with pytest.warns(ResourceWarning, match="garbage-collected without release"):
        again = one(pool)
    assert again.resource is resource
    assert script.resets == [resource]


def test_orphans_are_reset_by_the_next_release() -> None:
    script = Script()
    pool = Pool(Res, Static(2), script)
    kept, lost = one(pool), one(pool)
    del lost
    with pytest.warns(ResourceWarning):
        kept.release()
    assert len(script.resets) == 2
    assert pool.stats().idle == 2


def test_close_discards_orphans_without_reset() -> None:
    script = Script()
    pool = Pool(Res, Static(1), script)
    guard = one(pool)
    del guard
    with pytest.warns(ResourceWarning):
        pool.close()
    assert script.resets == []
    assert script.made[0].closed
    s = pool.stats()
    assert (s.capacity, s.idle, s.in_use) == (0, 0, 0)


def test_orphan_whose_reset_raises_is_reported_and_discarded() -> None:
    script = Script(reset_plan=["raise"])
    pool = Pool(Res, Static(1), script)
    guard = one(pool)
    del guard
    with pytest.warns(RuntimeWarning, match="Boom"), pytest.warns(ResourceWarning):
        again = pool.get()
    assert again is not None  # the discarded resource was replaced (Static)
    assert script.made[0].closed


class Dropper:
    """A resource whose reset() drops the last reference to a guard of its own pool.

    The guard's finalizer then runs in the middle of the release that called
    reset(): the reentrancy that deadlocks a pool guarded by a plain lock.
    """

    victims: list[PoolGuard[Dropper]] = []  # noqa: RUF012  # shared on purpose

    @classmethod
    def new(cls, context: None) -> Self:
        return cls()

    def reset(self) -> bool:
        if Dropper.victims:
            Dropper.victims.pop()  # finalizer runs here
        return True


def run_with_timeout(target: object, seconds: float = 10.0) -> None:
    assert callable(target)
    errors: list[BaseException] = []

    def body() -> None:
        try:
            target()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "deadlock: the call never finished"
    if errors:
        raise errors[0]


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_finalizer_inside_release_of_the_same_pool_neither_deadlocks_nor_loses() -> None:
    # What is promised: the release finishes, nothing is lost, and the dropped
    # guard's resource is back by the next ordinary call. Where the finalizer
    # runs is not: on the GIL build at the drop, inside reset(), in the middle
    # of the release; on the free-threaded build `second` was made by this
    # thread and dropped by another, so its finalizer runs later, here, when
    # this thread next checks for pending work (biased reference counting).
    pool = Pool(Dropper, Static(3))
    first, second = pool.get(), pool.get()
    assert first is not None and second is not None
    Dropper.victims.append(second)
    del second

    def scenario() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            first.release()  # reset() drops `second`

    run_with_timeout(scenario)
    assert not Dropper.victims
    s = pool.stats()  # an orphan counts as in use until an ordinary call adopts it
    assert (s.capacity, s.idle + s.in_use) == (3, 3)
    third = pool.get()
    assert third is not None
    third.release()  # adopts the orphan, if the release above did not
    s = pool.stats()
    assert (s.capacity, s.idle, s.in_use) == (3, 3, 0)


def test_guards_in_reference_cycles_come_back_after_collection() -> None:
    script = Script()
    pool = Pool(Res, Static(4), script)

    class Holder:
        def __init__(self) -> None:
            self.me = self
            self.guard = pool.get()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        for _ in range(4):
            Holder()
        gc.collect()
    held = [pool.get() for _ in range(4)]
    assert all(g is not None for g in held)
    assert pool.stats().in_use == 4


@pytest.mark.parametrize(
    "options",
    [{}, {"max_lifetime": 3600.0}, {"leak_threshold": 3600.0}],
    ids=["plain", "expiring", "watched"],
)
def test_repr_says_whether_released(options: dict[str, Any]) -> None:
    # The pool's private guard classes (ExpiringGuard, WatchedGuard) show as
    # the public one.
    pool = Pool(Res, Static(1), Script(), **options)
    guard = one(pool)
    assert isinstance(guard, PoolGuard) and (type(guard) is PoolGuard) == (not options)
    assert repr(guard) == "<PoolGuard holding a Res>"
    guard.release()
    assert repr(guard) == "<PoolGuard released>"
