"""AsyncPool's uncontended round trip, against other revisions of rpool and `Pool.acquire_async`.

One task on one event loop takes a resource and gives it back, N times, in
each of three ways: `async with pool.acquire()`, `await pool.get()` then
`await guard.release()`, and (the reference of issue 13) `Pool`'s
`await pool.acquire_async()` then `guard.release()`. The resource's
`reset()` is a coroutine that returns True at once (no await), so what is
timed is rpool's own code, on the process's CPU clock (the machine is
shared: time spent descheduled is not counted).

Each revision named with `--against` (a git revision: the commit before a
change, say) is exported with `git archive` into a temporary directory and
measured in its own subprocess, as is the working tree; the subprocesses
alternate, `--repeat` times each, and the script prints the median ns per
round trip of each way for each source, and the ratios to the first one.

    python -m tests.benchmarks.async_round_trip --against HEAD~1 --repeat 7
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
N = 20_000
"""Round trips per timing."""


class Conn:
    """An async resource whose reset() returns at once."""

    @classmethod
    async def new(cls, context: None) -> Conn:
        return cls()

    async def reset(self) -> bool:
        return True

    async def close(self) -> None:
        pass


class SyncConn:
    """Its sync twin, for `Pool`."""

    @classmethod
    def new(cls, context: None) -> SyncConn:
        return cls()

    def reset(self) -> bool:
        return True


async def _ways() -> dict[str, float]:
    """ns per round trip of each way, best of 3 timings of N (in this process's rpool)."""
    from rpool import AsyncPool, Pool, Static

    times: dict[str, float] = {}
    async with AsyncPool(Conn, Static(8)) as pool:

        async def with_acquire() -> None:
            for _ in range(N):
                async with pool.acquire():
                    pass

        async def get_release() -> None:
            for _ in range(N):
                guard = await pool.get()
                assert guard is not None
                await guard.release()

        for name, way in (("async with acquire()", with_acquire), ("get/release", get_release)):
            times[name] = await _best(way)
    sync_pool = Pool(SyncConn, Static(8))

    async def acquire_async() -> None:
        for _ in range(N):
            guard = await sync_pool.acquire_async()
            guard.release()

    times["Pool.acquire_async/release"] = await _best(acquire_async)
    return times


async def _best(way: object) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time_ns()
        await way()  # type: ignore[operator]
        best = min(best, (time.process_time_ns() - start) / N)
    return best


def _export(revision: str, into: Path) -> Path:
    """`src/` of `revision`, via git archive, under `into`; returns the path to put on sys.path."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, "src"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def _measure(source: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source), str(REPO)])}
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.async_round_trip", "--child"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", action="append", default=[], help="a git revision")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_ways())))
        return
    with tempfile.TemporaryDirectory() as scratch:
        sources = {"working tree": REPO / "src"}
        for revision in args.against:
            label = subprocess.run(
                ["git", "-C", str(REPO), "rev-parse", "--short", revision],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            sources[label] = _export(revision, Path(scratch) / label)
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in sources}
        for _ in range(args.repeat):
            for name, source in sources.items():
                samples[name].append(_measure(source))
    print(
        f"python {sys.version.split()[0]}, {args.repeat} repetitions (each the best of 3 x {N}), "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    ways = list(samples["working tree"][0])
    first = next(iter(sources))
    print(f"{'ns per round trip (median)':32s}" + "".join(f"{name:>16s}" for name in sources))
    for way in ways:
        medians = {name: statistics.median(s[way] for s in samples[name]) for name in sources}
        row = "".join(f"{medians[name]:16.0f}" for name in sources)
        ratios = ", ".join(
            f"{name}/{first} {medians[name] / medians[first]:.2f}"
            for name in sources
            if name != first
        )
        print(f"{way:32s}{row}   {ratios}")


if __name__ == "__main__":
    main()
