"""Fork safety (src/rpool/_fork.py): a forked child never hands out a parent's resource.

Every test forks for real. The child runs a function, sends its result back
through a pipe as JSON and leaves with `os._exit` (no pytest teardown runs
there); an exception in the child fails the test with the child's traceback.
Forking while threads are alive (pytest's, the free-threaded build's) warns
with a DeprecationWarning since 3.12: the helper silences that one warning.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import socket
import sqlite3
import threading
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

import pytest

from rpool import (
    AsyncPool,
    AsyncPoolGuard,
    AutoScale,
    GuardReleasedError,
    Pool,
    PoolTimeout,
    Static,
)
from tests.resources import Res, Script

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork() here")


def in_child(child: Callable[[], Any]) -> Any:
    """Fork; run `child()` in the child; return its JSON-able result here."""
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover (the child's coverage is not collected)
        code = 1
        try:
            os.close(read)
            try:
                message = {"result": child()}
                code = 0
            except BaseException:
                message = {"error": traceback.format_exc()}
            with os.fdopen(write, "w") as out:
                out.write(json.dumps(message))
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as received:
        text = received.read()
    _, status = os.waitpid(pid, 0)
    message = json.loads(text) if text else {"error": f"child died, status {status}"}
    if "error" in message:
        pytest.fail("in the child:\n" + message["error"])
    assert os.waitstatus_to_exitcode(status) == 0
    return message["result"]


def counts(pool: Pool[Any, Any]) -> dict[str, int]:
    stats = pool.stats()
    return {
        "capacity": stats.capacity,
        "idle": stats.idle,
        "in_use": stats.in_use,
        "creating": stats.creating,
        "created": stats.created,
        "discarded": stats.discarded,
        "waiting": stats.waiting,
    }


EMPTY = {"capacity": 0, "idle": 0, "in_use": 0, "creating": 0, "created": 0}
EMPTY |= {"discarded": 0, "waiting": 0}


def test_child_never_hands_out_a_parent_resource() -> None:
    script = Script()
    pool = Pool(Res, Static(count=3), script)
    held = pool.get()
    assert held is not None
    parents = list(script.made)

    def child() -> dict[str, Any]:
        start = counts(pool)
        guards = [pool.get() for _ in range(3)]
        got = [guard.resource for guard in guards if guard is not None]
        extra = pool.get()
        for guard in guards:
            assert guard is not None
            guard.release()
        return {
            "start": start,
            "reused": [resource.id for resource in got if any(resource is p for p in parents)],
            "made": len(got),
            "extra": extra is not None,
            "touched": [r.id for r in parents if r.closed or r in script.resets],
            "end": counts(pool),
        }

    seen = in_child(child)
    assert seen["start"] == EMPTY
    assert seen["reused"] == []
    assert seen["made"] == 3
    assert not seen["extra"], "the child's pool must keep its bound, count=3"
    assert seen["touched"] == [], "no parent resource is reset or closed in the child"
    assert seen["end"] == EMPTY | {"capacity": 3, "idle": 3, "created": 3}
    # The parent's pool is as it was: one in use, two idle, the same objects.
    assert counts(pool) == EMPTY | {"capacity": 3, "idle": 2, "in_use": 1, "created": 3}
    held.release()
    again = [pool.get() for _ in range(3)]
    assert {id(g.resource) for g in again if g is not None} == {id(r) for r in parents}
    assert not any(r.closed for r in parents)


def test_a_guard_held_across_the_fork_gives_nothing_to_the_child() -> None:
    script = Script()
    pool = Pool(Res, AutoScale(initial=0, maximum=2), script)
    guard = pool.get()
    assert guard is not None
    parent = guard.resource

    def child() -> dict[str, Any]:
        guard.release()  # a no-op in the child
        with pytest.raises(GuardReleasedError):
            _ = guard.resource
        mine = pool.get()
        assert mine is not None
        return {
            "released": guard.released,
            "reused": mine.resource is parent,
            "touched": parent.closed or parent in script.resets,
            "stats": counts(pool),
        }

    seen = in_child(child)
    assert seen == {
        "released": True,
        "reused": False,
        "touched": False,
        "stats": EMPTY | {"capacity": 1, "in_use": 1, "created": 1},
    }
    assert not guard.released  # in the parent, it still holds its resource
    guard.release()
    assert script.resets == [parent] and counts(pool)["idle"] == 1


def test_a_collected_guards_orphan_stays_in_the_parent() -> None:
    script = Script()
    pool = Pool(Res, Static(count=1), script)
    guard = pool.get()
    assert guard is not None
    del guard
    gc.collect()  # the finalizer moves the resource to the orphans

    def child() -> dict[str, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no ResourceWarning for the parent's orphan
            mine = pool.get()
        assert mine is not None
        return {"reused": mine.resource is script.made[0], "stats": counts(pool)}

    seen = in_child(child)
    assert seen == {"reused": False, "stats": EMPTY | {"capacity": 1, "in_use": 1, "created": 1}}
    with pytest.warns(ResourceWarning):
        again = pool.get()  # the parent adopts its orphan
    assert again is not None and again.resource is script.made[0]


@pytest.mark.parametrize(
    ("mode", "sizes"),
    [
        (Static(count=3), [1, 1, 1]),
        (AutoScale(initial=2, maximum=7, chunk_size=3), [3, 3, 1]),
        (AutoScale(initial=4, maximum=9, chunk_size=0), [1, 1, 2, 4, 1]),
    ],
    ids=["static", "chunked", "doubling"],
)
def test_the_child_grows_from_empty_by_the_modes_grants(
    mode: Static | AutoScale, sizes: list[int]
) -> None:
    script = Script()
    pool = Pool(Res, mode, script)

    def child() -> list[int]:
        grown: list[int] = []
        guards = []
        while (guard := pool.get()) is not None:
            guards.append(guard)
            grown.append(pool.stats().capacity)
        return grown

    capacities = in_child(child)
    steps = [after - before for before, after in zip([0, *capacities], capacities, strict=False)]
    assert [step for step in steps if step] == sizes


def test_an_unbounded_pool_starts_at_nothing_in_the_child() -> None:
    script = Script()
    pool = Pool(Res, AutoScale(initial=2), script)

    def child() -> list[dict[str, int]]:
        start = counts(pool)
        guard = pool.get()
        assert guard is not None
        return [start, counts(pool)]

    start, after = in_child(child)
    assert start == EMPTY
    assert after == EMPTY | {"capacity": 1, "in_use": 1, "created": 1}


def test_waiters_of_the_parent_are_not_in_the_child() -> None:
    script = Script()
    pool = Pool(Res, Static(count=1), script)
    guard = pool.get()
    assert guard is not None
    served: list[object] = []
    waiter = threading.Thread(target=lambda: served.append(pool.acquire(timeout=10).resource))
    waiter.start()
    while pool.stats().waiting == 0:
        threading.Event().wait(0.001)

    def child() -> list[Any]:
        start = counts(pool)
        first = pool.acquire(timeout=0)
        try:
            pool.acquire(timeout=0)
        except PoolTimeout:
            timed_out = True
        first.release()
        return [start, timed_out, counts(pool)]

    start, timed_out, end = in_child(child)
    assert start == EMPTY
    assert timed_out
    assert end == EMPTY | {"capacity": 1, "idle": 1, "created": 1}
    guard.release()  # the parent's waiter is served, as if no fork happened
    waiter.join(10)
    assert served == [script.made[0]]


def test_a_closed_pool_stays_closed_and_a_collected_pool_is_forgotten() -> None:
    closed = Pool(Res, Static(count=1), Script())
    closed.close()
    gone = Pool(Res, Static(count=1), Script())
    del gone
    gc.collect()

    def child() -> bool:
        return closed.closed and counts(closed)["capacity"] == 0

    assert in_child(child)


class Peer:
    """One end of a socket pair whose close() says goodbye, as a protocol client does.

    `shutdown()` acts on the connection the parent and the child share, not
    only on the child's descriptor: a child that closed this would break the
    parent's connection.
    """

    def __init__(self, sock: socket.socket, other: socket.socket) -> None:
        self.sock = sock
        self.other = other  # the far end, kept by the test's context

    @classmethod
    def new(cls, pairs: list[socket.socket]) -> Self:
        ours, theirs = socket.socketpair()
        pairs.append(theirs)
        return cls(ours, theirs)

    def reset(self) -> bool:
        return True

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def test_the_parents_sockets_still_work_after_the_child_exits() -> None:
    others: list[socket.socket] = []
    pool = Pool(Peer, Static(count=2), others)
    guards = [pool.acquire(timeout=0), pool.acquire(timeout=0)]
    parents = [guard.resource for guard in guards]
    for guard in guards:
        guard.release()
    for sock in [*others, *(peer.sock for peer in parents)]:
        sock.settimeout(5)

    def child() -> bool:
        guard = pool.acquire(timeout=0)
        mine = guard.resource
        mine.sock.sendall(b"child")
        guard.release()
        pool.close()  # closes the child's own peer only
        return all(mine is not peer for peer in parents)

    assert in_child(child)
    try:
        for peer in parents:
            peer.sock.sendall(b"parent")
            assert peer.other.recv(16) == b"parent"
            peer.other.sendall(b"back")
            assert peer.sock.recv(16) == b"back"
    finally:
        pool.close()
        for other in others:
            other.close()


class Database:
    """A sqlite3 connection to one file, the pool's context."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    @classmethod
    def new(cls, path: Path) -> Self:
        return cls(sqlite3.connect(path, isolation_level=None))

    def reset(self) -> bool:
        return True

    def close(self) -> None:
        self.connection.close()


