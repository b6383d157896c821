"""mypy --strict must accept this file: rpool.testing keeps the user's types."""

from typing import assert_type

from hypothesis import strategies as st

from rpool import Pool, PoolGuard, ScaleMode, Static
from rpool.testing import Callback, Faults, InjectedFault, Outcome, faulty
from rpool.testing.strategies import PoolConfig, fault_plans, pool_configs, scale_modes


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


wrapped = faulty(Conn, Faults.scripted(reset=["false", "raise"], new=["stall"]))
assert_type(wrapped, type[Conn])
pool = Pool(wrapped, Static(count=2), Ctx())
assert_type(pool, Pool[Ctx, Conn])
assert_type(pool.get(), PoolGuard[Conn] | None)
with pool.acquire() as conn:
    assert_type(conn, Conn)

seeded = Faults.seeded(7, new=0.1, reset=0.2, stall=0.5)
assert_type(Pool(faulty(Conn, seeded), Static(count=1), Ctx()), Pool[Ctx, Conn])
assert_type(seeded.injected()[0][2], Outcome)

assert_type(scale_modes(), st.SearchStrategy[ScaleMode])
assert_type(fault_plans(), st.SearchStrategy[Faults])
assert_type(pool_configs(), st.SearchStrategy[PoolConfig])


def build(config: PoolConfig) -> None:
    assert_type(config.pool(Conn, Ctx()), Pool[Ctx, Conn])


error = InjectedFault("reset", 1)
assert_type(error.callback, Callback)
