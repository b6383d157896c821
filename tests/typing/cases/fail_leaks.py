"""mypy --strict must reject each line marked `# E: <code>`, and nothing else."""

from rpool import Pool, Static


class Ctx: ...


class Conn:
    @classmethod
    def new(cls, context: Ctx) -> "Conn":
        return cls()

    def reset(self) -> bool:
        return True


mode = Static(count=1)
Pool(Conn, mode, Ctx(), leak_threshold="30")  # E: call-overload
Pool(Conn, mode, Ctx(), leak_treshold=30.0)  # E: call-overload
Pool(Conn, mode, Ctx(), None, None, None, None, 30.0)  # E: call-overload
Pool(Conn, mode, Ctx(), leak_threshold=30.0).stats().leaks = 1  # E: misc
