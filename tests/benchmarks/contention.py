"""Where two threads lose throughput: one shared pool or deque, against one per thread.

    python tests/benchmarks/contention.py [--repetitions 7] [--seconds 0.2]

Run it on the free-threaded build (`make bench-ft` prints how) to see what
stops rpool from scaling from 1 to 2 threads there. Each subject's loop is
measured with 1 and 2 threads, interleaved, as `scenarios._threads` does:

- "rpool, shared": one `Pool` for all threads, as the threads scenario;
- "rpool, one per thread": each thread its own `Pool`, made in that thread:
  nothing of the pool is shared, everything else (the code, the types) is;
- "deque, shared" and "deque, one per thread": the floor's `append(pop())`
  on one deque, or on one per thread;
- "Lock + list, shared": the hand-rolled peer;
- "a guard-shaped object per call" and "a one-element list per call": no
  pool at all, only what rpool allocates per round trip (the guard, its box),
  to tell the cost of allocation on that build from the cost of sharing;
- "a flag read thrice, shared" and "..., one per thread": no pool either,
  three reads of a bool slot (`_closed`'s shape) of one object, shared by
  the threads or one per thread: the cost of merely touching a shared object;
- "a lane per thread, shared pool": the smallest pool with a per-thread cache
  (HikariCP's ConcurrentBag idea): each thread finds its own list through
  `threading.local` on the one shared pool and takes and returns there, with
  a guard per call; no checks, no waiters, no stealing, so it is an upper
  bound for such a design, not a candidate.

If the per-thread variants scale and the shared ones do not, the sharing is
the bottleneck; comparing the shared deque with the shared pool says how much
of it is the deque itself. Prints a Markdown table of medians and ratios.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # as run.py: the repository root replaces this directory
    sys.path.pop(0)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import argparse
import platform
import statistics
import threading
from collections import deque
from collections.abc import Callable
from itertools import repeat

from rpool import Pool, Static
from tests.benchmarks.handrolled import LockListSubject
from tests.benchmarks.resources import FakeConnection
from tests.benchmarks.timing import Loop, calibrate, throughput

__all__ = ["main"]

CAPACITY = 16


def _rpool_loop(pool: Pool[None, FakeConnection]) -> Loop:
    def loop(n: int) -> None:
        get = pool.get
        for _ in repeat(None, n):
            guard = get()
            assert guard is not None
            guard.release()

    return loop


def _deque_loop(items: deque[FakeConnection]) -> Loop:
    def loop(n: int) -> None:
        pop, append = items.pop, items.append
        for _ in repeat(None, n):
            append(pop())

    return loop


class _GuardShaped:
    """An object with the guard's shape: two slots, and a finalizer."""

    __slots__ = ("_box", "_pool")

    _box: list[None]
    _pool: None

    def __del__(self) -> None:
        return None


def _allocation_loop(kind: str) -> Loop:
    def loop(n: int) -> None:
        new = object.__new__
        if kind == "guard":
            for _ in repeat(None, n):
                guard = new(_GuardShaped)
                guard._pool = None
                guard._box = [None]
        else:
            for _ in repeat(None, n):
                _ = [None]

    return loop


class _Flagged:
    __slots__ = ("closed",)

    def __init__(self) -> None:
        self.closed = False


def _flag_loop(holder: _Flagged) -> Loop:
    def loop(n: int) -> None:
        for _ in repeat(None, n):
            if holder.closed or holder.closed or holder.closed:
                raise AssertionError("never set")

    return loop


class _LaneGuard:
    __slots__ = ("_box", "_lane")

    _box: list[FakeConnection]
    _lane: list[FakeConnection]

    def release(self) -> None:
        try:
            resource = self._box.pop()
        except IndexError:
            return
        if resource.reset() is True:
            self._lane.append(resource)


class _LanePool:
    """A shared pool whose threads each keep their own idle list (see the module doc)."""

    def __init__(self) -> None:
        self._lanes = threading.local()
        self._free = _new_deque()

    def get(self) -> _LaneGuard:
        try:
            lane: list[FakeConnection] = self._lanes.idle
        except AttributeError:
            lane = self._lanes.idle = []
        guard = object.__new__(_LaneGuard)
        guard._lane = lane
        # A lane dies with its thread, and each measurement starts new threads:
        # the prototype makes a resource where a real design would have
        # handed the dead lane's list back.
        free = self._free
        guard._box = [lane.pop() if lane else free.pop() if free else FakeConnection()]
        return guard


def _lane_loop(pool: _LanePool) -> Loop:
    def loop(n: int) -> None:
        get = pool.get
        for _ in repeat(None, n):
            get().release()

    return loop


def _new_pool() -> Pool[None, FakeConnection]:
    return Pool(FakeConnection, Static(CAPACITY))


def _new_deque() -> deque[FakeConnection]:
    return deque(FakeConnection.new(None) for _ in range(CAPACITY))


def _per_thread(make: Callable[[], Loop]) -> Loop:
    """A loop that runs, in each thread, a loop of its own made in that thread."""
    local = threading.local()

    def loop(n: int) -> None:
        mine: Loop | None = getattr(local, "loop", None)
        if mine is None:
            mine = local.loop = make()
        mine(n)

    return loop


def _subjects() -> dict[str, Loop]:
    return {
        "rpool, shared": _rpool_loop(_new_pool()),
        "rpool, one per thread": _per_thread(lambda: _rpool_loop(_new_pool())),
        "deque, shared": _deque_loop(_new_deque()),
        "deque, one per thread": _per_thread(lambda: _deque_loop(_new_deque())),
        "Lock + list, shared": LockListSubject(CAPACITY).round_trips,
        "a guard-shaped object per call": _allocation_loop("guard"),
        "a one-element list per call": _allocation_loop("list"),
        "a flag read thrice, shared": _flag_loop(_Flagged()),
        "a flag read thrice, one per thread": _per_thread(lambda: _flag_loop(_Flagged())),
        "a lane per thread, shared pool": _lane_loop(_LanePool()),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.2, help="length of one sample")
    args = parser.parse_args(argv)
    loops = _subjects()
    # About 50 µs of work per loop call, from a single-thread estimate.
    chunks = {
        name: max(1, int(50_000 / calibrate(loop, 5_000_000)[1])) for name, loop in loops.items()
    }
    rates: dict[str, dict[int, list[float]]] = {name: {1: [], 2: []} for name in loops}
    names = list(loops)
    for repetition in range(args.repetitions):
        order = names[repetition % len(names) :] + names[: repetition % len(names)]
        for name in order:
            for threads in (1, 2):
                rate = throughput(loops[name], threads, int(args.seconds * 1e9), chunks[name])
                rates[name][threads].append(rate)
        print(f"repetition {repetition + 1} of {args.repetitions}", file=sys.stderr)
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    build = "GIL" if gil else "free-threaded, GIL off"
    print(f"Python {platform.python_version()} ({build}); medians of {args.repetitions}\n")
    print("| subject | 1 thread | 2 threads | 2 ÷ 1 |")
    print("|---|---|---|---|")
    for name in names:
        one = statistics.median(rates[name][1])
        two = statistics.median(rates[name][2])
        ratios = [b / a for a, b in zip(rates[name][1], rates[name][2], strict=True)]
        print(
            f"| {name} | {one / 1e3:.0f} k/s | {two / 1e3:.0f} k/s | "
            f"{statistics.median(ratios):.2f}× |"
        )


if __name__ == "__main__":
    main()
