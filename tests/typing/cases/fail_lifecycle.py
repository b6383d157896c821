"""mypy --strict must reject each line marked `# E: <code>`, and nothing else."""

from rpool import AutoScale, Pool


class Ctx: ...


class Conn:
    @classmethod
    def new(cls, context: Ctx) -> "Conn":
        return cls()

    def reset(self) -> bool:
        return True


def wall_clock() -> str:
    return "noon"


mode = AutoScale(initial=0, maximum=4)
Pool(Conn, mode, Ctx(), max_lifetime="60")  # E: call-overload
Pool(Conn, mode, Ctx(), max_idle="soon")  # E: call-overload
Pool(Conn, mode, Ctx(), clock=wall_clock)  # E: call-overload
Pool(Conn, mode, Ctx(), 60.0)  # E: call-overload
Pool(Conn, mode, Ctx(), lifetime_jiter=0.1)  # E: call-overload


class Other:
    def ping(self) -> bool:
        return True


def other_alive(resource: Other) -> bool:
    return True


Pool(Conn, mode, Ctx(), check=other_alive)  # E: call-overload
Pool(Conn, mode, Ctx(), check=lambda c: c.ping())  # E: call-overload
Pool(Conn, mode, Ctx(), check=Conn.reset, recheck_after="1s")  # E: call-overload
Pool(Conn, mode, Ctx(), maintain_every="5s")  # E: call-overload
Pool(Conn, mode, Ctx()).resize(2.5)  # E: arg-type
