"""mypy --strict must accept leak_threshold and still infer the pool's and guard's types."""

from typing import assert_type

from rpool import AutoScale, Pool, PoolGuard, PoolStats, Static


class Ctx:
    dsn = "memory"


class Conn:
    @classmethod
    def new(cls, context: Ctx) -> "Conn":
        return cls()

    def reset(self) -> bool:
        return True


class Plain:
    @classmethod
    def new(cls, context: None) -> "Plain":
        return cls()

    def reset(self) -> bool:
        return True


watched = Pool(Conn, Static(count=2), Ctx(), leak_threshold=30.0)
assert_type(watched, Pool[Ctx, Conn])
assert_type(watched.get(), PoolGuard[Conn] | None)
assert_type(watched.acquire(timeout=1).resource, Conn)

no_context = Pool(Plain, AutoScale(maximum=4), leak_threshold=5)
assert_type(no_context, Pool[None, Plain])

off = Pool(Conn, AutoScale(), Ctx(), leak_threshold=None)
assert_type(off, Pool[Ctx, Conn])

stats = watched.stats()
assert_type(stats, PoolStats)
assert_type(stats.leaks, int)
