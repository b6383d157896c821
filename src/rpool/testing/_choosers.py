"""Ways to pick the next thread: replay, random, PCT, and choices drawn by Hypothesis.

Every chooser sees the runnable threads (sorted) and the thread that ran the
last step. Whatever it picks, the run records the picks as `Run.schedule`,
and `ReplayChooser(run.schedule)` runs the same interleaving again.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

__all__ = ["PCTChooser", "RandomChooser", "ReplayChooser", "ReplayDivergedError", "ScriptChooser"]


class ReplayDivergedError(Exception):
    """A replayed schedule picked a thread that could not go on: the run took another path."""

    __module__ = "rpool.testing"


class ReplayChooser:
    """Picks the recorded threads in order; after the record, the lowest runnable."""

    def __init__(self, schedule: Sequence[int]) -> None:
        self.schedule = list(schedule)
        self.position = 0

    def choose(self, runnable: Sequence[int], current: int | None) -> int:
        if self.position >= len(self.schedule):
            return runnable[0]
        chosen = self.schedule[self.position]
        self.position += 1
        if chosen not in runnable:
            raise ReplayDivergedError(
                f"decision {self.position - 1}: recorded thread {chosen}, runnable {list(runnable)}"
            )
        return chosen


class RandomChooser:
    """Picks uniformly at random among the runnable threads; `seed` replays it."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def choose(self, runnable: Sequence[int], current: int | None) -> int:
        return self.random.choice(runnable)


class PCTChooser:
    """Probabilistic Concurrency Testing (Burckhardt et al., ASPLOS 2010).

    Each thread gets a random distinct priority; the highest-priority runnable
    thread runs. At `depth - 1` step numbers drawn at random from the first
    `length` steps, the running thread's priority drops below all others. A
    bug that needs `depth` ordering constraints among `threads` threads is
    found with probability at least 1 / (threads * length ** (depth - 1)) per run.
    """

    def __init__(self, seed: int, threads: int, depth: int, length: int) -> None:
        rng = random.Random(seed)
        ranks = list(range(depth, depth + threads))
        rng.shuffle(ranks)
        self.priority = dict(enumerate(ranks))
        self.changes = {
            step: depth - 1 - i
            for i, step in enumerate(sorted(rng.sample(range(1, max(length, depth)), depth - 1)))
        }
        self.step = 0

    def choose(self, runnable: Sequence[int], current: int | None) -> int:
        self.step += 1
        if current is not None and self.step in self.changes:
            self.priority[current] = self.changes[self.step]
        return max(runnable, key=lambda thread: self.priority[thread])


class ScriptChooser:
    """Follows a list of small integers, as Hypothesis draws it.

    At decision i, `choices[i]` indexes the runnable threads ordered with the
    current thread first, so 0 means "keep running the same thread". Past the
    end of the list every choice is 0. Hypothesis thus shrinks a failing
    schedule towards one with fewer and earlier thread switches.
    """

    def __init__(self, choices: Sequence[int]) -> None:
        self.choices = list(choices)
        self.position = 0

    def choose(self, runnable: Sequence[int], current: int | None) -> int:
        order = sorted(runnable, key=lambda thread: thread != current)
        choice = self.choices[self.position] if self.position < len(self.choices) else 0
        self.position += 1
        return order[choice % len(order)]
