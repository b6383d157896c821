"""mypy --strict must accept an AsyncPool of async resources, and infer the types asserted."""

import asyncio
from typing import assert_type

from rpool import AsyncPool, AsyncPoolable, AsyncPoolGuard, AutoScale, PoolStats, Static


class Conn:
    @classmethod
    async def new(cls, dsn: str) -> "Conn":
        await asyncio.sleep(0)
        return cls()

    async def reset(self) -> bool:
        return True

    async def close(self) -> None:
        pass


class Session:
    @classmethod
    async def new(cls, context: None) -> "Session":
        return cls()

    async def reset(self) -> bool:
        return True


async def main() -> None:
    async with AsyncPool(Conn, AutoScale(initial=2, maximum=10), "dsn") as pool:
        assert_type(pool, AsyncPool[str, Conn])
        assert_type(await pool.get(), AsyncPoolGuard[Conn] | None)
        async with pool.acquire(timeout=5.0) as conn:
            assert_type(conn, Conn)
        guard = await pool.acquire()
        assert_type(guard, AsyncPoolGuard[Conn])
        assert_type(guard.resource, Conn)
        async with guard as conn:
            assert_type(conn, Conn)
        await guard.release()
        assert_type(await asyncio.create_task(pool.acquire(1)), AsyncPoolGuard[Conn])
        assert_type(pool.stats(), PoolStats)
        assert_type(pool.context, str)
    sessions = AsyncPool(Session, Static(1))
    assert_type(sessions, AsyncPool[None, Session])
    await sessions.open()
    await sessions.close()


resource: AsyncPoolable[str] = Conn()
