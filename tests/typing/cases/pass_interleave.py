"""mypy --strict must accept this file: the interleaving tools keep the user's types."""

from collections.abc import Iterator
from typing import assert_type

from hypothesis import strategies as st

from rpool import AutoScale, Pool, PoolGuard, Static
from rpool.testing import FakeClock, Interleaving, Schedule, ScheduledPool, explore, interleave
from rpool.testing.strategies import LifecycleConfig, lifecycle_configs, schedule_choices


class Conn:
    @classmethod
    def new(cls, context: str) -> "Conn":
        return cls()

    def reset(self) -> bool:
        return True

    def check(self) -> bool:
        return True


class Cache:
    def __init__(self, pool: Pool[str, Conn]) -> None:
        self.pool = pool


pool = ScheduledPool(Conn, Static(count=1), "db", max_lifetime=5.0, clock=FakeClock())
assert_type(pool, ScheduledPool[str, Conn])
plain: Pool[str, Conn] = pool  # a ScheduledPool is a Pool
assert_type(pool.get(), PoolGuard[Conn] | None)
checked = ScheduledPool(Conn, AutoScale(initial=0, maximum=2), "db", check=Conn.check)
assert_type(checked, ScheduledPool[str, Conn])


def setup() -> Cache:
    return Cache(ScheduledPool(Conn, Static(count=1), "db"))


def use(cache: Cache) -> None:
    with cache.pool.acquire(1.0) as conn:
        assert_type(conn, Conn)


run = interleave(setup, [use, use], seed=3)
assert_type(run, Interleaving[Cache])
assert_type(run.state, Cache)
assert_type(run.schedule, Schedule)
assert_type(run.replay(), Interleaving[Cache])
assert_type(interleave(setup, [use], schedule="0,0"), Interleaving[Cache])
assert_type(explore(setup, [use, use], preemptions=2), Iterator[Interleaving[Cache]])
assert_type(schedule_choices(threads=2), st.SearchStrategy[list[int]])
assert_type(lifecycle_configs(Static(count=1)), st.SearchStrategy[LifecycleConfig])
