"""mypy --strict must reject each marked line: the interleaving tools let no misuse through."""

from rpool import Static
from rpool.testing import FakeClock, ScheduledPool, interleave


class Conn:
    @classmethod
    def new(cls, context: str) -> "Conn":
        return cls()

    def reset(self) -> bool:
        return True


class Other:
    pass


def setup() -> Other:
    return Other()


def takes_a_conn(conn: Conn) -> None:
    pass


ScheduledPool(Conn, Static(count=1), 3)  # E: call-overload
ScheduledPool(Conn, Static(count=1), "db", max_lifetime="5")  # E: call-overload
ScheduledPool(Conn, Static(count=1), "db", maxlifetime=5.0)  # E: call-overload
ScheduledPool(Conn, Static(count=1), "db", clock=FakeClock)  # E: call-overload
interleave(setup, [takes_a_conn], seed=1)  # E: misc
interleave(setup, [print], seed="1")  # E: arg-type
