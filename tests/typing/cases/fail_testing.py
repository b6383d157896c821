"""mypy --strict must reject each marked line: the wrapper lets no misuse through."""

from rpool import Pool, Static
from rpool.testing import Faults, faulty
from rpool.testing.strategies import PoolConfig


class Ctx:
    dsn = "memory"


class Other:
    pass


class Buffer:
    @classmethod
    def new(cls, context: Ctx) -> "Buffer":
        return cls()

    def reset(self) -> bool:
        return True


class Conn:
    @classmethod
    def new(cls, context: Ctx) -> "Conn":
        return cls()

    def reset(self) -> bool:
        return True


Faults.scripted(new=["false"])  # E: list-item
Faults.scripted(reset=["maybe"])  # E: list-item
Faults.seeded(7, rest=0.5)  # E: call-arg
pool = Pool(faulty(Conn, Faults.scripted()), Static(count=1), Other())  # E: misc
faulty(Conn, None)  # E: arg-type
plan = Faults.scripted()
typed: Pool[Ctx, Buffer] = Pool(faulty(Conn, plan), Static(count=1), Ctx())  # E: arg-type


def build(config: PoolConfig) -> None:
    config.pool(Conn, Other())  # E: misc
