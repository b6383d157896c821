"""mypy --strict must accept AsyncPool's lifecycle and leak options, maintain() and resize()."""

import time
from typing import assert_type

from rpool import AsyncPool, AutoScale, Static


class Conn:
    @classmethod
    async def new(cls, dsn: str) -> "Conn":
        return cls()

    async def reset(self) -> bool:
        return True

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        pass


async def alive(conn: Conn) -> bool:
    return await conn.ping()


async def main() -> None:
    pool = AsyncPool(
        Conn,
        AutoScale(initial=1, maximum=8),
        "dsn",
        max_lifetime=1800.0,
        lifetime_jitter=0.2,
        max_idle=300.0,
        clock=time.monotonic,
        check=alive,
        recheck_after=1.0,
        maintain_every=30.0,
        leak_threshold=60.0,
    )
    assert_type(pool, AsyncPool[str, Conn])
    async with pool:
        assert_type(await pool.maintain(), int)
        assert_type(await pool.resize(4), None)
    pinged = AsyncPool(Conn, Static(2), "dsn", check=Conn.ping, max_lifetime=60)
    assert_type(pinged, AsyncPool[str, Conn])
