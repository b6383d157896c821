"""mypy --strict must accept lifecycle options and still infer the pool's types."""

import time
from typing import assert_type

from rpool import AutoScale, Pool, PoolStats, Static


class Ctx:
    dsn = "memory"


class Conn:
    @classmethod
    def new(cls, context: Ctx) -> "Conn":
        return cls()

    def reset(self) -> bool:
        return True


class Clock:
    def __call__(self) -> float:
        return 0.0


with_context = Pool(Conn, Static(count=2), Ctx(), max_lifetime=60.0, lifetime_jitter=0.2)
assert_type(with_context, Pool[Ctx, Conn])

idle = Pool(Conn, AutoScale(initial=1, maximum=8), Ctx(), max_idle=30, clock=time.monotonic)
assert_type(idle, Pool[Ctx, Conn])

clocked = Pool(Conn, AutoScale(), Ctx(), max_lifetime=1, max_idle=2.5, clock=Clock())
assert_type(clocked, Pool[Ctx, Conn])
assert_type(clocked.maintain(), int)

stats = clocked.stats()
assert_type(stats, PoolStats)
assert_type(stats.expired, int)
assert_type(stats.evicted, int)


class Pinged:
    @classmethod
    def new(cls, context: None) -> "Pinged":
        return cls()

    def reset(self) -> bool:
        return True

    def ping(self) -> bool:
        return True


def alive(connection: Conn) -> bool:
    return True


checked = Pool(Conn, Static(count=2), Ctx(), check=alive, recheck_after=0.5)
assert_type(checked, Pool[Ctx, Conn])
pinged = Pool(Pinged, AutoScale(maximum=4), check=Pinged.ping)
assert_type(pinged, Pool[None, Pinged])
by_lambda = Pool(Pinged, Static(count=1), check=lambda resource: resource.ping())
assert_type(by_lambda, Pool[None, Pinged])
assert_type(by_lambda.stats().checks_failed, int)

maintained = Pool(Conn, AutoScale(maximum=8), Ctx(), max_idle=60.0, maintain_every=5.0)
assert_type(maintained, Pool[Ctx, Conn])

resizable = Pool(Conn, Static(count=2), Ctx())
assert_type(resizable.resize(4), None)
assert_type(resizable.stats().resizes, int)
