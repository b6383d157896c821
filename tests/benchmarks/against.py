"""rpool as it is against rpool at an earlier commit, in one process, on one clock.

Usage (from the repository root):

    python -m tests.benchmarks.against [REV] [--repetitions N] [--clock cpu|wall]

`REV` (default `HEAD~1`) is read with `git archive` into a temporary
directory and imported as a second package, `rpool_at_rev`, next to the
working tree's `rpool`; the same loops then time both, interleaved (the
current code, then the earlier, then the current...), so that a drift of the
machine's speed falls on both. Printed: for each operation, the median
nanoseconds per operation of each side and the median of the pairwise
ratios (current / earlier). A ratio above 1 means the current code is
slower. Nothing is asserted: this is a benchmark, not a test.

The operations are the hot paths a change to the pool's glue can slow down:
a `get()` + `release()` round trip, the same through `with`, and a `get()`
of an exhausted pool (a miss).
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from itertools import repeat
from pathlib import Path
from types import ModuleType
from typing import Any

import rpool

from .resources import FakeConnection
from .timing import CLOCKS, Clock, calibrate, ns_per_op

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[2]
Loop = Callable[[int], None]


def load(rev: str, into: Path) -> ModuleType:
    """Import src/rpool of commit `rev` as the package `rpool_at_rev`."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "src/rpool"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    (into / "src" / "rpool").rename(into / "rpool_at_rev")
    sys.path.insert(0, str(into))
    return importlib.import_module("rpool_at_rev")


def loops(package: Any) -> dict[str, Loop]:
    """The timed loops, for one version of the package."""
    pool = package.Pool(FakeConnection, package.Static(4))
    empty = package.Pool(FakeConnection, package.Static(1))
    held = empty.get()
    assert held is not None
    get, miss = pool.get, empty.get

    def round_trip(n: int) -> None:
        for _ in repeat(None, n):
            get().release()

    def with_round_trip(n: int) -> None:
        for _ in repeat(None, n):
            with get():
                pass

    def misses(n: int) -> None:
        assert held is not None  # keeps the pool exhausted while the loop runs
        for _ in repeat(None, n):
            miss()

    return {"get + release": round_trip, "with": with_round_trip, "exhausted get": misses}


def measure(
    current: Loop, earlier: Loop, repetitions: int, clock: Clock
) -> tuple[list[float], list[float]]:
    n, _ = calibrate(current, 200_000_000, clock)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repetitions):
        ours.append(ns_per_op(current, n, clock))
        theirs.append(ns_per_op(earlier, n, clock))
    return ours, theirs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("rev", nargs="?", default="HEAD~1", help="the earlier commit")
    parser.add_argument("--repetitions", type=int, default=9)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu")
    args = parser.parse_args(argv)
    clock = CLOCKS[args.clock]
    with tempfile.TemporaryDirectory() as scratch:
        earlier = load(args.rev, Path(scratch))
        print(f"rpool ({rpool.__file__}) against {args.rev} on the {args.clock} clock,")
        print(f"{args.repetitions} pairs per operation, Python {sys.version.split()[0]}")
        print()
        print("| operation | current, ns | earlier, ns | ratio (median of pairs) |")
        print("|---|---:|---:|---:|")
        ours_loops, theirs_loops = loops(rpool), loops(earlier)
        for name, current in ours_loops.items():
            ours, theirs = measure(current, theirs_loops[name], args.repetitions, clock)
            ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
            print(
                f"| {name} | {statistics.median(ours):.0f} | {statistics.median(theirs):.0f} "
                f"| {ratio:.3f} |"
            )


if __name__ == "__main__":
    main()
