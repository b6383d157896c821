"""What leak detection costs a round trip (issue 12): `leak_threshold` on, off, and a peer.

    python -m tests.benchmarks.leaks [--repetitions N] [--rounds R]

One thread, a `Static(count=4)` pool of a resource whose `reset()` returns
True; a round trip is `pool.get()` then `guard.release()`. Subjects:

- off: `Pool(...)`, leak detection off (the pool runs `Pool.get()` itself);
- on: `Pool(..., leak_threshold=60.0)`: every hand-out records the clock,
  the thread's name and up to 8 frames, and looks at 2 records; never a
  report (nothing is held for 60 s);
- on, 30 frames deep: the same, called from 30 nested Python frames (the
  stack walk stops at 8 frames outside rpool);
- peer: rpool.testing's `Leaks` tracker (issue 14), active around a pool
  without the option: it wraps `Pool.get` on the class and records each
  guard with the file and line that took it, as a test-time leak check.

A repetition times `rounds` round trips of each subject in turn, starting
from a different subject each time, with the collector paused; the report
prints, per subject, the median over repetitions of ns per round trip and
its ratio to "off" (median of the same-repetition ratios). Timings only;
instruction counts for "off" against an earlier commit are
`python -m tests.benchmarks.instructions REV` (docs/performance.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from time import perf_counter_ns

from rpool import Pool, Static
from rpool.testing import Leaks

from .timing import _collector_paused

__all__ = ["main"]


class Res:
    @classmethod
    def new(cls, context: None) -> Res:
        return cls()

    def reset(self) -> bool:
        return True


def _loop(pool: Pool[None, Res], rounds: int) -> Callable[[], int]:
    get = pool.get

    def run() -> int:
        began = perf_counter_ns()
        for _ in range(rounds):
            get().release()  # type: ignore[union-attr]
        return perf_counter_ns() - began

    return run


def _deep(run: Callable[[], int], depth: int) -> Callable[[], int]:
    def nest(level: int) -> int:
        return run() if level == 0 else nest(level - 1)

    return lambda: nest(depth)


def _peer(rounds: int) -> Callable[[], int]:
    pool = Pool(Res, Static(count=4))

    def run() -> int:
        with Leaks():
            return _loop(pool, rounds)()

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=20_000)
    arguments = parser.parse_args(argv)
    rounds = arguments.rounds
    subjects: dict[str, Callable[[], int]] = {
        "off": _loop(Pool(Res, Static(count=4)), rounds),
        "on": _loop(Pool(Res, Static(count=4), leak_threshold=60.0), rounds),
        "on, 30 frames deep": _deep(
            _loop(Pool(Res, Static(count=4), leak_threshold=60.0), rounds), 30
        ),
        "peer: rpool.testing.Leaks": _peer(rounds),
    }
    names = list(subjects)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for repetition in range(arguments.repetitions):
        order = names[repetition % len(names) :] + names[: repetition % len(names)]
        with _collector_paused():
            for name in order:
                samples[name].append(subjects[name]() / rounds)
    print(f"Python {sys.version.split()[0]}, {arguments.repetitions} repetitions x {rounds}")
    print(f"{'subject':28} {'ns/round trip':>14} {'÷ off':>7}")
    for name in names:
        ratios = [s / o for s, o in zip(samples[name], samples["off"], strict=True)]
        median = statistics.median(samples[name])
        print(f"{name:28} {median:14.0f} {statistics.median(ratios):7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
