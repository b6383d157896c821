"""How a measurement is taken: `perf_counter_ns` around whole loops, as `timeit` does.

Each measurement times one call of a loop that runs the operation many times,
so the clock's cost and resolution vanish in the count. The cyclic garbage
collector is off while the clock runs (as in `timeit`): its passes would land
at random in one subject's loop or another's.

Single-thread figures can be taken on either of two clocks: `perf_counter_ns`
(wall time, the default) or `thread_time_ns` (the CPU time of the measuring
thread), which leaves out the time other processes took the core from it, so
it stays steady on a shared, loaded machine. Threaded figures are always wall
time: several threads' throughput is a wall-clock quantity.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import perf_counter_ns, thread_time_ns

__all__ = ["CLOCKS", "Clock", "calibrate", "ns_per_op", "throughput"]

Loop = Callable[[int], None]
Clock = Callable[[], int]

#: The clocks a single-thread figure may be taken on, by name.
CLOCKS: dict[str, Clock] = {"wall": perf_counter_ns, "cpu": thread_time_ns}


@contextmanager
def _collector_paused() -> Iterator[None]:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def ns_per_op(loop: Loop, n: int, clock: Clock = perf_counter_ns) -> float:
    """Nanoseconds per operation of one call `loop(n)`, on `clock`."""
    with _collector_paused():
        start = clock()
        loop(n)
        elapsed = clock() - start
    return elapsed / n


def calibrate(loop: Loop, target_ns: int, clock: Clock = perf_counter_ns) -> tuple[int, float]:
    """How many operations `loop` runs in about `target_ns`, and a first cost per operation.

    Doubles a trial count until one call lasts a tenth of the target, then
    scales it up; the estimate only sizes the real measurements. The cost is
    the least of three timings of the final count: one trial that another
    process interrupted would otherwise make the count far too small.
    """
    n = 1
    while True:
        with _collector_paused():
            start = clock()
            loop(n)
            elapsed = clock() - start
        if elapsed * 10 >= target_ns or n >= 1 << 30:
            break
        n *= 2
    per_op = min(ns_per_op(loop, n, clock) for _ in range(3))
    return max(1, int(target_ns / per_op)), per_op


def throughput(loop: Loop, threads: int, duration_ns: int, chunk: int) -> float:
    """Operations per second of `threads` threads each running `loop` for `duration_ns`.

    Each thread calls `loop(chunk)` until its time is up, so a thread that
    stalls inside the pool still ends (late) and its lateness is counted:
    the rate is all operations over the span from the first start to the
    last end.
    """
    barrier = threading.Barrier(threads)
    spans: list[tuple[int, int, int]] = []

    def work() -> None:
        barrier.wait()
        start = perf_counter_ns()
        deadline = start + duration_ns
        count = 0
        now = start
        while now < deadline:
            loop(chunk)
            count += chunk
            now = perf_counter_ns()
        spans.append((start, now, count))  # list.append is atomic

    workers = [threading.Thread(target=work) for _ in range(threads)]
    with _collector_paused():
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    first = min(start for start, _, _ in spans)
    last = max(end for _, end, _ in spans)
    return sum(count for _, _, count in spans) * 1e9 / (last - first)
