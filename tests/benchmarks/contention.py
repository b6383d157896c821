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
  to tell the cost of allocation on that build from the cost of sharing.

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