def test_the_parents_sqlite_connection_works_after_the_child_used_its_own(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    pool = Pool(Database, Static(count=1), path)
    with pool.acquire(timeout=0) as database:
        database.connection.execute("create table t (who text)")
        database.connection.execute("insert into t values ('parent')")

    def child() -> bool:
        with pool.acquire(timeout=0) as mine:
            mine.connection.execute("insert into t values ('child')")
        fresh = mine is not database
        pool.close()
        return fresh

    assert in_child(child)
    with pool.acquire(timeout=0) as again:
        assert again is database
        rows = again.connection.execute("select who from t order by who").fetchall()
    assert rows == [("child",), ("parent",)]
    pool.close()


def test_a_pool_with_options_starts_again_too() -> None:
    now = [0.0]
    script = Script()
    pool = Pool(
        Res,
        AutoScale(maximum=3),
        script,
        max_lifetime=10.0,
        lifetime_jitter=0.0,
        leak_threshold=5.0,
        clock=lambda: now[0],
    )
    lifecycle = pool._lifecycle
    assert lifecycle is not None and pool._watch is not None  # options on
    first = pool.get()
    assert first is not None
    first.release()
    now[0] = 20.0
    held = pool.get()  # the first one expired: discarded, a new one made
    assert held is not None and held.resource is not script.made[0]
    assert pool.stats().expired == 1 and pool.stats().leaks == 0
    parent = held.resource

    def child() -> list[Any]:
        start = pool.stats()
        mine = pool.get()
        assert mine is not None
        return [
            [start.created, start.discarded, start.expired, start.leaks, start.capacity],
            mine.resource is parent,
            len(lifecycle.deadlines),
        ]

    start, reused, stamped = in_child(child)
    assert start == [0, 0, 0, 0, 0]
    assert not reused
    assert stamped == 1, "only the child's own resource is stamped"


class AsyncRes:
    """An async resource for the AsyncPool fork test."""

    @classmethod
    async def new(cls, context: None) -> AsyncRes:
        return cls()

    async def reset(self) -> bool:
        return True


def test_an_async_pools_guard_held_across_the_fork_gives_nothing_to_the_child() -> None:
    async def take() -> tuple[AsyncPool[None, AsyncRes], AsyncPoolGuard[AsyncRes]]:
        pool = AsyncPool(AsyncRes, AutoScale(initial=1, maximum=2))
        await pool.open()
        guard = await pool.get()
        assert guard is not None
        return pool, guard

    pool, guard = asyncio.run(take())

    def child() -> dict[str, Any]:
        return {"released": guard.released, "stats": counts(pool)}  # type: ignore[arg-type]

    seen = in_child(child)
    assert seen == {"released": True, "stats": EMPTY}
    assert not guard.released  # in the parent, it still holds its resource
