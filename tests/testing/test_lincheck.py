"""`rpool.testing.check` and `History`: a user's racy object built on a pool is caught.

The planted bug: an id allocator that reads the next id through one pooled
connection and writes it back in a second step. Two threads that both read
before either writes hand out the same id. A barrier makes that interleaving
certain; the fixed allocator increments in one step and always passes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Self

import pytest

from rpool import Pool, Static
from rpool.testing import Call, History, Operation, check


class Store:
    """A shared key-value store: the database behind the connections."""

    def __init__(self) -> None:
        self.data: dict[str, int] = {"next": 0}
        self.lock = threading.Lock()
        self.before_write: Callable[[], object] = lambda: None


class Connection:
    def __init__(self, store: Store) -> None:
        self.store = store

    @classmethod
    def new(cls, store: Store) -> Self:
        return cls(store)

    def reset(self) -> bool:
        return True

    def read(self, key: str) -> int:
        return self.store.data[key]

    def write(self, key: str, value: int) -> None:
        self.store.before_write()
        self.store.data[key] = value

    def increment(self, key: str) -> int:
        with self.store.lock:  # the database's own atomic update
            value = self.store.data[key]
            self.store.data[key] = value + 1
            return value


class Ids:
    """The user's object: hands out ids 0, 1, 2, ... to any number of threads."""

    def __init__(self, pool: Pool[Store, Connection], atomic: bool) -> None:
        self.pool = pool
        self.atomic = atomic

    def next_id(self) -> int:
        with self.pool.acquire(timeout=5.0) as conn:
            if self.atomic:
                return conn.increment("next")
            value = conn.read("next")  # the bug: read, then write, in two steps
            conn.write("next", value + 1)
            return value


def counter_step(state: int, call: Call) -> Iterator[int]:
    """The spec: a counter whose next_id() returns the current value and adds one."""
    if call.name == "next_id" and call.error is None and call.result == state:
        yield state + 1


def no_gaps(trial: Sequence[Operation[Call]]) -> bool:
    """What shrinking may keep: every id below the largest one handed out.

    Without it, a lone `next_id() -> 2` would be "a smallest failing
    history", failing only because the calls that counted to 2 were dropped.
    """
    results = {op.input.result for op in trial}
    return results >= set(range(max(results, default=0)))


def run_threads(ids: Ids, history: History[Call], threads: int, calls: int) -> None:
    def work(process: int) -> None:
        for _ in range(calls):
            history.record(process, "next_id", ids.next_id)

    workers = [threading.Thread(target=work, args=(p,)) for p in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def racy_store() -> Store:
    """A store whose first two writes wait for each other: both threads read 0 first."""
    store = Store()
    barrier = threading.Barrier(2, timeout=5.0)
    writes = iter(range(2))

    def before_write() -> None:
        if next(writes, None) is not None:
            barrier.wait()

    store.before_write = before_write
    return store


def test_the_checker_catches_a_read_then_write_allocator() -> None:
    store = racy_store()
    ids = Ids(Pool(Connection, Static(count=2), store), atomic=False)
    history: History[Call] = History()
    run_threads(ids, history, threads=2, calls=3)
    verdict = check(history.operations(), 0, counter_step, valid=no_gaps)
    assert not verdict.ok
    report = verdict.explain()
    # The smallest failing history: the two calls that both returned 0.
    assert report.count("next_id() -> 0") == 2, report
    assert "no order of these 2 operations" in report, report


def test_explain_prints_the_smallest_history_where_dropping_one_at_a_time_does_not() -> None:
    # A history seen on 3.13t: P0's first write of 1 landed after P1's
    # second call, so P1 read 1 twice. Dropping calls in order ends at P1's
    # three (P0's 0 goes first, and then no single call can go); the
    # smallest failing history is the two concurrent calls that returned 0.
    def op(group: int, process: int, call: int, ret: int, result: int) -> Operation[Call]:
        made = Call("next_id", (), result)
        return Operation(call, ret, process, made, str(made), group)

    ops = [op(0, 0, 0, 7, 0), op(1, 1, 1, 2, 0), op(2, 1, 3, 4, 1), op(3, 1, 5, 6, 1)]
    verdict = check(ops, 0, counter_step, valid=no_gaps)
    assert not verdict.ok
    report = verdict.explain()
    assert "no order of these 2 operations" in report, report
    assert report.count("next_id() -> 0") == 2, report


def test_the_fixed_allocator_is_linearizable() -> None:
    store = Store()
    ids = Ids(Pool(Connection, Static(count=2), store), atomic=True)
    history: History[Call] = History()
    run_threads(ids, history, threads=4, calls=25)
    verdict = check(history.operations(), 0, counter_step)
    assert verdict.ok, verdict.explain()
    assert [op.input.result for op in verdict.linearization] == list(range(100))


def test_history_records_real_time_order_and_exceptions() -> None:
    history: History[Call] = History()
    assert history.record(0, "double", lambda x: 2 * x, 4) == 8
    with pytest.raises(ZeroDivisionError):
        history.record(1, "divide", lambda: 1 / 0)
    pending = history.call(2)
    history.unfinished(pending, Call("lost", ()))
    first, second, lost = history.operations()
    assert first.input == Call("double", (4,), 8)
    assert first.ret is not None and first.ret < second.call
    assert second.input == Call("divide", (), None, ZeroDivisionError)
    assert str(second.input) == "divide() -> raised ZeroDivisionError"
    assert lost.ret is None and lost.process == 2
    assert len({first.group, second.group, lost.group}) == 3


def test_an_operation_that_never_returned_may_or_may_not_have_taken_effect() -> None:
    # P0's next_id() never returned: P1 seeing 0 or 1 are both legal.
    def step(state: int, call: Call) -> Iterator[int]:
        if call.name == "lost":
            yield state + 1
        else:
            yield from counter_step(state, call)

    for seen in (0, 1):
        ops = [
            Operation(0, None, 0, Call("lost", ()), "lost"),
            Operation(1, 2, 1, Call("next_id", (), seen), f"next_id -> {seen}", group=1),
        ]
        assert check(ops, 0, step).ok
    late = [Operation(0, 1, 0, Call("next_id", (), 1), "next_id -> 1")]
    assert not check(late, 0, counter_step).ok
