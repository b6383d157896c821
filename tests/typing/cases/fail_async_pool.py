"""mypy --strict must reject each line marked `# E: <code>`: sync and async resources differ."""

from rpool import AsyncPool, AsyncPoolable, Pool, Poolable, Static


class SyncConn:
    @classmethod
    def new(cls, dsn: str) -> "SyncConn":
        return cls()

    def reset(self) -> bool:
        return True


class AsyncConn:
    @classmethod
    async def new(cls, dsn: str) -> "AsyncConn":
        return cls()

    async def reset(self) -> bool:
        return True


class SyncReset:
    @classmethod
    async def new(cls, dsn: str) -> "SyncReset":
        return cls()

    def reset(self) -> bool:
        return True


AsyncPool(SyncConn, Static(1), "dsn")  # E: call-overload
Pool(AsyncConn, Static(1), "dsn")  # E: call-overload
AsyncPool(SyncReset, Static(1), "dsn")  # E: call-overload
AsyncPool(AsyncConn, Static(1), 42)  # E: call-overload
sync_as_async: AsyncPoolable[str] = SyncConn()  # E: assignment
async_as_sync: Poolable[str] = AsyncConn()  # E: assignment


async def misuse(pool: AsyncPool[str, AsyncConn]) -> None:
    with pool.acquire() as conn:  # E: attr-defined
        pass
    guard = await pool.acquire()
    guard.release()  # E: unused-coroutine
