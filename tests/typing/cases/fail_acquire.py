"""mypy --strict must reject each line marked `# E: <code>`, and nothing else."""

from decimal import Decimal

from rpool import Pool, PoolGuard, Static


class Ctx: ...


class Conn:
    @classmethod
    def new(cls, context: Ctx) -> "Conn":
        return cls()

    def reset(self) -> bool:
        return True


pool = Pool(Conn, Static(1), Ctx())
pool.acquire(timeout="1")  # E: arg-type
pool.acquire("1")  # E: arg-type
pool.acquire(timeout=Decimal("1"))  # E: arg-type
pool.acquire(1, 2)  # E: call-arg
pool.acquire(wait=1.0)  # E: call-arg
maybe: None = pool.acquire()  # E: assignment
number: int = pool.acquire().resource  # E: assignment
other: PoolGuard[int] = pool.acquire()  # E: assignment
with pool.acquire() as conn:
    text: str = conn  # E: assignment


async def waits() -> None:
    await pool.acquire_async(timeout="1")  # E: arg-type
    guard: PoolGuard[Conn] = pool.acquire_async()  # E: assignment
    pool.acquire_async(1.0)  # E: unused-coroutine
    with pool.acquire_async() as conn:  # E: attr-defined
        pass
