"""mypy --strict must accept this file and infer the types asserted."""

from typing import assert_type

from rpool import AutoScale, Pool, Poolable, PoolGuard, PoolStats, ScaleMode, Static


class Ctx:
    dsn = "memory"


class Conn:
    @classmethod
    def new(cls, context: Ctx) -> "Conn":
        return cls()

    def reset(self) -> bool:
        return True

    def close(self) -> None:
        pass


class Buffer:
    @classmethod
    def new(cls, context: None) -> "Buffer":
        return cls()

    def reset(self) -> bool:
        return True


pool = Pool(Conn, Static(count=10), Ctx())
assert_type(pool, Pool[Ctx, Conn])
assert_type(Pool(Conn, AutoScale(initial=0, maximum=None, chunk_size=1), Ctx()), Pool[Ctx, Conn])
assert_type(Pool(Buffer, Static(count=4)), Pool[None, Buffer])

guard = pool.get()
assert_type(guard, PoolGuard[Conn] | None)
if guard is not None:
    with guard as conn:
        assert_type(conn, Conn)
    assert_type(guard.resource, Conn)
    assert_type(guard.released, bool)
    guard.release()

assert_type(pool.stats(), PoolStats)
assert_type(pool.stats().capacity, int)
assert_type(pool.context, Ctx)
assert_type(pool.closed, bool)
mode: ScaleMode = Static(3)
mode = AutoScale(maximum=4)
with Pool(Buffer, mode) as scoped:
    assert_type(scoped, Pool[None, Buffer])

# Resources are Poolable structurally: no inheritance needed.
poolable: Poolable[Ctx] = Conn()
also: Poolable[None] = Buffer()
