"""Record scheduled runs of a real pool as traces for TLC.

`record` runs one harness under the scheduler with a `TraceLog` listening.
As a script, it writes the traces of a few random runs to an ndjson file;
run.py uses it that way to record a mutant of the code (a copy of src/
first on sys.path):

    python -m tests.conformance.record static OUT.ndjson --runs 4 --seed 1
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import rpool
from rpool import AutoScale, ScaleMode, Static
from rpool.testing._choosers import RandomChooser
from rpool.testing._scheduler import Run, Scheduler

from .harness import Director, Harness, RandomDirector
from .trace import TraceLog, write_ndjson

S = TypeVar("S")

__all__ = [
    "CONFIGS",
    "RunFailedError",
    "Setup",
    "main",
    "quiet",
    "random_director",
    "record",
    "record_random",
]


@dataclass(frozen=True, slots=True)
class Setup:
    """A pool configuration and the model's matching constants (models/Trace<name>.cfg)."""

    name: str
    mode: ScaleMode
    clients: int
    fails: frozenset[str]
    drops: int
    acquires: float = 0.0
    """How often a client holding nothing calls acquire() rather than get(); 0: never."""

    @property
    def waiting(self) -> bool:
        """Whether clients wait: the runs are then checked against Waiting.tla."""
        return self.acquires > 0

    @property
    def spec(self) -> str:
        """The trace spec that checks these runs (models/<spec>.tla)."""
        return "TraceWaiting" if self.waiting else "TraceFreeList"


ALL_FAILURES = frozenset({"new", "reset", "close"})
WAITING_FAILURES = frozenset({"new", "reset"})
"""Waiting.tla's: no close() failures (FreeList checks those, and the drain is the same)."""

CONFIGS = {
    setup.name: setup
    for setup in (
        Setup("Static", Static(2), 2, ALL_FAILURES, 2),
        Setup("AutoScale", AutoScale(initial=1, maximum=4, chunk_size=0), 2, ALL_FAILURES, 2),
        Setup("Unbounded", AutoScale(initial=0, maximum=None, chunk_size=2), 2, ALL_FAILURES, 1),
        # Waiting: no collector (Waiting.tla has none), bounded pools only.
        Setup("WaitingStatic", Static(1), 3, WAITING_FAILURES, 0, acquires=0.7),
        Setup(
            "WaitingAutoScale",
            AutoScale(initial=0, maximum=2, chunk_size=0),
            3,
            WAITING_FAILURES,
            0,
            acquires=0.7,
        ),
    )
}
"""The configurations traced; each name has a models/Trace<name>.cfg."""


class RunFailedError(Exception):
    """A scheduled run did not finish cleanly, so its trace is incomplete."""


def record(setup: Setup, director: Director, seed: int, run: int = 1) -> tuple[Run, TraceLog]:
    """Run `setup` under a random schedule (`seed`) as `director` says; return the run and log."""
    harness = Harness(setup.mode, setup.clients, director, waiting=setup.waiting)
    log = TraceLog(harness, run)
    scheduler = Scheduler(RandomChooser(seed), after_step=log.after_step)
    try:
        result = scheduler.run(harness.programs())
    finally:
        harness.dispose()
    if result.failure is not None or result.blocked is not None or result.errors:
        raise RunFailedError(
            f"run {run} (seed {seed}): {result.failure!r} {result.errors}\n" + result.describe()
        )
    return result, log


def record_random(setup: Setup, seed: int, runs: int, calls: int = 4) -> list[dict[str, object]]:
    """The traces of `runs` random runs of `setup`, numbered 1..runs, as ndjson lines."""
    lines: list[dict[str, object]] = []
    for run in range(1, runs + 1):
        director = random_director(setup, seed * 1000 + run, calls)
        _, log = record(setup, director, seed * 1000 + run, run)
        lines += log.lines
    return lines


def random_director(setup: Setup, seed: int, calls: int) -> RandomDirector:
    """The seeded director of one random run of `setup` (a quarter of the callbacks fail)."""
    return RandomDirector(
        seed,
        calls=calls,
        drops=setup.drops,
        failure=0.25,
        fails=setup.fails,
        acquires=setup.acquires,
    )


def main(
    description: str,
    configs: Mapping[str, S],
    record_runs: Callable[[S, int, int], list[dict[str, object]]],
) -> None:
    """The command line of a recorder: `CONFIG OUT [--runs N] [--seed S]`, ndjson to OUT."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("config", choices=sorted(configs))
    parser.add_argument("out", type=Path)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    quiet()
    write_ndjson(record_runs(configs[args.config], args.seed, args.runs), args.out)
    # run.py checks this, to be sure a mutant's copy of src/ was the code traced.
    print(f"rpool: {Path(rpool.__file__).parent}")


def quiet() -> None:
    """Silence the warnings the runs cause on purpose (orphaned guards, failing resets)."""
    warnings.simplefilter("ignore", ResourceWarning)
    warnings.simplefilter("ignore", RuntimeWarning)


if __name__ == "__main__":
    main(__doc__.splitlines()[0], CONFIGS, record_random)
