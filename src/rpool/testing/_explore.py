"""Every schedule with at most k preemptions, each run exactly once (as CHESS does).

A *preemption* is a switch away from a thread that could have gone on. Most
concurrency bugs need only one or two (Musuvathi and Qadeer, PLDI 2007), and
the number of schedules with at most k preemptions grows polynomially with
the number of steps, not exponentially.

The search is stateless: each schedule is run from scratch by `execute`,
which must build fresh state and run the same programs deterministically.
A run follows a prefix of decisions, then keeps running the current thread
(or the lowest runnable one) to the end; every other choice at a decision
past the prefix becomes a new prefix to explore, if its preemptions fit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from ._scheduler import Chooser, Run

__all__ = ["bounded_schedules"]


class _PrefixChooser:
    def __init__(self, prefix: Sequence[int]) -> None:
        self.prefix = list(prefix)
        self.decisions: list[tuple[tuple[int, ...], int | None, int]] = []

    def choose(self, runnable: Sequence[int], current: int | None) -> int:
        i = len(self.decisions)
        if i < len(self.prefix):
            chosen = self.prefix[i]
        elif current is not None and current in runnable:
            chosen = current
        else:
            chosen = runnable[0]
        self.decisions.append((tuple(runnable), current, chosen))
        return chosen


def _preempts(runnable: Sequence[int], current: int | None, chosen: int) -> bool:
    return current is not None and current in runnable and chosen != current


def bounded_schedules(
    execute: Callable[[Chooser], Run], preemptions: int, limit: int | None = None
) -> Iterator[Run]:
    """Run `execute` once per schedule with at most `preemptions` preemptions.

    Yields each run. Stops after `limit` runs if given.
    """
    pending: list[list[int]] = [[]]
    count = 0
    while pending and (limit is None or count < limit):
        prefix = pending.pop()
        chooser = _PrefixChooser(prefix)
        run = execute(chooser)
        count += 1
        yield run
        used = 0
        branches: list[list[int]] = []
        for i, (runnable, current, chosen) in enumerate(chooser.decisions):
            if i >= len(prefix):
                for other in runnable:
                    if other == chosen:
                        continue
                    cost = used + _preempts(runnable, current, other)
                    if cost <= preemptions:
                        branches.append([d[2] for d in chooser.decisions[:i]] + [other])
            used += _preempts(runnable, current, chosen)
        # Depth first: the branch off the latest decision is explored next.
        pending.extend(branches)
