"""mypy --strict must reject each line marked `# E: <code>`: AsyncPool's options, as Pool's."""

from rpool import AsyncPool, AutoScale


class Conn:
    @classmethod
    async def new(cls, dsn: str) -> "Conn":
        return cls()

    async def reset(self) -> bool:
        return True


class Other:
    async def ping(self) -> bool:
        return True


def sync_alive(conn: Conn) -> bool:
    return True


async def other_alive(resource: Other) -> bool:
    return True


def wall_clock() -> str:
    return "noon"


mode = AutoScale(initial=0, maximum=4)
AsyncPool(Conn, mode, "dsn", check=sync_alive)  # E: call-overload
AsyncPool(Conn, mode, "dsn", check=other_alive)  # E: call-overload
AsyncPool(Conn, mode, "dsn", max_lifetime="60")  # E: call-overload
AsyncPool(Conn, mode, "dsn", clock=wall_clock)  # E: call-overload
AsyncPool(Conn, mode, "dsn", leak_threshold="1m")  # E: call-overload
AsyncPool(Conn, mode, "dsn", maintain_every="5s")  # E: call-overload


async def misuse(pool: AsyncPool[str, Conn]) -> None:
    pool.maintain()  # E: unused-coroutine
    pool.resize(2)  # E: unused-coroutine
    await pool.resize(2.5)  # E: arg-type
