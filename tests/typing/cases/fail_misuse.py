"""mypy --strict must reject each line marked `# E: <code>`, and nothing else."""

from rpool import Pool, Poolable, Static


class Ctx: ...


class Other: ...


class Conn:
    @classmethod
    def new(cls, context: Ctx) -> "Conn":
        return cls()

    def reset(self) -> bool:
        return True


class NoReset:
    @classmethod
    def new(cls, context: Ctx) -> "NoReset":
        return cls()


class BadReset:
    @classmethod
    def new(cls, context: Ctx) -> "BadReset":
        return cls()

    def reset(self) -> None:
        pass


class NoNew:
    def reset(self) -> bool:
        return True


Pool(Conn, Static(1), Other())  # E: call-overload
Pool(Conn, Static(1), "dsn")  # E: call-overload
Pool(Conn, Static(1))  # E: call-overload
Pool(NoReset, Static(1), Ctx())  # E: call-overload
Pool(BadReset, Static(1), Ctx())  # E: call-overload
Pool(NoNew, Static(1), Ctx())  # E: call-overload
Pool(Conn, 10, Ctx())  # E: call-overload
Static(count="10")  # E: arg-type
wrong: Poolable[Other] = Conn()  # E: assignment
no_reset: Poolable[Ctx] = NoReset()  # E: assignment

pool = Pool(Conn, Static(1), Ctx())
guard = pool.get()
guard.release()  # E: union-attr
if guard is not None:
    number: int = guard.resource  # E: assignment
    guard.resource = Conn()  # E: misc
