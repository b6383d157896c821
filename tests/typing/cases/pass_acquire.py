"""mypy --strict must accept waiting for a resource, and infer the types asserted."""

import asyncio
from fractions import Fraction
from typing import assert_type

from rpool import Pool, PoolError, PoolGuard, PoolStats, PoolTimeout, Static


class Ctx: ...


class Conn:
    @classmethod
    def new(cls, context: Ctx) -> "Conn":
        return cls()

    def reset(self) -> bool:
        return True


class Buffer:
    @classmethod
    def new(cls, context: None) -> "Buffer":
        return cls()

    def reset(self) -> bool:
        return True


pool = Pool(Conn, Static(count=2), Ctx())
assert_type(pool.acquire(), PoolGuard[Conn])
assert_type(pool.acquire(None), PoolGuard[Conn])
assert_type(pool.acquire(timeout=1.5), PoolGuard[Conn])
assert_type(pool.acquire(2), PoolGuard[Conn])
assert_type(pool.acquire(timeout=float("inf")), PoolGuard[Conn])
with pool.acquire(timeout=0) as conn:
    assert_type(conn, Conn)
assert_type(Pool(Buffer, Static(1)).acquire(), PoolGuard[Buffer])


async def waits() -> None:
    guard = await pool.acquire_async(timeout=1.0)
    assert_type(guard, PoolGuard[Conn])
    with await pool.acquire_async() as conn:
        assert_type(conn, Conn)
    assert_type(await pool.acquire_async(None), PoolGuard[Conn])
    await asyncio.to_thread(pool.acquire, 1.0)


try:
    pool.acquire(0.5)
except PoolTimeout as error:
    as_pool_error: PoolError = error
    as_timeout: TimeoutError = error

stats = pool.stats()
assert_type(stats, PoolStats)
assert_type(stats.waiting, int)
assert_type(stats.waited, int)
assert_type(stats.timeouts, int)
assert_type(stats.wait_histogram, tuple[int, ...])
